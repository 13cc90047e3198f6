package io.fairqueue.jobs.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.jobs.control.JobSearch;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import io.fairqueue.platform.json.Params;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /admin/jobs/bulk}: one action on a selection ({@code ids}) or on the jobs a
 * {@code filter} matches, at most {@code max} of them, oldest first.
 */
public record BulkRequest(
        @NotNull(message = "is required") Action action,

        @NotBlank(message = "is required and must not be blank")
        @Size(max = 1000, message = "must be at most 1000 characters")
        String reason,

        Integer priority,
        List<Long> ids,
        JobSearch.Filter filter,

        @Min(value = 1, message = "must be between 1 and " + BulkRequest.MAX)
        @Max(value = MAX, message = "must be between 1 and " + BulkRequest.MAX)
        int max,

        boolean dryRun)
        implements JsonRequest {

    /** The most jobs one call changes. */
    public static final int MAX = 1000;

    public enum Action {
        RETRY(List.of(JobStatus.FAILED)),
        CANCEL(List.of(JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.RETRY_WAIT, JobStatus.PAUSED)),
        REPRIORITIZE(List.of(JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.RETRY_WAIT, JobStatus.PAUSED));

        /** The states the action applies to. */
        public final List<JobStatus> from;

        Action(List<JobStatus> from) {
            this.from = from;
        }

        public String sqlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static BulkRequest from(JsonFields f) {
        f.allow("action", "reason", "priority", "ids", "filter", "max", "dryRun");
        String actionText = f.string("action");
        Action action = null;
        if (actionText != null) {
            action = switch (actionText.trim().toLowerCase(Locale.ROOT)) {
                case "retry" -> Action.RETRY;
                case "cancel" -> Action.CANCEL;
                case "reprioritize" -> Action.REPRIORITIZE;
                default -> throw badRequest("action", "must be one of retry, cancel, reprioritize");
            };
        }
        Integer priority = f.priority("priority");
        if (action == Action.REPRIORITIZE && priority == null) {
            throw badRequest("priority", "is required for reprioritize (-100..100 or a tier name)");
        }
        if (action != null && action != Action.REPRIORITIZE && priority != null) {
            throw badRequest("priority", "applies to reprioritize only");
        }
        List<Long> ids = f.longs("ids", 1, MAX);
        JsonFields filterFields = f.object("filter");
        if ((ids == null) == (filterFields == null)) {
            throw badRequest(ids == null ? "ids" : "filter", "exactly one of ids (a selection) and filter is required");
        }
        JobSearch.Filter filter = filterFields == null ? null : filter(filterFields, action);
        Integer max = f.integer("max");
        Boolean dryRun = f.bool("dryRun");
        return new BulkRequest(
                action,
                f.string("reason"),
                priority,
                ids,
                filter,
                max == null ? MAX : max,
                Boolean.TRUE.equals(dryRun));
    }

    private static JobSearch.Filter filter(JsonFields f, Action action) {
        f.allow("status", "queue", "userId", "type", "error", "payload", "createdFrom", "createdTo");
        JobStatus status = f.enumValue("status", JobStatus.class);
        if (status != null && action != null && !action.from.contains(status)) {
            throw badRequest(
                    "filter.status", action.sqlName() + " applies to " + action.from + " jobs only, not " + status);
        }
        // a JSON object, or the text of one (as in GET /jobs?payload=)
        String payload = f.document("payload");
        if (payload != null && payload.startsWith("\"")) {
            payload = f.string("payload");
        }
        payload = Params.jsonObject("filter.payload", payload);
        return new JobSearch.Filter(
                status,
                blankless(f.string("queue")),
                blankless(f.string("userId")),
                blankless(f.string("type")),
                blankless(f.string("error")),
                payload,
                f.timestamp("createdFrom"),
                f.timestamp("createdTo"));
    }

    private static String blankless(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
