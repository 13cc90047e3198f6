package io.fairqueue.workers.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;

@Path("workers")
@RequestScoped
@RequiresRole({Role.WORKER, Role.ADMIN})
@Produces(MediaType.APPLICATION_JSON)
public class WorkersResource {

    @Inject
    Caller caller;

    @Inject
    WorkerService workers;

    @POST
    public Response register(WorkerRequests.Register request) {
        WorkerView w = workers.register(caller, body(request));
        return Response.created(UriBuilder.fromPath("/api/v1/workers/{id}").build(w.id()))
                .entity(w)
                .build();
    }

    @GET
    @Path("{id}")
    public WorkerView get(@PathParam("id") String id) {
        return workers.get(caller, id);
    }

    @POST
    @Path("{id}/heartbeat")
    public WorkerView heartbeat(@PathParam("id") String id) {
        return workers.heartbeat(caller, id);
    }

    @GET
    public List<WorkerView> list() {
        return workers.list(caller);
    }
}
