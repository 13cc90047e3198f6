package io.fairqueue.jobs.control;

import io.fairqueue.jobs.entity.Transition;
import io.fairqueue.platform.control.SqlArrays;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a job's transition row right after its status change reached the database, in the same
 * transaction: the job's UPDATE (whose trigger takes the user's counter lock) is flushed first, so
 * audit ids follow the order in which limits were taken and released.
 */
@Dependent
public class AuditLog {

    @PersistenceContext
    EntityManager em;

    public void record(Transition transition) {
        em.flush();
        em.persist(transition);
    }

    /**
     * Many jobs changed in memory: their UPDATEs go first (one JDBC batch), then all their rows in
     * one INSERT (persisting them one by one would cost a round trip each, for the identity).
     */
    public void recordAll(List<Transition> transitions) {
        em.flush();
        if (transitions.isEmpty()) {
            return;
        }
        List<String> jobs = new ArrayList<>();
        List<String> from = new ArrayList<>();
        List<String> to = new ArrayList<>();
        List<String> at = new ArrayList<>();
        List<String> by = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (Transition t : transitions) {
            jobs.add(t.jobId().toString());
            from.add(t.from() == null ? null : t.from().name());
            to.add(t.to().name());
            at.add(t.at().toString());
            by.add(t.triggeredBy());
            reasons.add(t.reason());
        }
        em.createNativeQuery("""
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT job_id, from_status, to_status, at, triggered_by, reason
                  FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS text[]), CAST(?3 AS text[]),
                              CAST(?4 AS timestamptz[]), CAST(?5 AS text[]), CAST(?6 AS text[]))
                       WITH ORDINALITY AS t(job_id, from_status, to_status, at, triggered_by, reason, ord)
                 ORDER BY ord""")
                .setParameter(1, SqlArrays.of(jobs))
                .setParameter(2, SqlArrays.of(from))
                .setParameter(3, SqlArrays.of(to))
                .setParameter(4, SqlArrays.of(at))
                .setParameter(5, SqlArrays.of(by))
                .setParameter(6, SqlArrays.of(reasons))
                .executeUpdate();
    }
}
