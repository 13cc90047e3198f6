package io.fairqueue.timers.boundary;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.timers.control.PushDispatch;
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
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Every second: push dispatch. For each worker registered with a {@code callbackUrl}, claims on
 * its behalf up to its free capacity and POSTs each job (with its lease token) to the callback
 * with a {@value #TIMEOUT_SECONDS} s timeout. A non-2xx answer or a timeout releases the job back
 * to PENDING, with the reason audited. The claim is committed before the POST, so a node that dies
 * in between leaves a leased job that the lease reaper recovers.
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

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(TIMEOUT_SECONDS)).build();
    private final Jsonb jsonb = JsonbBuilder.create();

    @Inject
    PushDispatch dispatch;

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
        for (Worker worker : dispatch.pushWorkers()) {
            for (JobView job : dispatch.claimFor(worker, MAX_PER_WORKER)) {
                String failure = push(worker.callbackUrl(), job);
                if (failure == null) {
                    pushed++;
                } else if (dispatch.release(job.id(), job.leaseToken(), "push to " + worker.callbackUrl() + " failed: " + failure)) {
                    released++;
                }
            }
        }
        return "pushed " + pushed + ", released " + released;
    }

    /** Null when the callback took the job (2xx), else why not. */
    private String push(String url, JobView job) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(TIMEOUT_SECONDS))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(jsonb.toJson(job)))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() / 100 == 2 ? null : "HTTP " + r.statusCode();
        } catch (java.net.http.HttpTimeoutException e) {
            return "timed out after " + TIMEOUT_SECONDS + " s";
        } catch (IOException | IllegalArgumentException e) {
            LOG.fine("push to " + url + " failed: " + e);
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
