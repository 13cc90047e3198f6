package io.fairqueue.queues.boundary;

import io.fairqueue.queues.entity.Queue;
import java.time.OffsetDateTime;
import java.util.Map;

public record QueueView(
        String name,
        String description,
        Integer maxConcurrent,
        int maxRetries,
        int retryBaseDelaySeconds,
        int leaseSeconds,
        boolean paused,
        OffsetDateTime createdAt) {

    public static QueueView of(Queue q) {
        return new QueueView(
                q.name(),
                q.description(),
                q.maxConcurrent(),
                q.maxRetries(),
                q.retryBaseDelaySeconds(),
                q.leaseSeconds(),
                q.paused(),
                q.createdAt());
    }

    /**
     * {@code GET /queues/{name}/stats}: jobs by status, the dead-letter count (FAILED), and over
     * the jobs completed in the last 24 hours the mean wait (submission or scheduled start to the
     * last claim) and mean run time; plus the number completed in the last hour.
     */
    public record Stats(
            String queue,
            Map<String, Long> counts,
            long deadLetter,
            Double avgWaitSecs,
            Double avgDurationSecs,
            long completedLastHour) {}

    public record Cleared(String queue, String userId, int cancelled) {}
}
