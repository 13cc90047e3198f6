package io.fairqueue.users.boundary;

import io.fairqueue.platform.json.Params;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /admin/fairness[?user=&limit=]}: the busiest users with their quotas (ADMIN, VIEWER). */
@Path("admin/fairness")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class FairnessResource {

    @Inject
    Caller caller;

    @Inject
    FairnessService fairness;

    @GET
    public FairnessView get(@QueryParam("user") String user, @QueryParam("limit") String limit) {
        return fairness.busiest(caller, Params.text("user", user), Params.intIn("limit", limit, 1, 200, 40));
    }
}
