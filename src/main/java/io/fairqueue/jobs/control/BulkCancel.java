package io.fairqueue.jobs.control;

import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;

/**
 * "Clear a queue": every waiting job (PENDING, SCHEDULED, RETRY_WAIT, PAUSED) becomes CANCELLED,
 * with its audit row, in one statement. Nothing is deleted. Rows are locked in id order and
 * re-checked after any wait, so a job claimed meanwhile is left alone. Uses
 * {@code job_queue_status_idx}.
 */
@Dependent
public class BulkCancel {

    static final String CANCEL_WAITING = """
            WITH picked AS (
                SELECT id, status FROM job
                 WHERE queue = ?1 AND status IN ('PENDING', 'SCHEDULED', 'RETRY_WAIT', 'PAUSED')
                   AND (CAST(?2 AS text) IS NULL OR user_id = ?2)
                 ORDER BY id
                   FOR UPDATE
            ), moved AS (
                UPDATE job j SET status = 'CANCELLED', finished_at = CAST(?3 AS timestamptz),
                                 next_retry_at = NULL, version = j.version + 1
                  FROM picked p WHERE j.id = p.id
                RETURNING j.id, p.status AS from_status
            ), audit AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT id, from_status, 'CANCELLED', CAST(?3 AS timestamptz), ?4, 'queue cleared' FROM moved
            )
            SELECT count(*) FROM moved
            """;

    @PersistenceContext
    EntityManager em;

    public int cancelWaiting(String queue, String userIdOrNull, OffsetDateTime now, String by) {
        return ((Number) em.createNativeQuery(CANCEL_WAITING)
                .setParameter(1, queue)
                .setParameter(2, userIdOrNull)
                .setParameter(3, now)
                .setParameter(4, by)
                .getSingleResult()).intValue();
    }
}
