package io.fairqueue.platform.problem;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

/**
 * PostgreSQL text cannot hold U+0000, so a NUL anywhere in a path or query parameter would
 * surface as a database error; it is refused up front as a 400 instead.
 */
@Provider
@PreMatching
public class NulCharacterFilter implements ContainerRequestFilter {

    @Override
    public void filter(ContainerRequestContext request) {
        var uri = request.getUriInfo();
        if (uri.getPath(true).indexOf('\0') >= 0) {
            request.abortWith(ProblemException.badRequest("path", "must not contain the NUL character")
                    .getResponse());
            return;
        }
        uri.getQueryParameters(true).forEach((name, values) -> {
            if (values.stream().anyMatch(v -> v.indexOf('\0') >= 0)) {
                request.abortWith(ProblemException.badRequest(name, "must not contain the NUL character")
                        .getResponse());
            }
        });
    }
}
