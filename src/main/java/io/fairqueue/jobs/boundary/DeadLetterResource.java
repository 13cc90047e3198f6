package io.fairqueue.jobs.boundary;

import io.fairqueue.platform.json.Params;
import io.fairqueue.security.control.Caller;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** {@code GET /dead-letter}: FAILED jobs (retries exhausted or not retryable); a USER sees its own. */
@Path("dead-letter")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    @Inject
    Caller caller;

    @Inject
    JobService jobs;

    @GET
    public List<JobView> list(
            @QueryParam("queue") String queue,
            @QueryParam("userId") String userId,
            @QueryParam("type") String type,
            @QueryParam("error") String error,
            @QueryParam("payload") String payload,
            @QueryParam("createdFrom") String createdFrom,
            @QueryParam("createdTo") String createdTo,
            @QueryParam("limit") String limit) {
        return jobs.deadLetters(
                caller,
                JobsResource.filter(null, queue, userId, type, error, payload, createdFrom, createdTo),
                Params.intIn("limit", limit, 1, 500, 100));
    }
}
