package io.fairqueue.scheduling.control;

import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.control.SqlArrays;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * The claim: one call of {@code fq_claim} ({@code db/functions/R__claim.sql}, which explains the
 * order and the locks) and the worker's heartbeat, one round trip. It walks the lanes in fairness
 * order through {@code lane_claim_idx} (priority desc, the user's running count, age), locks the
 * chosen jobs with {@code SKIP LOCKED}, checks the user's, the queue's and the global limit under
 * their counters' row locks, the quotas and the off-peak window, and dispatches: a fresh lease
 * token, the lease expiry, the attempt, and the PENDING -> DISPATCHED audit row; with
 * {@code start}, straight on to RUNNING with its DISPATCHED -> RUNNING audit row too.
 */
@Dependent
public class ClaimQuery {

    /**
     * A claim is a heartbeat of its worker: the worker's row is written in the same statement (at
     * most once a second, so that a waiting worker retrying its claim does not write a row each
     * time). A data-modifying WITH runs to completion whether or not the query reads it.
     */
    static final String CLAIM = """
            WITH beat AS (
                UPDATE worker SET last_heartbeat_at = CAST(?5 AS timestamptz)
                 WHERE id = ?1 AND last_heartbeat_at < CAST(?5 AS timestamptz) - interval '1 second')
            SELECT * FROM fq_claim(?1, CAST(?2 AS text[]), ?3, ?4, CAST(?5 AS timestamptz), ?6, ?7, ?8)
            """;

    static {
        if (!JobStatus.PENDING.canMoveTo(JobStatus.DISPATCHED) || !JobStatus.DISPATCHED.canMoveTo(JobStatus.RUNNING)) {
            throw new IllegalStateException("fq_claim no longer matches the state machine");
        }
    }

    @PersistenceContext
    EntityManager em;

    /**
     * Claims up to {@code limit} jobs for {@code workerId}.
     *
     * @param queues       only these queues; null or empty = every queue
     * @param userId       only this user's jobs; null = every user
     * @param offPeakOpen  whether off-peak-only jobs may run now
     * @param triggeredBy  the claiming account, recorded in the audit rows (null = system)
     * @param start        claim straight into RUNNING (the one-call worker protocol)
     */
    @SuppressWarnings("unchecked")
    public List<Job> claim(
            String workerId,
            List<String> queues,
            String userId,
            int limit,
            OffsetDateTime now,
            boolean offPeakOpen,
            String triggeredBy,
            boolean start) {
        return em.createNativeQuery(CLAIM, Job.class)
                .setParameter(1, workerId)
                .setParameter(2, queues == null || queues.isEmpty() ? null : SqlArrays.of(queues))
                .setParameter(3, userId)
                .setParameter(4, limit)
                .setParameter(5, now)
                .setParameter(6, triggeredBy)
                .setParameter(7, offPeakOpen)
                .setParameter(8, start)
                .getResultList();
    }
}
