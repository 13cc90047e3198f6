package io.fairqueue.policies.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.policies.control.OffPeakWindows;
import io.fairqueue.security.boundary.RequiresRole;
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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;

@Path("admin/scheduling-policies")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class PoliciesResource {

    @Inject
    PolicyService policies;

    @GET
    public List<PolicyView> list() {
        return policies.list();
    }

    @POST
    public Response create(PolicyRequest request) {
        PolicyView p = policies.create(body(request));
        return Response.created(UriBuilder.fromPath("/api/v1/admin/scheduling-policies/{id}")
                        .build(p.id()))
                .entity(p)
                .build();
    }

    /**
     * {@code GET /admin/scheduling-policies/off-peak}: off-peak now or not and until when (a
     * literal path segment, so JAX-RS prefers it to {id}).
     */
    @GET
    @Path("off-peak")
    public OffPeakWindows.Preview offPeak() {
        return policies.offPeakPreview();
    }

    @GET
    @Path("{id}")
    public PolicyView get(@PathParam("id") long id) {
        return policies.get(id);
    }

    @PUT
    @Path("{id}")
    public PolicyView update(@PathParam("id") long id, PolicyRequest request) {
        return policies.update(id, body(request));
    }

    @DELETE
    @Path("{id}")
    public Response delete(@PathParam("id") long id) {
        policies.delete(id);
        return Response.noContent().build();
    }
}
