package io.fairqueue.timers.control;

import io.fairqueue.jobs.control.AuditLog;
import io.fairqueue.jobs.control.Promoter;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.control.Time;
import io.fairqueue.scheduling.entity.Settings;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * The timers' database work, one transaction per call. Every step takes its rows with
 * {@code SKIP LOCKED} (and locks users in id order), so every node may run it at the same moment
 * and no row is moved twice.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
public class Housekeeping {

    static final int BATCH = 500;

    /** Running jobs whose lease expired or that ran past the lock timeout (job_running_idx). */
    static final String EXPIRED = """
            SELECT id FROM job
             WHERE status IN ('DISPATCHED', 'RUNNING')
               AND (lease_expires_at < CAST(?1 AS timestamptz) OR claimed_at < CAST(?2 AS timestamptz))
             ORDER BY id
             LIMIT ?3
            """;

    /** The same test for one job, locked; SKIP LOCKED: another node (or the worker) has it now. */
    static final String LOCK_IF_EXPIRED = """
            SELECT id FROM job
             WHERE id = ?1 AND status IN ('DISPATCHED', 'RUNNING')
               AND (lease_expires_at < CAST(?2 AS timestamptz) OR claimed_at < CAST(?3 AS timestamptz))
               FOR UPDATE SKIP LOCKED
            """;

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    Promoter promoter;

    @Inject
    AuditLog audit;

    /** SCHEDULED and RETRY_WAIT jobs that are due become PENDING. */
    public int promote() {
        return promoter.promoteDue(Time.now(clock), BATCH);
    }

    /**
     * Ends, as failed attempts, the runs whose lease expired (a worker that died) or that ran past
     * {@code perUserSerialization.lockTimeoutSeconds}: a failed attempt, retried at once while
     * retries remain (see {@code Job.loseWorker}); the slots are free at once.
     */
    public List<Long> expired() {
        OffsetDateTime now = Time.now(clock);
        int lockTimeout = em.find(Settings.class, Settings.ID).lockTimeoutSeconds();
        @SuppressWarnings("unchecked")
        List<Number> ids = em.createNativeQuery(EXPIRED)
                .setParameter(1, now)
                .setParameter(2, now.minusSeconds(lockTimeout))
                .setParameter(3, BATCH)
                .getResultList();
        return ids.stream().map(Number::longValue).toList();
    }

    /**
     * Ends one lost run, in a transaction of its own: several at once would take users', queues'
     * and the pool's locks out of order. A job with retries left is retried at once: it is PENDING
     * again when this transaction commits (two audit rows), so a dead worker's job is claimable
     * within one reaper period of its lease's end, without waiting for the promoter's next tick.
     */
    public boolean reap(long jobId) {
        OffsetDateTime now = Time.now(clock);
        int lockTimeout = em.find(Settings.class, Settings.ID).lockTimeoutSeconds();
        if (em.createNativeQuery(LOCK_IF_EXPIRED)
                .setParameter(1, jobId)
                .setParameter(2, now)
                .setParameter(3, now.minusSeconds(lockTimeout))
                .getResultList()
                .isEmpty()) {
            return false;
        }
        Job job = em.find(Job.class, jobId);
        boolean leaseLost = job.leaseExpiresAt() != null && job.leaseExpiresAt().isBefore(now);
        audit.record(job.loseWorker(
                leaseLost ? "lease expired" : "ran past the lock timeout of " + lockTimeout + " s", now));
        if (job.retryIsDue(now)) {
            audit.record(job.retryDue(now));
        }
        return true;
    }

    /**
     * Lifts quota blocks whose window has reset, skipping lanes another transaction holds: a claim
     * holds its lanes until it commits and may, in the same transaction, wait for a lane to mark it
     * exhausted again (at a window's reset, the very lanes this lifts), so waiting here could close
     * a cycle of waits that PostgreSQL breaks only after a second by failing one side. A skipped
     * lane loses nothing: the claim already passes a block in the past, and the next run lifts it.
     */
    static final String LIFT_QUOTA_BLOCKS = """
            UPDATE lane l SET quota_blocked_until = NULL
              FROM (SELECT user_id, queue, project_key, off_peak FROM lane
                     WHERE quota_blocked_until <= CAST(?1 AS timestamptz)
                       FOR NO KEY UPDATE SKIP LOCKED) due
             WHERE l.user_id = due.user_id AND l.queue = due.queue
               AND l.project_key = due.project_key AND l.off_peak = due.off_peak
            """;

    /** Lifts quota blocks whose window has reset; answers how many lanes it unblocked. */
    public int refreshUsage() {
        return em.createNativeQuery(LIFT_QUOTA_BLOCKS)
                .setParameter(1, Time.now(clock))
                .executeUpdate();
    }

    /**
     * Folds the deltas behind positions ({@code fq_compact_pending}), counts by status
     * ({@code fq_compact_counts}) and usage ({@code fq_compact_usage}) into their tables, so
     * readers sum a second's worth of deltas at most; answers how many deltas it folded.
     */
    public int compactCounts() {
        return ((Number) em.createNativeQuery("SELECT fq_compact_pending() + fq_compact_counts() + fq_compact_usage()")
                        .getSingleResult())
                .intValue();
    }

    /** Moves terminal jobs finished before the retention, with their transitions, to the archive. */
    public int archive(int retentionDays) {
        OffsetDateTime now = Time.now(clock);
        return ((Number) em.createNativeQuery("SELECT fq_archive(CAST(?1 AS timestamptz), CAST(?2 AS timestamptz), ?3)")
                        .setParameter(1, now.minusDays(retentionDays))
                        .setParameter(2, now)
                        .setParameter(3, BATCH)
                        .getSingleResult())
                .intValue();
    }

    /** Rolls the closed minutes since the last run up into the per-minute history (fq_roll_history). */
    public int rollHistory() {
        return ((Number) em.createNativeQuery("SELECT fq_roll_history(CAST(?1 AS timestamptz))")
                        .setParameter(1, Time.now(clock))
                        .getSingleResult())
                .intValue();
    }

    /** Deletes the per-minute history older than the retention. */
    public int pruneHistory(int retentionDays) {
        return ((Number) em.createNativeQuery("SELECT fq_prune_history(CAST(?1 AS timestamptz))")
                        .setParameter(1, Time.now(clock).minusDays(retentionDays))
                        .getSingleResult())
                .intValue();
    }
}
