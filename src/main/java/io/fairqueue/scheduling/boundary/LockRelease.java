package io.fairqueue.scheduling.boundary;

import io.fairqueue.jobs.control.AuditLog;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.control.Time;
import io.fairqueue.queues.entity.Queue;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;

/**
 * Ends one running attempt by an admin's hand, in its own transaction: ending several in one
 * would take the users', queues' and the pool's locks out of order.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
public class LockRelease {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    AuditLog audit;

    /** False when the job ended meanwhile. The admin's reason, when given, follows the fixed text. */
    public boolean release(long jobId, String adminId, String reason) {
        Job job = em.find(Job.class, jobId, LockModeType.PESSIMISTIC_WRITE);
        if (job == null || !job.status().holdsSlot()) {
            return false;
        }
        Queue queue = em.find(Queue.class, job.queue());
        audit.record(job.fail(
                "lock released by admin " + adminId + (reason == null ? "" : ": " + reason),
                true,
                queue.retryBaseDelaySeconds(),
                Time.now(clock),
                adminId));
        return true;
    }
}
