package io.fairqueue.security.boundary;

import io.fairqueue.platform.problem.Outages;
import io.fairqueue.security.control.BearerCredential;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.authentication.mechanism.http.HttpAuthenticationMechanism;
import jakarta.security.enterprise.authentication.mechanism.http.HttpMessageContext;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStoreHandler;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Jakarta Security mechanism for {@code Authorization: Bearer <token>}. A valid token logs the
 * caller in with its role as group; a missing or unknown token leaves the request anonymous,
 * and {@link AuthorizationFilter} answers 401 for API calls (so public pages and health stay open).
 * When the token cannot be looked up because the database is down, the request is marked
 * {@link #DATABASE_UNAVAILABLE} and the filter answers 503 instead of the container's error page.
 */
@ApplicationScoped
public class BearerTokenMechanism implements HttpAuthenticationMechanism {

    /** Request attribute: the token lookup failed because the database could not be reached. */
    public static final String DATABASE_UNAVAILABLE = "io.fairqueue.auth.databaseUnavailable";

    private static final Logger LOG = Logger.getLogger(BearerTokenMechanism.class.getName());

    @Inject
    IdentityStoreHandler identityStores;

    @Override
    public AuthenticationStatus validateRequest(
            HttpServletRequest request, HttpServletResponse response, HttpMessageContext context) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return context.doNothing();
        }
        CredentialValidationResult result;
        try {
            result = identityStores.validate(
                    new BearerCredential(header.substring(7).trim()));
        } catch (RuntimeException e) {
            if (!Outages.isUnavailable(e)) {
                throw e;
            }
            LOG.log(Level.FINE, "token lookup failed: database unavailable", e);
            request.setAttribute(DATABASE_UNAVAILABLE, Boolean.TRUE);
            return context.doNothing();
        }
        if (result.getStatus() != CredentialValidationResult.Status.VALID) {
            return context.doNothing();
        }
        String role = result.getCallerGroups().iterator().next();
        request.setAttribute(
                Caller.REQUEST_ATTRIBUTE, new Caller(result.getCallerPrincipal().getName(), Role.valueOf(role)));
        return context.notifyContainerAboutLogin(result.getCallerPrincipal(), result.getCallerGroups());
    }
}
