package io.fairqueue.timers.boundary;

import io.fairqueue.platform.control.SqlArrays;
import jakarta.ejb.Stateless;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.List;

/**
 * Counts behind the queue MXBeans, from the status counters ({@code fq_counts}: exact, and a read
 * of a few counter rows rather than of the queue's jobs).
 */
@Stateless
public class QueueCounts {

    @PersistenceContext
    EntityManager em;

    public List<String> queueNames() {
        return em.createQuery("SELECT q.name FROM Queue q ORDER BY q.name", String.class)
                .getResultList();
    }

    /** How many jobs of {@code queue} are in any of {@code statuses}: one read of the counters. */
    public long count(String queue, String... statuses) {
        return ((Number) em.createNativeQuery(
                                "SELECT coalesce(sum(n), 0) FROM fq_counts(?1) WHERE status = ANY (CAST(?2 AS text[]))")
                        .setParameter(1, queue)
                        .setParameter(2, SqlArrays.of(List.of(statuses)))
                        .getSingleResult())
                .longValue();
    }
}
