package io.fairqueue.platform.problem;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

/**
 * {@code OPTIONS} is not offered. Jersey answers it by itself for every route, before any
 * authorization, with the route's methods: a map of the admin API for anybody who asks. The
 * console is served from the same origin, so no CORS preflight needs it; the API is described
 * at {@code /openapi}. The 405's {@code Allow} is the same for every path, so it tells nothing.
 */
@Provider
@PreMatching
public class OptionsFilter implements ContainerRequestFilter {

    static final String ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE";

    @Override
    public void filter(ContainerRequestContext request) {
        if (HttpMethod.OPTIONS.equals(request.getMethod())) {
            Response problem = new ProblemException(new Problem(
                            Problem.TYPE_BASE + "http-405",
                            "Method Not Allowed",
                            405,
                            "OPTIONS is not offered; the API is described at /openapi",
                            null,
                            null,
                            null))
                    .getResponse();
            request.abortWith(
                    Response.fromResponse(problem).header("Allow", ALLOW).build());
        }
    }
}
