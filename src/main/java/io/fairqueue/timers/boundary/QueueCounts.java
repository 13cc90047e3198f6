package io.fairqueue.timers.boundary;

import jakarta.ejb.Stateless;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.List;

/** Counts behind the queue MXBeans ({@code job_finished_idx}: queue, status, finished_at). */
@Stateless
public class QueueCounts {

    @PersistenceContext
    EntityManager em;

    public List<String> queueNames() {
        return em.createQuery("SELECT q.name FROM Queue q ORDER BY q.name", String.class)
                .getResultList();
    }

    public long count(String queue, String status) {
        return ((Number) em.createNativeQuery("SELECT count(*) FROM job WHERE queue = ?1 AND status = ?2")
                        .setParameter(1, queue)
                        .setParameter(2, status)
                        .getSingleResult())
                .longValue();
    }
}
