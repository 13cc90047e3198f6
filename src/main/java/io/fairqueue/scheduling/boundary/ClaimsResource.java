package io.fairqueue.scheduling.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.jobs.boundary.JobView;
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

    @POST
    public void claim(ClaimRequest request, @Suspended AsyncResponse response) {
        try {
            ClaimRequest r = body(request);
            int wait = r.waitSeconds() == null ? 0 : r.waitSeconds();
            if (wait == 0) {
                response.resume(ok(claims.claim(caller, r)));
                return;
            }
            wakeups.await(new LongPoll(claims.resolve(caller, r), response, wait));
        } catch (RuntimeException e) {
            response.resume(e);
        }
    }

    static Response ok(List<JobView> jobs) {
        return Response.ok(new GenericEntity<List<JobView>>(jobs) {}).build();
    }

    /** One waiting claim: answers with the first non-empty claim, or {@code []} when its time is up. */
    private final class LongPoll implements ClaimWaiters.Waiter {

        private final ClaimService.Target target;
        private final AsyncResponse response;
        private final long deadline;
        private final Set<String> queues;
        private final AtomicBoolean timedOut = new AtomicBoolean();

        LongPoll(ClaimService.Target target, AsyncResponse response, int waitSeconds) {
            this.target = target;
            this.response = response;
            this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
            this.queues = target.queues() == null ? Set.of() : Set.copyOf(target.queues());
            response.setTimeout(waitSeconds, TimeUnit.SECONDS);
            response.setTimeoutHandler(ar -> {
                timedOut.set(true);
                if (wakeups.expire(this)) {
                    ar.resume(ok(List.of()));
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
                return Outcome.ENDED;
            }
            if (timedOut.get()) {
                // the time is up: claiming now could hand jobs to a client that is gone
                response.resume(ok(List.of()));
                return Outcome.ENDED;
            }
            try {
                List<JobView> jobs = claims.claim(target);
                if (!jobs.isEmpty()) {
                    response.resume(ok(jobs));
                    return Outcome.CLAIMED;
                }
                if (timedOut.get() || System.nanoTime() >= deadline) {
                    response.resume(ok(jobs));
                    return Outcome.ENDED;
                }
                return Outcome.NOTHING;
            } catch (RuntimeException e) {
                response.resume(e);
                return Outcome.ENDED;
            }
        }
    }
}
