package io.fairqueue.users.boundary;

import io.fairqueue.security.control.Caller;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /me}: the caller as a user (id, role, limits, live counts), for every role. The web
 * console asks it at sign-in to learn whose token it holds and which controls to show; a client
 * need not guess a role from the 403s of other calls.
 */
@Path("me")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class MeResource {

    @Inject
    Caller caller;

    @Inject
    UserService users;

    @GET
    public UserView me() {
        return users.get(caller.id());
    }
}
