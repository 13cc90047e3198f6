package io.fairqueue.quotas.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET|PUT /admin/projects/{id}/quota}. Projects have no table of their own: any project id may get a quota. */
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
        return quotas.setProjectQuota(valid(id), body(request));
    }

    /** The project's limits and usage (ADMIN; a VIEWER reads it too). */
    @GET
    @Path("{id}/quota")
    public QuotaView.ProjectStatus quota(@PathParam("id") String id) {
        return quotas.projectStatus(valid(id));
    }

    private static String valid(String id) {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,99}")) {
            throw ProblemException.badRequest("id", "is not a valid project id");
        }
        return id;
    }
}
