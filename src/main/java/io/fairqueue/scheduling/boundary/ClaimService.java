package io.fairqueue.scheduling.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.control.FairQueueMetrics;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.policies.control.OffPeakWindows;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.scheduling.control.ClaimQuery;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.User;
import io.fairqueue.workers.entity.Worker;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * Hands the next jobs to a worker: one call of {@code fq_claim} dispatches up to {@code limit}
 * PENDING jobs, fairly and within every limit (see {@link ClaimQuery}). Due retries and
 * scheduled starts become PENDING by the Promoter timer, within a second.
 */
@Stateless
public class ClaimService {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    ClaimQuery claims;

    @Inject
    OffPeakWindows offPeak;

    @Inject
    FairQueueMetrics metrics;

    /** What a claim request resolves to once checked: checked once per long poll, not per attempt. */
    public record Target(
            Worker worker, List<String> queues, String userId, int limit, String triggeredBy, boolean start) {}

    public List<JobView> claim(Caller caller, ClaimRequest r) {
        return claim(resolve(caller, r));
    }

    /**
     * Checks a claim request: the worker exists and belongs to the caller, the named queues and
     * user exist. A 400 or 403 names the field.
     */
    public Target resolve(Caller caller, ClaimRequest r) {
        Worker worker = em.find(Worker.class, r.workerId());
        if (worker == null) {
            throw badRequest(
                    "workerId", "unknown worker '" + r.workerId() + "'; register it with POST /api/v1/workers");
        }
        if (!caller.isAdmin() && !worker.ownerId().equals(caller.id())) {
            throw ProblemException.forbidden("worker '" + r.workerId() + "' belongs to another account");
        }
        List<String> queues = r.queues() != null && !r.queues().isEmpty() ? r.queues() : worker.queues();
        if (r.queues() != null) {
            for (String q : r.queues()) {
                if (em.find(Queue.class, q) == null) {
                    throw badRequest("queues", "unknown queue '" + q + "'");
                }
            }
        }
        if (r.userId() != null && em.find(User.class, r.userId()) == null) {
            throw badRequest("userId", "unknown user '" + r.userId() + "'");
        }
        return new Target(
                worker,
                queues,
                r.userId(),
                r.limit() == null ? 1 : r.limit(),
                caller.id(),
                Boolean.TRUE.equals(r.start()));
    }

    /** Claims for a checked request (each attempt of a long poll). */
    public List<JobView> claim(Target t) {
        return claim(t.worker(), t.queues(), t.userId(), t.limit(), t.triggeredBy(), t.start());
    }

    /**
     * Claims up to {@code limit} jobs for a registered worker (also the Java entry point, see
     * {@link SchedulingService}). The claim is also the worker's heartbeat, written in the same
     * statement (see {@link ClaimQuery}).
     *
     * @param triggeredBy the account recorded in the audit rows; null = the system
     */
    public List<JobView> claim(Worker worker, List<String> queues, String userId, int limit, String triggeredBy) {
        return claim(worker, queues, userId, limit, triggeredBy, false);
    }

    /** As above; with {@code start} the jobs go straight to RUNNING (the one-call worker protocol). */
    public List<JobView> claim(
            Worker worker, List<String> queues, String userId, int limit, String triggeredBy, boolean start) {
        OffsetDateTime now = Time.now(clock);
        List<Job> jobs = claims.claim(worker.id(), queues, userId, limit, now, offPeak.isOpen(now), triggeredBy, start);
        metrics.claimed(jobs.size());
        return jobs.stream()
                .map(j -> JobView.of(j, JobView.Placement.NONE, j.leaseToken()))
                .toList();
    }
}
