package io.fairqueue.security.boundary;

import io.fairqueue.platform.problem.Outages;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.annotation.Priority;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.util.Arrays;

/**
 * Every API call needs a valid bearer token (401 otherwise; 503 when the token could not be
 * checked for want of a database connection); a resource method or class
 * annotated {@link RequiresRole} admits only those roles (403 otherwise). A VIEWER reads what an
 * ADMIN reads: a GET or HEAD that admits ADMIN admits it too, and any other method is refused to it
 * (403), whatever the resource admits, so it changes nothing anywhere.
 */
@Provider
@Priority(Priorities.AUTHORIZATION)
public class AuthorizationFilter implements ContainerRequestFilter {

    @Context
    HttpServletRequest servletRequest;

    @Context
    ResourceInfo resource;

    @Override
    public void filter(ContainerRequestContext request) {
        Caller caller = (Caller) servletRequest.getAttribute(Caller.REQUEST_ATTRIBUTE);
        if (caller == null && servletRequest.getAttribute(BearerTokenMechanism.DATABASE_UNAVAILABLE) != null) {
            request.abortWith(Outages.unavailable().getResponse());
            return;
        }
        if (caller == null) {
            Response r = ProblemException.unauthorized().getResponse();
            request.abortWith(Response.fromResponse(r)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"fairqueue\"")
                    .build());
            return;
        }
        RequiresRole allowed = resource.getResourceMethod() == null
                ? null
                : resource.getResourceMethod().getAnnotation(RequiresRole.class);
        if (allowed == null && resource.getResourceClass() != null) {
            allowed = resource.getResourceClass().getAnnotation(RequiresRole.class);
        }
        if (caller.role() == Role.VIEWER) {
            boolean read = "GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod());
            if (!read) {
                request.abortWith(ProblemException.forbidden(
                                "a VIEWER reads and changes nothing: " + request.getMethod() + " needs another role")
                        .getResponse());
                return;
            }
            if (allowed == null || Arrays.asList(allowed.value()).contains(Role.ADMIN)) {
                return;
            }
        }
        if (allowed != null && Arrays.stream(allowed.value()).noneMatch(r -> r == caller.role())) {
            request.abortWith(ProblemException.forbidden("this operation needs role "
                            + Arrays.stream(allowed.value())
                                    .map(Role::name)
                                    .collect(java.util.stream.Collectors.joining(" or "))
                            + "; you are " + caller.role())
                    .getResponse());
        }
    }
}
