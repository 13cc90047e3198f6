package io.fairqueue.queues.control;

import io.fairqueue.jobs.entity.JobStatus;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Jobs by status (every status, zeros included) and PENDING jobs by tier, folded from rows of
 * (status, tier, count) as {@code fq_counts} answers them: the counts of {@code GET /queue} and of
 * the queue events' {@code counts}.
 */
public final class StatusCounts {

    private final Map<String, Long> byStatus = new LinkedHashMap<>();
    /** PENDING by tier: index {@code tier + 1} (background -1, normal 0, urgent 1). */
    private final long[] pending = new long[3];

    public StatusCounts() {
        for (JobStatus s : JobStatus.values()) {
            byStatus.put(s.name(), 0L);
        }
    }

    public void add(String status, int tier, long n) {
        byStatus.merge(status, n, Long::sum);
        if (JobStatus.PENDING.name().equals(status)) {
            pending[tier + 1] += n;
        }
    }

    public Map<String, Long> byStatus() {
        return Collections.unmodifiableMap(byStatus);
    }

    public long urgent() {
        return pending[2];
    }

    public long normal() {
        return pending[1];
    }

    public long background() {
        return pending[0];
    }

    public long pendingTotal() {
        return pending[0] + pending[1] + pending[2];
    }

    /** Slots in use: DISPATCHED and RUNNING jobs. */
    public long slotsUsed() {
        return byStatus.get(JobStatus.DISPATCHED.name()) + byStatus.get(JobStatus.RUNNING.name());
    }
}
