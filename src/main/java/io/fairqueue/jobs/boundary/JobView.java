package io.fairqueue.jobs.boundary;

import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.jobs.entity.WaitingReason;
import io.fairqueue.platform.json.JsonText;
import jakarta.json.JsonValue;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A job as the API shows it. {@code position}, {@code userPosition}, {@code estimatedStartAt}
 * and {@code waitingReason} (with every reason in {@code waitingReasons}) are present where they apply; {@code leaseToken} only in the answer
 * to the claim that issued it. {@code tier}: URGENT for priority >= 10, BACKGROUND for <= -10,
 * NORMAL otherwise. Absent values are omitted.
 */
public record JobView(
        long id,
        String queue,
        String userId,
        String projectId,
        String type,
        JsonValue payload,
        int priority,
        String tier,
        JobStatus status,
        OffsetDateTime scheduledStartAt,
        boolean offPeakOnly,
        int attempts,
        int maxRetries,
        OffsetDateTime nextRetryAt,
        String workerId,
        OffsetDateTime leaseExpiresAt,
        OffsetDateTime createdAt,
        OffsetDateTime claimedAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        Double actualDurationSecs,
        JsonValue result,
        String lastError,
        Long retryOf,
        Long position,
        Long userPosition,
        OffsetDateTime estimatedStartAt,
        WaitingReason waitingReason,
        List<WaitingReason> waitingReasons,
        String leaseToken) {

    public static JobView of(Job j) {
        return of(j, Placement.NONE, null);
    }

    public static JobView of(Job j, Placement p, String leaseToken) {
        return new JobView(
                j.id(),
                j.queue(),
                j.userId(),
                j.projectId(),
                j.type(),
                json(j.payload()),
                j.priority(),
                tier(j.priority()),
                j.status(),
                j.scheduledStartAt(),
                j.offPeakOnly(),
                j.attempts(),
                j.maxRetries(),
                j.nextRetryAt(),
                j.workerId(),
                j.leaseExpiresAt(),
                j.createdAt(),
                j.claimedAt(),
                j.startedAt(),
                j.finishedAt(),
                j.actualDurationSecs(),
                json(j.result()),
                j.lastError(),
                j.retryOf(),
                p.position(),
                p.userPosition(),
                p.estimatedStartAt(),
                p.waitingReason(),
                p.waitingReasons(),
                leaseToken);
    }

    public static String tier(int priority) {
        return priority >= 10 ? "URGENT" : priority <= -10 ? "BACKGROUND" : "NORMAL";
    }

    private static JsonValue json(String text) {
        if (text == null) {
            return null;
        }
        return JsonText.parse(text);
    }

    /**
     * Where a waiting job stands (SPEC §3 "Position and wait", "Waiting reason"): every reason that
     * holds it back, in the order the claim checks them; {@code waitingReason} is the first.
     */
    public record Placement(
            Long position, Long userPosition, OffsetDateTime estimatedStartAt, List<WaitingReason> waitingReasons) {
        public static final Placement NONE = new Placement(null, null, null, null);

        public WaitingReason waitingReason() {
            return waitingReasons == null || waitingReasons.isEmpty() ? null : waitingReasons.get(0);
        }
    }

    /** A page of {@code GET /jobs}: pass {@code nextCursor} back as {@code cursor} for the next page. */
    public record Page(java.util.List<JobView> items, String nextCursor) {}

    public record TransitionView(
            long id, long jobId, JobStatus from, JobStatus to, OffsetDateTime at, String triggeredBy, String reason) {
        public static TransitionView of(io.fairqueue.jobs.entity.Transition t) {
            return new TransitionView(t.id(), t.jobId(), t.from(), t.to(), t.at(), t.triggeredBy(), t.reason());
        }
    }

    /** The worker's heartbeat answer: a paused or cancelled job tells its worker to stop. */
    public record Heartbeat(OffsetDateTime leaseExpiresAt, boolean pauseRequested, boolean cancelRequested) {}
}
