package io.fairqueue.jobs.control;

import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;

/**
 * Makes due jobs PENDING: RETRY_WAIT whose backoff has elapsed, SCHEDULED whose start time has
 * come, with their audit rows ({@code fq_promote}, R__locks_and_bulk_moves.sql). Every node may run it at once:
 * jobs are taken with {@code SKIP LOCKED} and their users locked in id order. Uses
 * {@code job_retry_due_idx} and {@code job_scheduled_due_idx}.
 */
@Dependent
public class Promoter {

    static final String PROMOTE = "SELECT fq_promote(CAST(?1 AS timestamptz), ?2)";

    @PersistenceContext
    EntityManager em;

    /** Promotes up to {@code limit} due jobs of each kind; answers how many moved. */
    public int promoteDue(OffsetDateTime now, int limit) {
        return ((Number) em.createNativeQuery(PROMOTE)
                        .setParameter(1, now)
                        .setParameter(2, limit)
                        .getSingleResult())
                .intValue();
    }
}
