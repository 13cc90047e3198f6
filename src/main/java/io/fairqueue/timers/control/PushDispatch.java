package io.fairqueue.timers.control;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.jobs.control.AuditLog;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.control.Time;
import io.fairqueue.scheduling.boundary.ClaimService;
import io.fairqueue.workers.entity.Worker;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.util.List;

/** The dispatcher's database steps, each its own transaction; the HTTP push happens between them. */
@Stateless
@TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
public class PushDispatch {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    ClaimService claims;

    @Inject
    AuditLog audit;

    /** Workers registered with a callback URL. */
    public List<Worker> pushWorkers() {
        return em.createQuery("SELECT w FROM Worker w WHERE w.callbackUrl IS NOT NULL ORDER BY w.id", Worker.class)
                .getResultList();
    }

    /**
     * Claims for the worker up to its free capacity (capacity minus its running jobs). The worker's
     * row is locked first, so two nodes dispatching at the same moment cannot both see the same
     * free capacity; the one that finds it locked skips this worker until its next tick.
     */
    public List<JobView> claimFor(Worker worker, int max) {
        if (em.createNativeQuery("SELECT id FROM worker WHERE id = ?1 FOR NO KEY UPDATE SKIP LOCKED")
                .setParameter(1, worker.id())
                .getResultList()
                .isEmpty()) {
            return List.of();
        }
        long running = ((Number) em.createNativeQuery(
                                "SELECT count(*) FROM job WHERE worker_id = ?1 AND status IN ('DISPATCHED', 'RUNNING')")
                        .setParameter(1, worker.id())
                        .getSingleResult())
                .longValue();
        int free = (int) Math.min(max, worker.capacity() - running);
        return free <= 0 ? List.of() : claims.claim(worker, worker.queues(), null, free, null);
    }

    /** The push failed: back to PENDING, if the job is still this dispatch's and not started. */
    public boolean release(long jobId, String leaseToken, String reason) {
        Job job = em.find(Job.class, jobId, LockModeType.PESSIMISTIC_WRITE);
        if (job == null || !job.holdsLease(leaseToken) || job.status() != JobStatus.DISPATCHED) {
            return false;
        }
        audit.record(job.release(Time.now(clock), null, reason));
        return true;
    }
}
