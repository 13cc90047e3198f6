package io.fairqueue.queues.control;

import io.fairqueue.queues.boundary.HistoryView;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Reads the per-minute rollup (job_minute, written by the History timer, R__history.sql): one
 * primary-key range of at most 1,440 rows, never the job table. Buckets without a row are zeros.
 * A bucket of several minutes sums their counts, takes the depth of its last minute that has one,
 * the completed-and-failed-weighted mean of the minutes' p50s and the largest of their p95s (an
 * upper bound: percentiles of minutes do not combine exactly).
 */
@Dependent
public class HistoryQuery {

    public static final String READ = """
            SELECT g.b,
                   coalesce(sum(m.completed), 0), coalesce(sum(m.failed), 0),
                   (array_agg(m.pending_depth ORDER BY m.minute DESC) FILTER (WHERE m.pending_depth IS NOT NULL))[1],
                   round(sum(m.wait_p50_ms * (m.completed + m.failed))
                         / nullif(sum(m.completed + m.failed) FILTER (WHERE m.wait_p50_ms IS NOT NULL), 0)),
                   max(m.wait_p95_ms),
                   round(sum(m.run_p50_ms * (m.completed + m.failed))
                         / nullif(sum(m.completed + m.failed) FILTER (WHERE m.run_p50_ms IS NOT NULL), 0)),
                   max(m.run_p95_ms)
              FROM generate_series(CAST(?1 AS timestamptz), CAST(?2 AS timestamptz) - make_interval(secs => ?3),
                                   make_interval(secs => ?3)) g(b)
              LEFT JOIN job_minute m
                ON m.queue = ?4 AND m.minute >= g.b AND m.minute < g.b + make_interval(secs => ?3)
               AND m.minute >= CAST(?1 AS timestamptz) AND m.minute < CAST(?2 AS timestamptz)
             GROUP BY g.b
             ORDER BY g.b
            """;

    @PersistenceContext
    EntityManager em;

    /** The buckets of {@code bucketSeconds} in [from, to) of one queue, or of all ({@code "*"}). */
    public List<HistoryView.Point> points(
            String queueOrStar, OffsetDateTime from, OffsetDateTime to, int bucketSeconds) {
        List<?> rows = em.createNativeQuery(READ)
                .setParameter(1, from)
                .setParameter(2, to)
                .setParameter(3, bucketSeconds)
                .setParameter(4, queueOrStar)
                .getResultList();
        return rows.stream()
                .map(r -> (Object[]) r)
                .map(r -> new HistoryView.Point(
                        time(r[0]),
                        ((Number) r[1]).longValue(),
                        ((Number) r[2]).longValue(),
                        lng(r[3]),
                        lng(r[4]),
                        lng(r[5]),
                        lng(r[6]),
                        lng(r[7])))
                .toList();
    }

    private static OffsetDateTime time(Object o) {
        if (o instanceof java.sql.Timestamp ts) {
            return ts.toInstant().atOffset(ZoneOffset.UTC);
        }
        return ((OffsetDateTime) o).withOffsetSameInstant(ZoneOffset.UTC);
    }

    private static Long lng(Object o) {
        return o == null ? null : ((Number) o).longValue();
    }
}
