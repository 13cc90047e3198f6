package io.fairqueue.jobs.control;

import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;

/**
 * Makes due jobs PENDING: RETRY_WAIT whose backoff has elapsed, SCHEDULED whose start time has
 * come. One statement each moves the rows and writes their audit rows; {@code SKIP LOCKED} lets
 * every node run it at once without waiting on or double-moving a row. Uses
 * {@code job_retry_due_idx} and {@code job_scheduled_due_idx}.
 */
@Dependent
public class Promoter {

    static final String PROMOTE_RETRIES = """
            WITH due AS (
                SELECT id FROM job
                 WHERE status = 'RETRY_WAIT' AND next_retry_at <= CAST(?1 AS timestamptz)
                 ORDER BY next_retry_at
                 LIMIT ?2
                   FOR UPDATE SKIP LOCKED
            ), moved AS (
                UPDATE job j SET status = 'PENDING', next_retry_at = NULL, version = j.version + 1
                  FROM due WHERE j.id = due.id
                RETURNING j.id
            ), audit AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT id, 'RETRY_WAIT', 'PENDING', CAST(?1 AS timestamptz), NULL, 'retry backoff elapsed' FROM moved
            )
            SELECT count(*) FROM moved
            """;

    static final String PROMOTE_SCHEDULED = """
            WITH due AS (
                SELECT id FROM job
                 WHERE status = 'SCHEDULED' AND scheduled_start_at <= CAST(?1 AS timestamptz)
                 ORDER BY scheduled_start_at
                 LIMIT ?2
                   FOR UPDATE SKIP LOCKED
            ), moved AS (
                UPDATE job j SET status = 'PENDING', version = j.version + 1
                  FROM due WHERE j.id = due.id
                RETURNING j.id
            ), audit AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT id, 'SCHEDULED', 'PENDING', CAST(?1 AS timestamptz), NULL, 'start time reached' FROM moved
            )
            SELECT count(*) FROM moved
            """;

    @PersistenceContext
    EntityManager em;

    /** Promotes up to {@code limit} due jobs of each kind; answers how many moved. */
    public int promoteDue(OffsetDateTime now, int limit) {
        return run(PROMOTE_RETRIES, now, limit) + run(PROMOTE_SCHEDULED, now, limit);
    }

    private int run(String sql, OffsetDateTime now, int limit) {
        return ((Number) em.createNativeQuery(sql).setParameter(1, now).setParameter(2, limit).getSingleResult())
                .intValue();
    }
}
