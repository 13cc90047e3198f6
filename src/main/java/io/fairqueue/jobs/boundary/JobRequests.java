package io.fairqueue.jobs.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.OffsetDateTime;
import java.util.List;

/** Request bodies of the job endpoints, including the worker protocol. */
public final class JobRequests {

    static final String NAME = "[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,99}";
    static final String NAME_MESSAGE =
            "must be 1-100 characters of letters, digits, _ . : / @ - starting with a letter or digit";

    private JobRequests() {}

    public record Submit(
            String queue,

            @NotNull(message = "is required") @Pattern(regexp = NAME, message = NAME_MESSAGE)
            String type,

            String payload,
            Integer priority,
            OffsetDateTime scheduledStartAt,
            Boolean offPeakOnly,

            @Min(value = 0, message = "must be between 0 and 100")
            @Max(value = 100, message = "must be between 0 and 100")
            Integer maxRetries,

            @Pattern(regexp = NAME, message = NAME_MESSAGE) String projectId,
            String userId)
            implements JsonRequest {

        public static Submit from(JsonFields f) {
            f.allow(
                    "queue",
                    "type",
                    "payload",
                    "priority",
                    "scheduledStartAt",
                    "offPeakOnly",
                    "maxRetries",
                    "projectId",
                    "userId");
            return read(f);
        }

        static Submit read(JsonFields f) {
            return new Submit(
                    f.string("queue"),
                    f.string("type"),
                    f.document("payload"),
                    f.priority("priority"),
                    f.timestamp("scheduledStartAt"),
                    f.bool("offPeakOnly"),
                    f.integer("maxRetries"),
                    f.string("projectId"),
                    f.string("userId"));
        }
    }

    static final int MAX_IDEMPOTENCY_KEY = 200;

    /** Most items one batch call takes. */
    public static final int MAX_BATCH = 1000;

    /**
     * {@code POST /jobs/batch}: up to 1000 jobs, each with the members of {@code POST /jobs} plus
     * an optional {@code idempotencyKey} (the header's role, per item). All are created, or none.
     */
    public record SubmitBatch(
            @NotNull(message = "is required") List<@Valid Submit> jobs, List<String> idempotencyKeys)
            implements JsonRequest {

        public static SubmitBatch from(JsonFields f) {
            f.allow("jobs");
            List<JsonFields> items = f.objects("jobs", MAX_BATCH);
            if (items == null) {
                return new SubmitBatch(null, null);
            }
            List<String> keys = new java.util.ArrayList<>();
            for (JsonFields i : items) {
                i.allow(
                        "queue",
                        "type",
                        "payload",
                        "priority",
                        "scheduledStartAt",
                        "offPeakOnly",
                        "maxRetries",
                        "projectId",
                        "userId",
                        "idempotencyKey");
                String key = i.string("idempotencyKey");
                if (key != null && (key.isBlank() || key.length() > MAX_IDEMPOTENCY_KEY)) {
                    throw io.fairqueue.platform.problem.ProblemException.badRequest(
                            "jobs[" + keys.size() + "].idempotencyKey",
                            "must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
                }
                keys.add(key);
            }
            return new SubmitBatch(items.stream().map(Submit::read).toList(), keys);
        }
    }

    /** {@code POST /jobs/start}: start many claimed jobs; each item succeeds or fails on its own. */
    public record LeaseBatch(
            @NotNull(message = "is required") List<@Valid LeaseItem> jobs) implements JsonRequest {

        public static LeaseBatch from(JsonFields f) {
            f.allow("jobs");
            List<JsonFields> items = f.objects("jobs", MAX_BATCH);
            return new LeaseBatch(
                    items == null
                            ? null
                            : items.stream()
                                    .map(i -> {
                                        i.allow("id", "leaseToken");
                                        return new LeaseItem(i.longValue("id"), i.string("leaseToken"));
                                    })
                                    .toList());
        }
    }

    public record LeaseItem(
            @NotNull(message = "is required") Long id,
            @NotBlank(message = "is required") String leaseToken) {}

    /** {@code POST /jobs/complete}: complete many running jobs; each item succeeds or fails on its own. */
    public record CompleteBatch(
            @NotNull(message = "is required") List<@Valid CompleteItem> jobs) implements JsonRequest {

        public static CompleteBatch from(JsonFields f) {
            f.allow("jobs");
            List<JsonFields> items = f.objects("jobs", MAX_BATCH);
            return new CompleteBatch(
                    items == null
                            ? null
                            : items.stream().map(JobRequests::completeItem).toList());
        }
    }

    public record CompleteItem(
            @NotNull(message = "is required") Long id,
            @NotBlank(message = "is required") String leaseToken,
            String result) {}

    /** One failed attempt reported in a claim ({@code POST /claims} with {@code fail}). */
    public record FailItem(
            @NotNull(message = "is required") Long id,
            @NotBlank(message = "is required") String leaseToken,

            @NotBlank(message = "is required") @Size(max = 65536, message = "must be at most 65536 characters")
            String error,

            Boolean retryable) {

        static FailItem read(JsonFields i) {
            i.allow("id", "leaseToken", "error", "retryable");
            return new FailItem(i.longValue("id"), i.string("leaseToken"), i.string("error"), i.bool("retryable"));
        }
    }

    /** Reads one item of a {@code complete} list (of {@code POST /jobs/complete} or a claim). */
    static CompleteItem completeItem(JsonFields i) {
        i.allow("id", "leaseToken", "result");
        return new CompleteItem(i.longValue("id"), i.string("leaseToken"), i.document("result"));
    }

    /** The {@code complete} list of a claim (possibly empty: the first call has none), or null when absent. */
    public static List<CompleteItem> completeItems(JsonFields f, String field) {
        List<JsonFields> items = f.objects(field, 0, MAX_BATCH);
        return items == null
                ? null
                : items.stream().map(JobRequests::completeItem).toList();
    }

    /** The {@code fail} list of a claim (possibly empty), or null when absent. */
    public static List<FailItem> failItems(JsonFields f, String field) {
        List<JsonFields> items = f.objects(field, 0, MAX_BATCH);
        return items == null ? null : items.stream().map(FailItem::read).toList();
    }

    /** Optional body of pause and cancel. */
    public record Reason(
            @Size(max = 1000, message = "must be at most 1000 characters")
            String reason) implements JsonRequest {

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

    public record Complete(
            @NotBlank(message = "is required") String leaseToken, String result) implements JsonRequest {

        public static Complete from(JsonFields f) {
            f.allow("leaseToken", "result");
            return new Complete(f.string("leaseToken"), f.document("result"));
        }
    }

    public record Fail(
            @NotBlank(message = "is required") String leaseToken,

            @NotBlank(message = "is required") @Size(max = 65536, message = "must be at most 65536 characters")
            String error,

            Boolean retryable)
            implements JsonRequest {

        public static Fail from(JsonFields f) {
            f.allow("leaseToken", "error", "retryable");
            return new Fail(f.string("leaseToken"), f.string("error"), f.bool("retryable"));
        }
    }
}
