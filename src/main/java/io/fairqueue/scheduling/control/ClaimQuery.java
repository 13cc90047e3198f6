package io.fairqueue.scheduling.control;

import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.Query;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * The claim: ONE statement picks the next PENDING jobs in order (priority desc, created_at, id)
 * with {@code FOR UPDATE SKIP LOCKED}, makes them DISPATCHED with a fresh lease token and lease
 * expiry, counts the attempt, and writes their PENDING -> DISPATCHED audit rows. Concurrent
 * claimers on any number of nodes lock disjoint rows, so no job is handed out twice.
 *
 * <p>Relies on {@code job_pending_order_idx} (priority DESC, created_at, id) WHERE status =
 * 'PENDING', or {@code job_pending_user_order_idx} when claiming for one user: the scan stops
 * after the first eligible rows, whatever the backlog.
 */
@Dependent
public class ClaimQuery {

    private static final String CLAIM = """
            WITH picked AS (
                SELECT j.id FROM job j
                 WHERE j.status = 'PENDING'
                   AND NOT (SELECT q.paused FROM queue q WHERE q.name = j.queue)
                   %s
                 ORDER BY j.priority DESC, j.created_at, j.id
                 LIMIT ?3
                   FOR UPDATE OF j SKIP LOCKED
            ), claimed AS (
                UPDATE job j
                   SET status = 'DISPATCHED', worker_id = ?1, lease_token = gen_random_uuid()::text,
                       lease_expires_at = CAST(?2 AS timestamptz) + make_interval(secs => q.lease_seconds),
                       claimed_at = CAST(?2 AS timestamptz), started_at = NULL, attempts = j.attempts + 1,
                       next_retry_at = NULL, version = j.version + 1
                  FROM picked p, queue q
                 WHERE j.id = p.id AND q.name = j.queue
                RETURNING j.*
            ), audit AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT id, 'PENDING', 'DISPATCHED', CAST(?2 AS timestamptz), ?4, 'claimed by worker ' || ?1 FROM claimed
            )
            SELECT * FROM claimed ORDER BY priority DESC, created_at, id
            """;

    static {
        if (!JobStatus.PENDING.canMoveTo(JobStatus.DISPATCHED)) {
            throw new IllegalStateException("the claim statement no longer matches the state machine");
        }
    }

    @PersistenceContext
    EntityManager em;

    /**
     * Claims up to {@code limit} jobs for {@code workerId}.
     *
     * @param queues      only these queues; null or empty = every queue
     * @param userId      only this user's jobs; null = every user
     * @param triggeredBy the claiming account, recorded in the audit rows (null = system)
     */
    @SuppressWarnings("unchecked")
    public List<Job> claim(String workerId, List<String> queues, String userId, int limit, OffsetDateTime now,
            String triggeredBy) {
        StringBuilder filters = new StringBuilder();
        int next = 5;
        if (userId != null) {
            filters.append(" AND j.user_id = ?").append(next++);
        }
        int firstQueue = next;
        if (queues != null && !queues.isEmpty()) {
            filters.append(" AND j.queue IN (");
            for (int i = 0; i < queues.size(); i++) {
                filters.append(i == 0 ? "?" : ", ?").append(next++);
            }
            filters.append(")");
        }
        Query q = em.createNativeQuery(String.format(CLAIM, filters), Job.class)
                .setParameter(1, workerId)
                .setParameter(2, now)
                .setParameter(3, limit)
                .setParameter(4, triggeredBy);
        if (userId != null) {
            q.setParameter(5, userId);
        }
        if (queues != null) {
            for (int i = 0; i < queues.size(); i++) {
                q.setParameter(firstQueue + i, queues.get(i));
            }
        }
        return q.getResultList();
    }
}
