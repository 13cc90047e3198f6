package io.fairqueue.jobs.boundary;

import io.fairqueue.jobs.control.AuditLog;
import io.fairqueue.jobs.control.JobViews;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.security.control.Caller;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.OffsetDateTime;

/**
 * The worker protocol on a claimed job: start, heartbeat, complete, fail. Every call carries the
 * job's current {@code leaseToken}; the row is locked, the token compared, and a stale token
 * (the job was re-claimed) or a revoked lease (paused, cancelled, released) answers 409 and
 * changes nothing, so a late worker can never complete a job that runs elsewhere.
 */
@Stateless
public class LeaseService {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    AuditLog audit;

    @Inject
    JobViews views;

    public JobView start(Caller caller, long id, JobRequests.Lease r) {
        Job job = leased(id, r.leaseToken(), true);
        audit.record(job.start(Time.now(clock), caller.id()));
        return views.view(job);
    }

    public JobView.Heartbeat heartbeat(Caller caller, long id, JobRequests.Lease r) {
        Job job = leased(id, r.leaseToken(), false);
        OffsetDateTime now = Time.now(clock);
        if (job.status() == JobStatus.PAUSED || job.status() == JobStatus.CANCELLED) {
            return new JobView.Heartbeat(null, job.status() == JobStatus.PAUSED, job.status() == JobStatus.CANCELLED);
        }
        requireHeld(job);
        job.extendLease(now, em.find(Queue.class, job.queue()).leaseSeconds());
        em.createNativeQuery("UPDATE worker SET last_heartbeat_at = CAST(?1 AS timestamptz) WHERE id = ?2")
                .setParameter(1, now).setParameter(2, job.workerId()).executeUpdate();
        return new JobView.Heartbeat(job.leaseExpiresAt(), false, false);
    }

    public JobView complete(Caller caller, long id, JobRequests.Complete r) {
        Job job = leased(id, r.leaseToken(), true);
        audit.record(job.complete(r.result(), Time.now(clock), caller.id()));
        return views.view(job);
    }

    public JobView fail(Caller caller, long id, JobRequests.Fail r) {
        Job job = leased(id, r.leaseToken(), true);
        Queue queue = em.find(Queue.class, job.queue());
        audit.record(job.fail(r.error(), !Boolean.FALSE.equals(r.retryable()), queue.retryBaseDelaySeconds(),
                Time.now(clock), caller.id()));
        return views.view(job);
    }

    private Job leased(long id, String token, boolean mustHold) {
        Job job = em.find(Job.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (job == null) {
            throw ProblemException.notFound("job", id);
        }
        if (!job.holdsLease(token)) {
            throw ProblemException.stateConflict("stale-lease",
                    "leaseToken is not the current lease of job " + id + " (it was claimed again or never by you)",
                    job.status().name(), null);
        }
        if (mustHold) {
            requireHeld(job);
        }
        return job;
    }

    private static void requireHeld(Job job) {
        if (!job.status().holdsSlot()) {
            throw ProblemException.stateConflict("lease-revoked",
                    "the lease of job " + job.id() + " was revoked: the job is " + job.status(),
                    job.status().name(), job.status().allowedTargets().stream().map(Enum::name).sorted().toList());
        }
    }
}
