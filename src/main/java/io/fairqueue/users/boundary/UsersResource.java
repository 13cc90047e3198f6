package io.fairqueue.users.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.quotas.boundary.QuotaRequest;
import io.fairqueue.quotas.boundary.QuotaService;
import io.fairqueue.quotas.boundary.QuotaView;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;

@Path("admin/users")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class UsersResource {

    @Inject
    UserService users;

    @Inject
    QuotaService quotas;

    @POST
    public Response create(UserRequests.Create request) {
        UserView.WithToken created = users.create(body(request));
        return Response.created(UriBuilder.fromPath("/api/v1/admin/users/{id}")
                        .build(created.user().id()))
                .entity(created)
                .build();
    }

    @GET
    public List<UserView> list() {
        return users.list();
    }

    @GET
    @Path("{id}")
    public UserView get(@PathParam("id") String id) {
        return users.get(id);
    }

    @PATCH
    @Path("{id}")
    public UserView patch(@PathParam("id") String id, UserRequests.Patch request) {
        return users.patch(id, body(request));
    }

    @PUT
    @Path("{id}/quota")
    public QuotaView setQuota(@PathParam("id") String id, QuotaRequest request) {
        return quotas.setUserQuota(id, body(request));
    }
}
