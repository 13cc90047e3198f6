package io.fairqueue.jobs.boundary;

import io.fairqueue.jobs.control.AuditLog;
import io.fairqueue.jobs.control.JobViews;
import io.fairqueue.jobs.control.JobWrites;
import io.fairqueue.jobs.entity.InvalidTransitionException;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.jobs.entity.Transition;
import io.fairqueue.platform.control.SqlArrays;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.Problem;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.security.control.Caller;
import io.fairqueue.workers.control.WorkerOwners;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

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

    @Inject
    JobWrites writes;

    @Inject
    WorkerOwners workerOwners;

    public JobView start(Caller caller, long id, JobRequests.Lease r) {
        Job job = leased(caller, id, r.leaseToken(), true);
        audit.record(job.start(Time.now(clock), caller.id()));
        return views.view(job);
    }

    public JobView.Heartbeat heartbeat(Caller caller, long id, JobRequests.Lease r) {
        Job job = leased(caller, id, r.leaseToken(), false);
        OffsetDateTime now = Time.now(clock);
        if (job.status() == JobStatus.PAUSED || job.status() == JobStatus.CANCELLED) {
            return new JobView.Heartbeat(null, job.status() == JobStatus.PAUSED, job.status() == JobStatus.CANCELLED);
        }
        requireHeld(job);
        job.extendLease(now, em.find(Queue.class, job.queue()).leaseSeconds());
        em.createNativeQuery("UPDATE worker SET last_heartbeat_at = CAST(?1 AS timestamptz) WHERE id = ?2")
                .setParameter(1, now)
                .setParameter(2, job.workerId())
                .executeUpdate();
        return new JobView.Heartbeat(job.leaseExpiresAt(), false, false);
    }

    public JobView complete(Caller caller, long id, JobRequests.Complete r) {
        Job job = leased(caller, id, r.leaseToken(), true);
        audit.record(job.complete(r.result(), Time.now(clock), caller.id()));
        return views.view(job);
    }

    public JobView fail(Caller caller, long id, JobRequests.Fail r) {
        Job job = leased(caller, id, r.leaseToken(), true);
        Queue queue = em.find(Queue.class, job.queue());
        audit.record(job.fail(
                r.error(),
                !Boolean.FALSE.equals(r.retryable()),
                queue.retryBaseDelaySeconds(),
                Time.now(clock),
                caller.id()));
        return views.view(job);
    }

    /** One item of a batch answer: the job's status after the call, or why this item changed nothing. */
    public record ItemOutcome(long id, JobStatus status, Problem problem) {}

    /**
     * Starts many claimed jobs: every job is locked in id order by one statement, each item is
     * checked and moved by the state machine on its own (a stale lease fails that item only), then
     * the moved jobs are written by one UPDATE (JobWrites) and their audit rows by one INSERT, in
     * this transaction.
     */
    public List<ItemOutcome> startAll(Caller caller, List<JobRequests.LeaseItem> items) {
        OffsetDateTime now = Time.now(clock);
        return applyAll(
                caller,
                items.stream()
                        .map(i -> new Item(i.id(), i.leaseToken(), job -> job.start(now, caller.id())))
                        .toList(),
                false);
    }

    /** Completes many running jobs, like {@link #startAll}. */
    public List<ItemOutcome> completeAll(Caller caller, List<JobRequests.CompleteItem> items) {
        return applyAll(caller, completing(caller, items, Time.now(clock)), false);
    }

    /** A claim's outcomes, item by item: {@code completed} and {@code failed} in request order. */
    public record Outcomes(List<ItemOutcome> completed, List<ItemOutcome> failed) {}

    /**
     * The previous batch's outcomes that a claim carries ({@code POST /claims} with
     * {@code complete} and {@code fail}), applied in this transaction, before the claim's own:
     * every item fenced on its own (a stale lease fails that item only), as the batch endpoints
     * do; all of the jobs are locked at once, in id order.
     */
    public Outcomes applyOutcomes(
            Caller caller, List<JobRequests.CompleteItem> complete, List<JobRequests.FailItem> fail) {
        OffsetDateTime now = Time.now(clock);
        List<JobRequests.CompleteItem> completing = complete == null ? List.of() : complete;
        List<Item> items = new ArrayList<>(completing(caller, completing, now));
        for (JobRequests.FailItem f : fail == null ? List.<JobRequests.FailItem>of() : fail) {
            items.add(new Item(
                    f.id(),
                    f.leaseToken(),
                    job -> job.fail(
                            f.error(),
                            !Boolean.FALSE.equals(f.retryable()),
                            em.find(Queue.class, job.queue()).retryBaseDelaySeconds(),
                            now,
                            caller.id())));
        }
        // Failed jobs are written one UPDATE each (JPA), after or before the one UPDATE of the
        // completed: several statements, each locking its own users in its trigger. Out of id
        // order across them, they could close a cycle with a batch submit, the promoter or a bulk
        // move, which take their users first in id order. So the users come first here too, when
        // there is more than one statement (a failure and anything else); a lone failure is one.
        boolean failures = items.size() > completing.size();
        List<ItemOutcome> all = applyAll(caller, items, failures && items.size() > 1);
        return new Outcomes(all.subList(0, completing.size()), all.subList(completing.size(), all.size()));
    }

    private static List<Item> completing(Caller caller, List<JobRequests.CompleteItem> items, OffsetDateTime now) {
        return items.stream()
                .map(i -> new Item(i.id(), i.leaseToken(), job -> job.complete(i.result(), now, caller.id())))
                .toList();
    }

    /** One item of a batch: the job, the lease the caller holds, and the state machine's move. */
    private record Item(long id, String leaseToken, Function<Job, Transition> move) {}

    /**
     * The one UPDATE's trigger (per statement, R__job_changes.sql) takes the rows it changes in the
     * global lock order itself: the users in id order, settings, the lanes in key order (usage
     * is appended without a lock). So without failures no lock is taken here beyond the jobs'.
     * Started and completed jobs are written by one UPDATE (JobWrites); failed ones, which change
     * more, by JPA; then every audit row at once. {@code severalStatements}: the items may be written by more than
     * one statement (failures among them), so the jobs' users are locked in id order right after
     * the jobs, before any is moved (THE ONE RULE in R__locks_and_bulk_moves.sql).
     */
    private List<ItemOutcome> applyAll(Caller caller, List<Item> items, boolean severalStatements) {
        List<Long> ids = items.stream().map(Item::id).distinct().sorted().toList();
        Map<Long, Job> locked = new HashMap<>();
        if (!ids.isEmpty()) {
            em.createQuery("SELECT j FROM Job j WHERE j.id IN :ids ORDER BY j.id", Job.class)
                    .setParameter("ids", ids)
                    .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                    .getResultList()
                    .forEach(j -> locked.put(j.id(), j));
            if (severalStatements) {
                em.createNativeQuery("SELECT 1 FROM fq_lock_users(CAST(?1 AS bigint[]))")
                        .setParameter(
                                1,
                                SqlArrays.of(ids.stream().map(String::valueOf).toList()))
                        .getSingleResult();
            }
        }
        List<Transition> moved = new ArrayList<>();
        List<Job> written = new ArrayList<>();
        List<ItemOutcome> out = new ArrayList<>(items.size());
        for (Item item : items) {
            long id = item.id();
            try {
                Job job = check(caller, locked.get(id), id, item.leaseToken(), true);
                moved.add(item.move().apply(job));
                if (job.status() == JobStatus.RUNNING || job.status() == JobStatus.COMPLETED) {
                    written.add(job);
                }
                out.add(new ItemOutcome(id, job.status(), null));
            } catch (ProblemException e) {
                out.add(new ItemOutcome(
                        id, locked.containsKey(id) ? locked.get(id).status() : null, e.problem()));
            } catch (InvalidTransitionException e) {
                out.add(new ItemOutcome(
                        id, e.from(), InvalidTransitionMapper.problem(e).problem()));
            }
        }
        writes.writeStartedOrCompleted(written);
        audit.recordAll(moved);
        return out;
    }

    private Job leased(Caller caller, long id, String token, boolean mustHold) {
        return check(caller, em.find(Job.class, id, LockModeType.PESSIMISTIC_WRITE), id, token, mustHold);
    }

    /**
     * The job, if {@code token} is its current lease and the lease is the caller's: a WORKER account
     * acts only on leases taken through a worker it registered (a token that leaked to another
     * account is refused, 403); an ADMIN may act on any lease.
     */
    private Job check(Caller caller, Job job, long id, String token, boolean mustHold) {
        if (job == null) {
            throw ProblemException.notFound("job", id);
        }
        if (!job.holdsLease(token)) {
            throw ProblemException.stateConflict(
                    "stale-lease",
                    "leaseToken is not the current lease of job " + id + " (it was claimed again or never by you)",
                    job.status().name(),
                    null);
        }
        if (!caller.isAdmin()
                && job.workerId() != null
                && !workerOwners
                        .ownerOf(job.workerId())
                        .map(caller.id()::equals)
                        .orElse(false)) {
            throw ProblemException.forbidden("the lease of job " + id + " was taken by a worker of another account; "
                    + "only that account (or an ADMIN) may use it");
        }
        if (mustHold) {
            requireHeld(job);
        }
        return job;
    }

    private static void requireHeld(Job job) {
        if (!job.status().holdsSlot()) {
            throw ProblemException.stateConflict(
                    "lease-revoked",
                    "the lease of job " + job.id() + " was revoked: the job is " + job.status(),
                    job.status().name(),
                    job.status().allowedTargets().stream()
                            .map(Enum::name)
                            .sorted()
                            .toList());
        }
    }
}
