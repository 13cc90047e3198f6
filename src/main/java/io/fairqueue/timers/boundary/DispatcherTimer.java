package io.fairqueue.timers.boundary;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.timers.control.PushDispatch;
import io.fairqueue.workers.control.CallbackAllowlist;
import io.fairqueue.workers.control.CallbackClient;
import io.fairqueue.workers.control.CallbackTargets;
import io.fairqueue.workers.entity.Worker;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.LocalBean;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timer;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.net.ssl.SSLSocketFactory;

/**
 * Every second: push dispatch. For each worker registered with a {@code callbackUrl}, checks the
 * URL against {@code fairqueue.push.allowed-hosts} again, resolving its host now (DNS may have
 * changed since the registration, and so may the setting); a refused worker gets nothing claimed
 * for it (logged once per worker and reason). Otherwise claims on its behalf up to its free
 * capacity and POSTs each job (with its lease token) to one of the addresses just checked
 * ({@link CallbackClient}: no redirects, at most 64 KiB of the answer read, {@value #TIMEOUT_SECONDS}
 * s for the whole exchange). A non-2xx answer (a 3xx included) or a timeout releases the job back
 * to PENDING, with the reason audited, and the worker's other jobs of this round are released
 * unpushed, so one slow or broken callback costs the round at most one timeout. The claim is
 * committed before the POST, so a node that dies in between leaves a leased job that the lease
 * reaper recovers.
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@LocalBean
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class DispatcherTimer extends ManagedTimer {

    private static final Logger LOG = Logger.getLogger(DispatcherTimer.class.getName());
    static final int TIMEOUT_SECONDS = 2;
    static final int MAX_PER_WORKER = 20;

    private final Jsonb jsonb = JsonbBuilder.create();
    private final Map<String, String> refusals = new ConcurrentHashMap<>();
    private final CallbackClient client =
            new CallbackClient(Duration.ofSeconds(TIMEOUT_SECONDS), (SSLSocketFactory) SSLSocketFactory.getDefault());

    @Inject
    PushDispatch dispatch;

    @Inject
    CallbackTargets callbacks;

    public DispatcherTimer() {
        super("Dispatcher", Duration.ofSeconds(1));
    }

    @Schedule(second = "*", minute = "*", hour = "*", persistent = false)
    void onSchedule(Timer timer) {
        tick(timer);
    }

    @Override
    protected String work() {
        int pushed = 0;
        int released = 0;
        int refused = 0;
        for (Worker worker : dispatch.pushWorkers()) {
            CallbackAllowlist.Target target = target(worker);
            if (target == null) {
                refused++;
                continue;
            }
            String failure = null;
            for (JobView job : dispatch.claimFor(worker, MAX_PER_WORKER)) {
                String reason;
                if (failure == null) {
                    failure = client.post(target, jsonb.toJson(job).getBytes(StandardCharsets.UTF_8));
                    if (failure == null) {
                        pushed++;
                        continue;
                    }
                    reason = "push to " + worker.callbackUrl() + " failed: " + failure;
                } else {
                    reason = "not pushed: the push to " + worker.callbackUrl() + " failed this round: " + failure;
                }
                if (dispatch.release(job.id(), job.leaseToken(), reason)) {
                    released++;
                }
            }
        }
        return "pushed " + pushed + ", released " + released + (refused == 0 ? "" : ", callbacks refused " + refused);
    }

    /** The worker's callback checked now, or null (logged when the reason is new for the worker). */
    private CallbackAllowlist.Target target(Worker worker) {
        try {
            CallbackAllowlist.Target target = callbacks.check(worker.callbackUrl());
            refusals.remove(worker.id());
            return target;
        } catch (CallbackAllowlist.Refused e) {
            if (!e.getMessage().equals(refusals.put(worker.id(), e.getMessage()))) {
                LOG.warning("Not pushing to worker " + worker.id() + " (" + worker.name() + "): callbackUrl "
                        + worker.callbackUrl() + ": " + e.getMessage());
            }
            return null;
        }
    }
}
