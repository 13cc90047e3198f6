package io.fairqueue.jobs.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/** {@code PUT /admin/queue/reorder}: a job's new priority (number or tier name) and why. */
public record ReorderRequest(
        @NotNull(message = "is required") Long jobId,
        @NotNull(message = "is required") Integer priority,

        @Size(max = 1000, message = "must be at most 1000 characters")
        String reason)
        implements JsonRequest {

    public static ReorderRequest from(JsonFields f) {
        f.allow("jobId", "priority", "reason");
        return new ReorderRequest(f.longValue("jobId"), f.priority("priority"), f.string("reason"));
    }
}
