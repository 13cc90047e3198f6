package io.fairqueue.jobs.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code PUT /admin/queue/reorder}: an admin moves a job by changing its priority; audited, effective on the next claim. */
@Path("admin/queue")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class QueueAdminResource {

    @Inject
    Caller caller;

    @Inject
    JobService jobs;

    @PUT
    @Path("reorder")
    public JobView reorder(ReorderRequest request) {
        ReorderRequest r = body(request);
        return jobs.reorder(caller, r.jobId(), r.priority(), r.reason());
    }
}
