package io.fairqueue.users.boundary;

import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * {@code /admin/users/{id}/tokens}: an ADMIN issues tokens for anyone; a user lists and revokes
 * its own (another user's answer 403), and an ADMIN anyone's.
 */
@Path("admin/users/{id}/tokens")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class TokensResource {

    @Inject
    Caller caller;

    @Inject
    TokenService tokens;

    /** 201 with the new token, shown this once. The body is optional. */
    @POST
    @RequiresRole(Role.ADMIN)
    public Response issue(@PathParam("id") String id, TokenRequests.Issue request) {
        return Response.status(Response.Status.CREATED)
                .entity(tokens.issue(id, request == null ? TokenRequests.Issue.NONE : request))
                .build();
    }

    @GET
    public List<TokenView> list(@PathParam("id") String id) {
        return tokens.list(ownerOrAdmin(id));
    }

    /** 204; the token is refused from now on, on every node within the callers' cache bound. */
    @DELETE
    @Path("{tokenId}")
    public Response revoke(@PathParam("id") String id, @PathParam("tokenId") long tokenId) {
        tokens.revoke(ownerOrAdmin(id), tokenId);
        return Response.noContent().build();
    }

    private String ownerOrAdmin(String userId) {
        if (!caller.readsEverything() && !caller.id().equals(userId)) {
            throw ProblemException.forbidden("only an ADMIN or the user itself may see or revoke a user's tokens");
        }
        return userId;
    }
}
