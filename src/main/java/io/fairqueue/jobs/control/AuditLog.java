package io.fairqueue.jobs.control;

import io.fairqueue.jobs.entity.Transition;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;

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

    /** Many jobs changed in memory: their UPDATEs go first (one batch), then their rows. */
    public void recordAll(java.util.List<Transition> transitions) {
        em.flush();
        transitions.forEach(em::persist);
    }
}
