package io.fairqueue.jobs.boundary;

import io.fairqueue.jobs.control.JobSearch;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.json.Params;
import jakarta.ws.rs.QueryParam;

/**
 * The search filters {@code GET /jobs} and {@code GET /dead-letter} share, as query parameters
 * (a {@code @BeanParam}); each is read strictly, and a bad one answers 400 naming it.
 */
public class JobSearchParams {

    @QueryParam("queue")
    String queue;

    @QueryParam("userId")
    String userId;

    @QueryParam("type")
    String type;

    @QueryParam("error")
    String error;

    @QueryParam("payload")
    String payload;

    @QueryParam("createdFrom")
    String createdFrom;

    @QueryParam("createdTo")
    String createdTo;

    /** The filter, for jobs in {@code status} (null: any status). */
    JobSearch.Filter filter(JobStatus status) {
        return new JobSearch.Filter(
                status,
                Params.text("queue", queue),
                Params.text("userId", userId),
                Params.text("type", type),
                Params.text("error", error),
                Params.jsonObject("payload", payload),
                Params.instant("createdFrom", createdFrom),
                Params.instant("createdTo", createdTo));
    }
}
