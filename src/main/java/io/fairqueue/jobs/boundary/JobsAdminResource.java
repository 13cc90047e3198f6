package io.fairqueue.jobs.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code POST /admin/jobs/bulk}: an admin's retry, cancel or reprioritize of many jobs, audited, capped per call. */
@Path("admin/jobs")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class JobsAdminResource {

    @Inject
    Caller caller;

    @Inject
    JobService jobs;

    @POST
    @Path("bulk")
    public BulkResult bulk(BulkRequest request) {
        return jobs.bulk(caller, body(request));
    }
}
