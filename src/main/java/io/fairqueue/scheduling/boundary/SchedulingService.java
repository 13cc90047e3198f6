package io.fairqueue.scheduling.boundary;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.jobs.control.JobViews;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.users.boundary.UserService;
import io.fairqueue.users.entity.User;
import io.fairqueue.workers.entity.Worker;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.List;
import java.util.Optional;

/**
 * Seed 000's TaskQueueService methods for Java callers in the same application: running and
 * pending counts, claim the next job of one user or across users (fairly, within every limit),
 * and a job's position in its user's queue. Claims take work from the worker's registered queues
 * and are audited as the system's.
 */
@Stateless
public class SchedulingService {

    @PersistenceContext
    EntityManager em;

    @Inject
    UserService users;

    @Inject
    ClaimService claims;

    @Inject
    JobViews views;

    /** DISPATCHED + RUNNING jobs of the user (a counter, not a scan). */
    public int runningCount(String userId) {
        return user(userId).running();
    }

    /** PENDING jobs of the user (counts and deltas, not a scan). */
    public int pendingCount(String userId) {
        user(userId);
        return (int) users.pending(userId);
    }

    /** The user's next job, if the user's limits, quotas and queues allow one now. */
    public Optional<JobView> claimNextTaskForUser(String workerId, String userId) {
        user(userId);
        Worker worker = worker(workerId);
        return first(claims.claim(worker, worker.queues(), userId, 1, null));
    }

    /** The next job across all users: priority, then the user with fewer running jobs, then age. */
    public Optional<JobView> claimNextTaskAnyUser(String workerId) {
        Worker worker = worker(workerId);
        return first(claims.claim(worker, worker.queues(), null, 1, null));
    }

    /** The job's position among its user's PENDING jobs (1 = next), or empty when it is not PENDING. */
    public Optional<Long> queuePosition(long jobId) {
        Job job = em.find(Job.class, jobId);
        if (job == null) {
            throw ProblemException.notFound("job", jobId);
        }
        return Optional.ofNullable(views.view(job).userPosition());
    }

    private static Optional<JobView> first(List<JobView> claimed) {
        return claimed.stream().findFirst();
    }

    private User user(String id) {
        User u = em.find(User.class, id);
        if (u == null) {
            throw ProblemException.notFound("user", id);
        }
        return u;
    }

    private Worker worker(String id) {
        Worker w = em.find(Worker.class, id);
        if (w == null) {
            throw ProblemException.notFound("worker", id);
        }
        return w;
    }
}
