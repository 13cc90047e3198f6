package io.fairqueue.jobs.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.jobs.control.AuditLog;
import io.fairqueue.jobs.control.BulkCancel;
import io.fairqueue.jobs.control.BulkMoves;
import io.fairqueue.jobs.control.JobSearch;
import io.fairqueue.jobs.control.JobViews;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.jobs.entity.Transition;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.boundary.QueueView;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.security.control.Caller;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;

/**
 * Jobs as their owners and admins see them: look up, list, pause, resume, cancel, audit log,
 * dead letters, retry-as-new, clear a queue ({@link JobSubmission} creates them). A USER sees only its own jobs; another
 * user's job answers 404, as if it did not exist.
 */
@Stateless
public class JobService {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    AuditLog audit;

    @Inject
    JobViews views;

    @Inject
    BulkCancel bulkCancel;

    @Inject
    JobSearch search;

    @Inject
    BulkMoves bulkMoves;

    public JobView get(Caller caller, long id) {
        return view(visible(caller, id, LockModeType.NONE, false));
    }

    /** One page of jobs matching the filter, newest first (see {@link JobSearch} for the bounded filters). */
    public JobView.Page list(Caller caller, JobSearch.Filter filter, int limit, String cursor) {
        JobSearch.Where where = JobSearch.where(filter.withUserId(owner(caller, filter.userId(), "list")));
        if (cursor != null) {
            where.idBelow(decodeCursor(cursor));
        }
        List<Job> rows = search.jobs(where, "j.id DESC", limit + 1);
        List<JobView> items = rows.stream().limit(limit).map(JobView::of).toList();
        String next = rows.size() > limit ? encodeCursor(rows.get(limit - 1).id()) : null;
        return new JobView.Page(items, next);
    }

    /** A USER's own id (403 when it names another user); anyone else's choice. */
    private static String owner(Caller caller, String userId, String what) {
        if (caller.role() == io.fairqueue.users.entity.Role.USER) {
            if (userId != null && !userId.equals(caller.id())) {
                throw ProblemException.forbidden("a USER may " + what + " only its own jobs (userId)");
            }
            return caller.id();
        }
        return userId;
    }

    public JobView pause(Caller caller, long id, String reason) {
        Job job = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        audit.record(job.pause(Time.now(clock), caller.id(), reason));
        return view(job);
    }

    public JobView resume(Caller caller, long id) {
        Job job = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        audit.record(job.resume(Time.now(clock), caller.id()));
        return view(job);
    }

    public JobView cancel(Caller caller, long id, String reason) {
        Job job = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        audit.record(job.cancel(Time.now(clock), caller.id(), reason));
        return view(job);
    }

    /** An admin's new priority for a waiting job, logged as a transition with the same from and to status. */
    public JobView reorder(Caller caller, long id, int priority, String reason) {
        Job job = em.find(Job.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (job == null) {
            throw ProblemException.notFound("job", id);
        }
        audit.record(job.reprioritize(priority, Time.now(clock), caller.id(), reason));
        return view(job);
    }

    /**
     * An admin's bulk action: the selection, or the oldest {@code max} jobs the filter matches in a
     * state the action applies to (a retry leaves out dead letters retried before), moved in one
     * statement ({@link BulkMoves}) with their audit rows; with {@code dryRun} only counted.
     */
    public BulkResult bulk(Caller caller, BulkRequest r) {
        String action = r.action().sqlName();
        long matched;
        List<Long> ids;
        if (r.ids() != null) {
            List<Long> distinct = r.ids().stream().distinct().sorted().toList();
            matched = distinct.size();
            ids = distinct.stream().limit(r.max()).toList();
        } else {
            JobSearch.Where where = JobSearch.where(r.filter()).statusIn(r.action().from);
            if (r.action() == BulkRequest.Action.RETRY) {
                where.and("NOT EXISTS (SELECT 1 FROM job r WHERE r.retry_of = j.id)");
            }
            matched = search.count(where);
            ids = r.dryRun() ? List.of() : search.ids(where, r.max());
        }
        if (r.dryRun() || ids.isEmpty()) {
            return new BulkResult(action, r.dryRun(), matched, List.of(), List.of(), List.of(), matched);
        }
        List<BulkMoves.Outcome> outcomes = bulkMoves.move(
                action,
                ids,
                r.priority(),
                Time.now(clock),
                caller.id(),
                r.reason().trim());
        List<Long> applied = outcomes.stream()
                .filter(o -> o.skipped() == null)
                .map(BulkMoves.Outcome::jobId)
                .toList();
        List<Long> created = outcomes.stream()
                .filter(o -> o.newJobId() != null)
                .map(BulkMoves.Outcome::newJobId)
                .toList();
        List<BulkResult.Skipped> skipped = outcomes.stream()
                .filter(o -> o.skipped() != null)
                .map(o -> new BulkResult.Skipped(o.jobId(), o.skipped()))
                .toList();
        long remaining = Math.max(0, matched - applied.size() - skipped.size());
        return new BulkResult(action, false, matched, applied, created, skipped, remaining);
    }

    public List<JobView.TransitionView> transitions(Caller caller, long id) {
        visible(caller, id, LockModeType.NONE, false);
        return em
                .createQuery("SELECT t FROM Transition t WHERE t.jobId = :id ORDER BY t.id", Transition.class)
                .setParameter("id", id)
                .getResultList()
                .stream()
                .map(JobView.TransitionView::of)
                .toList();
    }

    /** The dead-letter queue: FAILED jobs matching the filter, newest failure first. */
    public List<JobView> deadLetters(Caller caller, JobSearch.Filter filter, int limit) {
        JobSearch.Where where =
                JobSearch.where(filter.withStatus(JobStatus.FAILED).withUserId(owner(caller, filter.userId(), "list")));
        return search.jobs(where, "j.finished_at DESC, j.id DESC", limit).stream()
                .map(JobView::of)
                .toList();
    }

    /** Retry from the dead-letter queue: a new PENDING job with {@code retryOf}; the old one stays FAILED. */
    public JobView retry(Caller caller, long id) {
        Job failed = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        if (failed.status() != JobStatus.FAILED) {
            throw ProblemException.stateConflict(
                    "not-dead-lettered",
                    "only a FAILED (dead-lettered) job can be retried; job " + id + " is " + failed.status(),
                    failed.status().name(),
                    failed.status().allowedTargets().stream()
                            .map(Enum::name)
                            .sorted()
                            .toList());
        }
        OffsetDateTime now = Time.now(clock);
        Job copy = failed.retryAsNew(now);
        em.persist(copy);
        em.flush();
        em.persist(copy.created(caller.id(), "retry of job " + id));
        return view(copy);
    }

    public QueueView.Cleared clear(Caller caller, String queue, String userId) {
        if (em.find(Queue.class, queue) == null) {
            throw ProblemException.notFound("queue", queue);
        }
        String owner = userId;
        if (!caller.isAdmin()) {
            if (userId != null && !userId.equals(caller.id())) {
                throw ProblemException.forbidden("only an ADMIN may clear another user's jobs (userId)");
            }
            owner = caller.id();
        }
        int n = bulkCancel.cancelWaiting(queue, owner, Time.now(clock), caller.id());
        return new QueueView.Cleared(queue, owner, n);
    }

    /**
     * The job if the caller may see it (404 otherwise, as if it did not exist); with
     * {@code manage}, 403 for a caller that may see but not manage it (a WORKER).
     */
    private Job visible(Caller caller, long id, LockModeType lock, boolean manage) {
        Job job = em.find(Job.class, id, lock);
        if (job == null || !caller.maySeeJobsOf(job.userId())) {
            throw ProblemException.notFound("job", id);
        }
        if (manage && !caller.mayManageJobsOf(job.userId())) {
            throw ProblemException.forbidden("only the job's owner or an ADMIN may pause, resume, cancel or retry it");
        }
        return job;
    }

    private JobView view(Job job) {
        return views.view(job);
    }

    static String encodeCursor(long id) {
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(Long.toString(id).getBytes(StandardCharsets.UTF_8));
    }

    static long decodeCursor(String cursor) {
        try {
            return Long.parseLong(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw badRequest("cursor", "is not a cursor returned by this API");
        }
    }
}
