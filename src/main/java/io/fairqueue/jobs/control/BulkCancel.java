package io.fairqueue.jobs.control;

import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;

/**
 * "Clear a queue": every waiting job (PENDING, SCHEDULED, RETRY_WAIT, PAUSED) becomes CANCELLED,
 * with its audit row ({@code fq_cancel_waiting}, R__locks_and_bulk_moves.sql). Nothing is
 * deleted. A job that another transaction holds at that instant (being claimed or paused) is left
 * alone. Uses {@code job_finished_idx} (queue, status, finished_at).
 */
@Dependent
public class BulkCancel {

    static final String CANCEL_WAITING = "SELECT fq_cancel_waiting(?1, ?2, CAST(?3 AS timestamptz), ?4)";

    @PersistenceContext
    EntityManager em;

    public int cancelWaiting(String queue, String userIdOrNull, OffsetDateTime now, String by) {
        return ((Number) em.createNativeQuery(CANCEL_WAITING)
                        .setParameter(1, queue)
                        .setParameter(2, userIdOrNull)
                        .setParameter(3, now)
                        .setParameter(4, by)
                        .getSingleResult())
                .intValue();
    }
}
