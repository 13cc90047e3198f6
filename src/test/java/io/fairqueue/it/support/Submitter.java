package io.fairqueue.it.support;

import static io.fairqueue.it.support.TestData.*;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Submits jobs one at a time, each with its own {@code Idempotency-Key}, as a careful client
 * does: a submit that fails (or gets no answer) is sent again with the same key until it is
 * acknowledged (2xx), so a job is created at most once whatever the outcome of each call. New keys
 * stop when {@code stopNew} is set; a key under way is still retried until acknowledged or until
 * the deadline.
 */
public final class Submitter implements Callable<Submitter> {

    private final String prefix;
    private final List<Api> users;
    private final String queue;
    private final AtomicBoolean stopNew;
    private final long deadline;
    private final Calls calls;

    /** Acknowledged keys and the job each answer named. */
    public final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
    /** Keys acknowledged as a replay ({@code Idempotent-Replayed: true}) after a failed call: that call failed after its job was committed. */
    public final Set<String> failedAfterCommit = ConcurrentHashMap.newKeySet();
    /** Keys never acknowledged before the deadline. */
    public final Set<String> unacknowledged = ConcurrentHashMap.newKeySet();

    public Submitter(
            String prefix, List<Api> users, String queue, AtomicBoolean stopNew, long timeoutSeconds, Calls calls) {
        this.prefix = prefix;
        this.users = users;
        this.queue = queue;
        this.stopNew = stopNew;
        this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        this.calls = calls;
    }

    @Override
    public Submitter call() throws InterruptedException {
        for (int n = 0; !stopNew.get() && System.nanoTime() < deadline; n++) {
            submitUntilAcknowledged(users.get(n % users.size()), prefix + "-" + n);
            Thread.sleep(10);
        }
        return this;
    }

    private void submitUntilAcknowledged(Api user, String key) throws InterruptedException {
        boolean failedBefore = false;
        while (System.nanoTime() < deadline) {
            try {
                Api.Res r = calls.call(
                        "submit",
                        () -> user.post(
                                "jobs", aJob().withQueue(queue).withType("fault"), Map.of("Idempotency-Key", key)));
                if (r.status() / 100 == 2) {
                    if (failedBefore && "true".equalsIgnoreCase(r.header("Idempotent-Replayed"))) {
                        failedAfterCommit.add(key);
                    }
                    acknowledged.put(key, r.json().getJsonNumber("id").longValue());
                    return;
                }
            } catch (UncheckedIOException e) {
                calls.noAnswer();
            }
            failedBefore = true;
            Thread.sleep(100); // a real client would honour Retry-After; the test keeps the outage short instead
        }
        unacknowledged.add(key);
    }
}
