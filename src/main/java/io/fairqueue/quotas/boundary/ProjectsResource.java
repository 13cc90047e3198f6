package io.fairqueue.quotas.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code PUT /admin/projects/{id}/quota}. Projects have no table of their own: any project id may get a quota. */
@Path("admin/projects")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class ProjectsResource {

    @Inject
    QuotaService quotas;

    @PUT
    @Path("{id}/quota")
    public QuotaView setQuota(@PathParam("id") String id, QuotaRequest request) {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,99}")) {
            throw ProblemException.badRequest("id", "is not a valid project id");
        }
        return quotas.setProjectQuota(id, body(request));
    }
}
