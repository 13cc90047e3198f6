package io.fairqueue.jobs.boundary;

import java.util.List;

/**
 * The answer of {@code POST /admin/jobs/bulk}: how many jobs match in all, which changed, the new
 * jobs of a retry, which were skipped and why, and how many are left for another call
 * ({@code matched - applied - skipped}).
 */
public record BulkResult(
        String action,
        boolean dryRun,
        long matched,
        List<Long> applied,
        List<Long> created,
        List<Skipped> skipped,
        long remaining) {

    public record Skipped(long id, String reason) {}
}
