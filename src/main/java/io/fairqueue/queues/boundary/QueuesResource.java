package io.fairqueue.queues.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.jobs.boundary.JobService;
import io.fairqueue.platform.json.Params;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;

@Path("queues")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class QueuesResource {

    @Inject
    Caller caller;

    @Inject
    QueueService queues;

    @Inject
    JobService jobs;

    @POST
    @RequiresRole(Role.ADMIN)
    public Response create(QueueRequests.Create request) {
        QueueView q = queues.create(body(request));
        return Response.created(UriBuilder.fromPath("/api/v1/queues/{name}").build(q.name()))
                .entity(q)
                .build();
    }

    @GET
    public List<QueueView> list() {
        return queues.list();
    }

    @GET
    @Path("{name}")
    public QueueView get(@PathParam("name") String name) {
        return queues.get(name);
    }

    @PATCH
    @Path("{name}")
    @RequiresRole(Role.ADMIN)
    public QueueView patch(@PathParam("name") String name, QueueRequests.Patch request) {
        return queues.patch(name, body(request));
    }

    @POST
    @Path("{name}/pause")
    @RequiresRole(Role.ADMIN)
    public QueueView pause(@PathParam("name") String name) {
        return queues.pause(name);
    }

    @POST
    @Path("{name}/resume")
    @RequiresRole(Role.ADMIN)
    public QueueView resume(@PathParam("name") String name) {
        return queues.resume(name);
    }

    @GET
    @Path("{name}/stats")
    public QueueView.Stats stats(@PathParam("name") String name) {
        return queues.stats(name);
    }

    /** Clear: the queue's waiting jobs become CANCELLED (a USER's own only); answers the count. */
    @DELETE
    @Path("{name}/jobs")
    @RequiresRole({Role.USER, Role.ADMIN})
    public QueueView.Cleared clear(@PathParam("name") String name, @QueryParam("userId") String userId) {
        return jobs.clear(caller, name, Params.text("userId", userId));
    }
}
