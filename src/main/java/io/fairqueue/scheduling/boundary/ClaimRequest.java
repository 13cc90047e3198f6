package io.fairqueue.scheduling.boundary;

import io.fairqueue.jobs.boundary.JobRequests;
import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * {@code POST /claims}: {@code limit} 1..100 (default 1); {@code userId}: that user's next job only;
 * {@code waitSeconds} 0..60 (default 0): how long an empty claim may wait for a job (long poll).
 * The one-call worker protocol: {@code start} claims straight into RUNNING; {@code complete} and
 * {@code fail} carry the previous batch's outcomes (at most 1000 each), applied before the claim
 * ({@code POST /claims/next} only).
 */
public record ClaimRequest(
        @NotBlank(message = "is required") String workerId,

        @Size(max = 100, message = "must name at most 100 queues")
        List<String> queues,

        @Min(value = 1, message = "must be between 1 and 100") @Max(value = 100, message = "must be between 1 and 100")
        Integer limit,

        String userId,

        @Min(value = 0, message = "must be between 0 and 60") @Max(value = 60, message = "must be between 0 and 60")
        Integer waitSeconds,

        Boolean start,

        List<JobRequests.@Valid CompleteItem> complete,

        List<JobRequests.@Valid FailItem> fail)
        implements JsonRequest {

    /** Whether the claim carries outcomes (which only {@code POST /claims/next} takes). */
    public boolean carriesOutcomes() {
        return (complete != null && !complete.isEmpty()) || (fail != null && !fail.isEmpty());
    }

    public static ClaimRequest from(JsonFields f) {
        f.allow("workerId", "queues", "limit", "userId", "waitSeconds", "start", "complete", "fail");
        return new ClaimRequest(
                f.string("workerId"),
                f.strings("queues"),
                f.integer("limit"),
                f.string("userId"),
                f.integer("waitSeconds"),
                f.bool("start"),
                JobRequests.completeItems(f, "complete"),
                JobRequests.failItems(f, "fail"));
    }
}
