package io.fairqueue.timers.boundary;

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

    public long count(String queue, String status) {
        return ((Number) em.createNativeQuery("SELECT coalesce(sum(n), 0) FROM fq_counts(?1) WHERE status = ?2")
                        .setParameter(1, queue)
                        .setParameter(2, status)
                        .getSingleResult())
                .longValue();
    }
}
