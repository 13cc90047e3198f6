package io.fairqueue.jobs.boundary;

import io.fairqueue.platform.json.Params;
import io.fairqueue.security.control.Caller;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
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
    public List<JobView> list(@BeanParam JobSearchParams search, @QueryParam("limit") String limit) {
        return jobs.deadLetters(caller, search.filter(null), Params.intIn("limit", limit, 1, 500, 100));
    }
}
