package io.fairqueue.queues.boundary;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * {@code GET /admin/history}: one queue's (or all queues') completions, failures, depth and wait /
 * run percentiles per bucket, oldest first, from the per-minute rollup.
 */
public record HistoryView(
        String queue, String range, int bucketSeconds, OffsetDateTime from, OffsetDateTime to, List<Point> points) {

    /**
     * One bucket starting at {@code at}. {@code pendingDepth} and the percentiles are absent when
     * unknown (no rollup for it, no job finished in it).
     */
    public record Point(
            OffsetDateTime at,
            long completed,
            long failed,
            Long pendingDepth,
            Long waitP50Ms,
            Long waitP95Ms,
            Long runP50Ms,
            Long runP95Ms) {}
}
