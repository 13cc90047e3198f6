package io.fairqueue.queues.boundary;

import io.fairqueue.platform.json.Params;
import io.fairqueue.security.control.Caller;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /queue[?queue=&userId=&limit=]}: counts, slots, locks and the ordered pending list. */
@Path("queue")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class QueueOverviewResource {

    @Inject
    Caller caller;

    @Inject
    QueueOverviewService overview;

    @GET
    public QueueOverview get(
            @QueryParam("queue") String queue, @QueryParam("userId") String userId, @QueryParam("limit") String limit) {
        return overview.overview(
                caller,
                Params.text("queue", queue),
                Params.text("userId", userId),
                Params.intIn("limit", limit, 0, 200, 50));
    }
}
