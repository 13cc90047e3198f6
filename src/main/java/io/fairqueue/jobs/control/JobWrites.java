package io.fairqueue.jobs.control;

import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.control.SqlArrays;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Writes jobs that the state machine moved in memory (start, complete) back in one UPDATE, instead
 * of one per job: the job trigger (per statement, R__job_changes.sql) then takes the counters, lanes and
 * usage once for the whole batch. The caller holds the jobs' row locks; the entities are detached
 * first, so the persistence context does not write them a second time.
 */
@Dependent
public class JobWrites {

    static final String UPDATE = """
            UPDATE job j
               SET status = m.status, started_at = m.started_at, finished_at = m.finished_at,
                   actual_duration_secs = m.duration, lease_expires_at = m.lease_expires_at,
                   result = CAST(m.result AS jsonb), version = j.version + 1
              FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS text[]), CAST(?3 AS timestamptz[]),
                          CAST(?4 AS timestamptz[]), CAST(?5 AS float8[]), CAST(?6 AS timestamptz[]),
                          CAST(?7 AS text[])) AS m(id, status, started_at, finished_at, duration, lease_expires_at, result)
             WHERE j.id = m.id
            """;

    @PersistenceContext
    EntityManager em;

    /**
     * The fields that starting and completing change: status, started_at, finished_at,
     * actual_duration_secs, lease_expires_at, result (and the version).
     *
     * @return the number of rows written
     */
    public int writeStartedOrCompleted(List<Job> jobs) {
        if (jobs.isEmpty()) {
            return 0;
        }
        jobs.forEach(em::detach);
        return em.createNativeQuery(UPDATE)
                .setParameter(1, array(jobs, j -> String.valueOf(j.id())))
                .setParameter(2, array(jobs, j -> j.status().name()))
                .setParameter(3, array(jobs, j -> text(j.startedAt())))
                .setParameter(4, array(jobs, j -> text(j.finishedAt())))
                .setParameter(
                        5,
                        array(
                                jobs,
                                j -> j.actualDurationSecs() == null
                                        ? null
                                        : j.actualDurationSecs().toString()))
                .setParameter(6, array(jobs, j -> text(j.leaseExpiresAt())))
                .setParameter(7, array(jobs, Job::result))
                .executeUpdate();
    }

    private static String array(List<Job> jobs, Function<Job, String> field) {
        List<String> values = new ArrayList<>(jobs.size());
        jobs.forEach(j -> values.add(field.apply(j)));
        return SqlArrays.of(values);
    }

    private static String text(OffsetDateTime t) {
        return t == null ? null : t.toString();
    }
}
