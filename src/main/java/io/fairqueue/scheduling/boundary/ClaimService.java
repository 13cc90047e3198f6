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

    public List<JobView> claim(Caller caller, ClaimRequest r) {
        Worker worker = em.find(Worker.class, r.workerId());
        if (worker == null) {
            throw badRequest("workerId", "unknown worker '" + r.workerId() + "'; register it with POST /api/v1/workers");
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
        return claim(worker, queues, r.userId(), r.limit() == null ? 1 : r.limit(), caller.id());
    }

    /**
     * Claims up to {@code limit} jobs for a registered worker (also the Java entry point, see
     * {@link SchedulingService}).
     *
     * @param triggeredBy the account recorded in the audit rows; null = the system
     */
    public List<JobView> claim(Worker worker, List<String> queues, String userId, int limit, String triggeredBy) {
        OffsetDateTime now = Time.now(clock);
        List<Job> jobs = claims.claim(worker.id(), queues, userId, limit, now, offPeak.isOpen(now), triggeredBy);
        metrics.claimed(jobs.size());
        // A claim is a heartbeat; written at most once a second per worker, so that a waiting worker
        // (long poll) retrying its claim does not write a row each time.
        em.createNativeQuery("UPDATE worker SET last_heartbeat_at = CAST(?1 AS timestamptz)"
                        + " WHERE id = ?2 AND last_heartbeat_at < CAST(?1 AS timestamptz) - interval '1 second'")
                .setParameter(1, now).setParameter(2, worker.id()).executeUpdate();
        return jobs.stream().map(j -> JobView.of(j, JobView.Placement.NONE, j.leaseToken())).toList();
    }
}
