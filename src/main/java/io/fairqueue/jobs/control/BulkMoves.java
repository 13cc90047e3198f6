package io.fairqueue.jobs.control;

import io.fairqueue.platform.control.SqlArrays;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * An admin's bulk action on given jobs in one statement ({@code fq_bulk_move},
 * R__locks_and_bulk_moves.sql): the jobs move with their audit rows, taken with SKIP LOCKED, so a
 * job a worker or another admin holds right now is skipped rather than moved twice.
 */
@Dependent
public class BulkMoves {

    static final String MOVE =
            "SELECT job_id, new_job_id, skipped FROM fq_bulk_move(?1, CAST(?2 AS bigint[]), CAST(?3 AS integer),"
                    + " CAST(?4 AS timestamptz), ?5, ?6)";

    @PersistenceContext
    EntityManager em;

    /** One per given id: moved (with the retry's new job id), or skipped with why. */
    public record Outcome(long jobId, Long newJobId, String skipped) {}

    public List<Outcome> move(
            String action, List<Long> ids, Integer priority, OffsetDateTime now, String by, String reason) {
        em.flush();
        List<?> rows = em.createNativeQuery(MOVE)
                .setParameter(1, action)
                .setParameter(2, SqlArrays.of(ids.stream().map(String::valueOf).toList()))
                .setParameter(3, priority)
                .setParameter(4, now)
                .setParameter(5, by)
                .setParameter(6, reason)
                .getResultList();
        return rows.stream()
                .map(r -> (Object[]) r)
                .map(r -> new Outcome(
                        ((Number) r[0]).longValue(), r[1] == null ? null : ((Number) r[1]).longValue(), (String) r[2]))
                .toList();
    }
}
