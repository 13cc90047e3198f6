package io.fairqueue.queues.control;

import io.fairqueue.queues.boundary.QueueView;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Queue statistics. Counts by status come from the status counters ({@code fq_counts}, exact
 * without counting the queue's jobs, as {@code GET /queue} reads them); the 24-hour figures use
 * {@code job_finished_idx} (queue, status, finished_at).
 */
@Dependent
public class QueueStatsQuery {

    @PersistenceContext
    EntityManager em;

    public QueueView.Stats stats(String queue, OffsetDateTime now) {
        Map<String, Long> counts = new TreeMap<>();
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("SELECT status, sum(n) FROM fq_counts(?1) GROUP BY status")
                .setParameter(1, queue)
                .getResultList();
        for (Object[] row : rows) {
            counts.put((String) row[0], ((Number) row[1]).longValue());
        }
        Object[] recent = (Object[]) em.createNativeQuery("""
                SELECT avg(extract(epoch FROM claimed_at - coalesce(scheduled_start_at, created_at))),
                       avg(actual_duration_secs),
                       count(*) FILTER (WHERE finished_at >= ?3)
                  FROM job
                 WHERE queue = ?1 AND status = 'COMPLETED' AND finished_at >= ?2
                """)
                .setParameter(1, queue)
                .setParameter(2, now.minusHours(24))
                .setParameter(3, now.minusHours(1))
                .getSingleResult();
        return new QueueView.Stats(
                queue,
                counts,
                counts.getOrDefault("FAILED", 0L),
                toDouble(recent[0]),
                toDouble(recent[1]),
                ((Number) recent[2]).longValue());
    }

    private static Double toDouble(Object o) {
        return o == null ? null : ((Number) o).doubleValue();
    }
}
