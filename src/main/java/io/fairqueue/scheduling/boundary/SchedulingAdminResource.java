package io.fairqueue.scheduling.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.platform.json.Params;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** {@code /admin/settings}, {@code /admin/locks}, {@code /admin/recount}. */
@Path("admin")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class SchedulingAdminResource {

    @Inject
    Caller caller;

    @Inject
    SchedulingAdmin admin;

    @GET
    @Path("settings")
    public SettingsView settings() {
        return admin.settings();
    }

    @PUT
    @Path("settings")
    public SettingsView update(SettingsRequest request) {
        return admin.update(body(request));
    }

    @GET
    @Path("locks")
    public List<SchedulingAdmin.Lock> locks() {
        return admin.locks();
    }

    @DELETE
    @Path("locks/{userId}")
    public SchedulingAdmin.Released release(
            @PathParam("userId") String userId,
            @QueryParam("jobId") String jobId,
            @QueryParam("reason") String reason) {
        String why = Params.text("reason", reason);
        if (why != null && why.length() > 1000) {
            throw ProblemException.badRequest("reason", "must be at most 1000 characters");
        }
        return admin.release(caller, userId, Params.longIn("jobId", jobId, 1, Long.MAX_VALUE), why);
    }

    /**
     * Compares every derived counter (users' running and pending, limited queues' and the global
     * running count, lane heads) with a recount of the jobs; {@code ?repair=true} also fixes them.
     */
    @POST
    @Path("recount")
    public SchedulingAdmin.Recount recount(@QueryParam("repair") String repair) {
        return admin.recount("true".equalsIgnoreCase(repair));
    }
}
