package io.fairqueue.jobs.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.OffsetDateTime;

/** Request bodies of the job endpoints, including the worker protocol. */
public final class JobRequests {

    static final String NAME = "[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,99}";
    static final String NAME_MESSAGE = "must be 1-100 characters of letters, digits, _ . : / @ - starting with a letter or digit";

    private JobRequests() {
    }

    public record Submit(
            String queue,
            @NotNull(message = "is required") @Pattern(regexp = NAME, message = NAME_MESSAGE) String type,
            String payload,
            Integer priority,
            OffsetDateTime scheduledStartAt,
            Boolean offPeakOnly,
            @Min(value = 0, message = "must be between 0 and 100") @Max(value = 100, message = "must be between 0 and 100") Integer maxRetries,
            @Pattern(regexp = NAME, message = NAME_MESSAGE) String projectId,
            String userId) implements JsonRequest {

        public static Submit from(JsonFields f) {
            f.allow("queue", "type", "payload", "priority", "scheduledStartAt", "offPeakOnly", "maxRetries",
                    "projectId", "userId");
            return new Submit(f.string("queue"), f.string("type"), f.document("payload"), f.priority("priority"),
                    f.timestamp("scheduledStartAt"), f.bool("offPeakOnly"), f.integer("maxRetries"),
                    f.string("projectId"), f.string("userId"));
        }
    }

    /** Optional body of pause and cancel. */
    public record Reason(@Size(max = 1000, message = "must be at most 1000 characters") String reason)
            implements JsonRequest {

        public static Reason from(JsonFields f) {
            f.allow("reason");
            return new Reason(f.string("reason"));
        }
    }

    public record Lease(@NotBlank(message = "is required") String leaseToken) implements JsonRequest {

        public static Lease from(JsonFields f) {
            f.allow("leaseToken");
            return new Lease(f.string("leaseToken"));
        }
    }

    public record Complete(@NotBlank(message = "is required") String leaseToken, String result) implements JsonRequest {

        public static Complete from(JsonFields f) {
            f.allow("leaseToken", "result");
            return new Complete(f.string("leaseToken"), f.document("result"));
        }
    }

    public record Fail(
            @NotBlank(message = "is required") String leaseToken,
            @NotBlank(message = "is required") @Size(max = 65536, message = "must be at most 65536 characters") String error,
            Boolean retryable) implements JsonRequest {

        public static Fail from(JsonFields f) {
            f.allow("leaseToken", "error", "retryable");
            return new Fail(f.string("leaseToken"), f.string("error"), f.bool("retryable"));
        }
    }
}
