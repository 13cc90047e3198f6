package io.fairqueue.scheduling.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.jobs.boundary.LeaseService;
import io.fairqueue.platform.problem.Problem;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.platform.problem.UnexpectedExceptionMapper;
import io.fairqueue.scheduling.control.ClaimWaiters;
import io.fairqueue.scheduling.control.ClaimWaiters.Outcome;
import io.fairqueue.scheduling.control.ClaimWakeups;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.GenericEntity;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /claims}: the next eligible jobs with their lease tokens; {@code []} when none.
 * With {@code waitSeconds} (a long poll), an empty claim waits up to that long and answers as soon
 * as a claim succeeds: woken by LISTEN/NOTIFY when a job becomes PENDING or a slot frees, with a
 * one-second poll as backup ({@link ClaimWakeups}). The HTTP thread is not held while waiting.
 *
 * <p>The one-call worker protocol: with {@code start} the jobs come RUNNING; {@code POST
 * /claims/next} takes the same request plus {@code complete} and {@code fail}, applies the previous
 * batch's outcomes in their own transaction, each item fenced on its own, then claims, and always
 * answers an object: {@code completed} and {@code failed} (one outcome per item, as
 * {@code POST /jobs/complete} answers) and {@code jobs}. (One operation per answer shape, so that
 * clients generated from the OpenAPI document get one type each.) The request is checked
 * (worker, queues, user) before any outcome is applied; once they are applied the answer is 200
 * whatever the claim meets afterwards: a claim that then fails answers {@code jobs: []} and
 * {@code claimProblem}, never an error for outcomes that were committed.
 */
@Path("claims")
@RequestScoped
@RequiresRole({Role.WORKER, Role.ADMIN})
@Produces(MediaType.APPLICATION_JSON)
public class ClaimsResource {

    @Inject
    Caller caller;

    @Inject
    ClaimService claims;

    @Inject
    ClaimWakeups wakeups;

    @Inject
    LeaseService leases;

    @POST
    public void claim(ClaimRequest request, @Suspended AsyncResponse response) {
        serve(request, response, false);
    }

    /** {@code POST /claims/next}: the previous batch's outcomes, then the claim; always an object. */
    @POST
    @Path("next")
    public void next(ClaimRequest request, @Suspended AsyncResponse response) {
        serve(request, response, true);
    }

    private void serve(ClaimRequest request, AsyncResponse response, boolean withOutcomes) {
        LeaseService.Outcomes outcomes = null;
        try {
            ClaimRequest r = body(request);
            if (!withOutcomes && r.carriesOutcomes()) {
                throw ProblemException.badRequest(
                        r.complete() != null && !r.complete().isEmpty() ? "complete" : "fail",
                        "outcomes go with POST /api/v1/claims/next, which answers them item by item");
            }
            ClaimService.Target target = claims.resolve(caller, r);
            if (withOutcomes) {
                outcomes = leases.applyOutcomes(caller, r.complete(), r.fail());
            }
            int wait = r.waitSeconds() == null ? 0 : r.waitSeconds();
            if (wait == 0) {
                response.resume(answer(outcomes, claims.claim(target)));
                return;
            }
            wakeups.await(new LongPoll(target, outcomes, response, wait));
        } catch (RuntimeException e) {
            fail(response, outcomes, e);
        }
    }

    /** What {@code POST /claims/next} answers. */
    public record OutcomesAndJobs(
            List<LeaseService.ItemOutcome> completed,
            List<LeaseService.ItemOutcome> failed,
            List<JobView> jobs,
            Problem claimProblem) {}

    /** The plain list ({@code POST /claims}) or the object with the outcomes ({@code /claims/next}). */
    static Response answer(LeaseService.Outcomes outcomes, List<JobView> jobs) {
        if (outcomes == null) {
            return Response.ok(new GenericEntity<List<JobView>>(jobs) {}).build();
        }
        return Response.ok(new OutcomesAndJobs(outcomes.completed(), outcomes.failed(), jobs, null))
                .build();
    }

    /**
     * Answers a failed claim: as an error when no outcome was applied, else beside the outcomes.
     * (Not a conditional expression: its type would be Object, and {@code resume(Object)} would
     * try to write the exception as an entity.)
     */
    static void fail(AsyncResponse response, LeaseService.Outcomes outcomes, RuntimeException e) {
        if (outcomes == null) {
            response.resume(e);
        } else {
            response.resume(claimFailed(outcomes, e));
        }
    }

    /** The outcomes were committed: the claim's failure is reported beside them, never as an error. */
    static Response claimFailed(LeaseService.Outcomes outcomes, RuntimeException e) {
        Problem problem = UnexpectedExceptionMapper.problemFor(e).problem();
        return Response.ok(new OutcomesAndJobs(outcomes.completed(), outcomes.failed(), List.of(), problem))
                .build();
    }

    /** One waiting claim: answers with the first non-empty claim, or {@code []} when its time is up. */
    private final class LongPoll implements ClaimWaiters.Waiter {

        private final ClaimService.Target target;
        private final LeaseService.Outcomes outcomes;
        private final AsyncResponse response;
        private final long deadline;
        private final Set<String> queues;
        private final AtomicBoolean timedOut = new AtomicBoolean();
        /** The answer the last try decided on, sent by {@link #answer} (in the same thread). */
        private Runnable reply;

        LongPoll(ClaimService.Target target, LeaseService.Outcomes outcomes, AsyncResponse response, int waitSeconds) {
            this.target = target;
            this.outcomes = outcomes;
            this.response = response;
            this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
            this.queues = target.queues() == null ? Set.of() : Set.copyOf(target.queues());
            response.setTimeout(waitSeconds, TimeUnit.SECONDS);
            response.setTimeoutHandler(ar -> {
                timedOut.set(true);
                if (wakeups.expire(this)) {
                    ar.resume(ClaimsResource.answer(outcomes, List.of()));
                } else {
                    ar.setTimeout(5, TimeUnit.SECONDS); // an attempt runs now and will answer
                }
            });
        }

        @Override
        public Set<String> queues() {
            return queues;
        }

        @Override
        public String userId() {
            return target.userId();
        }

        @Override
        public Outcome attempt() {
            if (response.isDone()) {
                return ended(null);
            }
            if (timedOut.get()) {
                // the time is up: claiming now could hand jobs to a client that is gone
                return ended(() -> response.resume(ClaimsResource.answer(outcomes, List.of())));
            }
            try {
                List<JobView> jobs = claims.claim(target);
                if (!jobs.isEmpty()) {
                    reply = () -> response.resume(ClaimsResource.answer(outcomes, jobs));
                    return Outcome.CLAIMED;
                }
                if (timedOut.get() || System.nanoTime() >= deadline) {
                    return ended(() -> response.resume(ClaimsResource.answer(outcomes, jobs)));
                }
                return Outcome.NOTHING;
            } catch (RuntimeException e) {
                return ended(() -> fail(response, outcomes, e));
            }
        }

        /** The try ends the long poll; {@code how} answers the client (null: it has its answer). */
        private Outcome ended(Runnable how) {
            reply = how;
            return Outcome.ENDED;
        }

        @Override
        public void answer() {
            Runnable r = reply;
            reply = null;
            if (r != null) {
                r.run();
            }
        }
    }
}
