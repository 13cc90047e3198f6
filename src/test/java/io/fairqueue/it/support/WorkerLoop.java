package io.fairqueue.it.support;

import static io.fairqueue.it.support.TestData.*;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker's loop over the API, as a real worker runs it: claim up to {@code maxBatch} jobs
 * (a long poll of 1 s), start them with one batch call, "work" for a while, complete them with one
 * batch call. A call that fails makes the worker drop what it holds (the leases run out and the
 * jobs come back). A call that gets no answer at all means its node is gone: the worker stops,
 * like a worker that ran beside it. Runs until {@code stop} is set or its deadline passes.
 */
public final class WorkerLoop implements Callable<WorkerLoop> {

    private final String name;
    private final Api api;
    private final String workerId;
    private final List<String> queues;
    private final int maxBatch;
    private final int workMinMillis;
    private final int workMaxMillis;
    private final AtomicBoolean stop;
    private final long deadline;
    private final Calls calls;

    /** Jobs this worker completed (the batch complete answered the item COMPLETED). */
    public final Set<Long> completed = ConcurrentHashMap.newKeySet();
    /** Items of batch starts and completes refused one by one (a stale or revoked lease), by problem type. */
    public final Map<String, AtomicInteger> fenced = new ConcurrentHashMap<>();
    /** Jobs of fenced items. */
    public final Set<Long> fencedJobs = ConcurrentHashMap.newKeySet();

    private volatile boolean nodeGone;

    public WorkerLoop(
            String name,
            Api api,
            String workerId,
            List<String> queues,
            int maxBatch,
            int workMinMillis,
            int workMaxMillis,
            AtomicBoolean stop,
            long timeoutSeconds,
            Calls calls) {
        this.name = name;
        this.api = api;
        this.workerId = workerId;
        this.queues = queues;
        this.maxBatch = maxBatch;
        this.workMinMillis = workMinMillis;
        this.workMaxMillis = workMaxMillis;
        this.stop = stop;
        this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        this.calls = calls;
    }

    public String name() {
        return name;
    }

    /** True once a call got no answer (the worker stopped then). */
    public boolean nodeGone() {
        return nodeGone;
    }

    @Override
    public WorkerLoop call() throws InterruptedException {
        while (!stop.get() && System.nanoTime() < deadline) {
            try {
                Api.Res claimed = calls.call(
                        "claim",
                        () -> api.post(
                                "claims",
                                aClaim(workerId)
                                        .withQueues(queues)
                                        .withWaitSeconds(1)
                                        .withLimit(ThreadLocalRandom.current().nextInt(1, maxBatch + 1))));
                if (claimed.status() != 200) {
                    Thread.sleep(50);
                    continue;
                }
                Map<Long, String> leases = new LinkedHashMap<>();
                for (JsonValue v : claimed.array()) {
                    JsonObject job = v.asJsonObject();
                    leases.put(job.getJsonNumber("id").longValue(), job.getString("leaseToken"));
                }
                if (leases.isEmpty()) {
                    continue;
                }
                Api.Res started = calls.call("start", () -> api.post("jobs/start", items(leases)));
                if (started.status() != 200) {
                    continue; // dropped: the leases run out
                }
                leases.keySet().retainAll(accepted(started.array(), "RUNNING"));
                if (leases.isEmpty()) {
                    continue;
                }
                Thread.sleep(ThreadLocalRandom.current().nextInt(workMinMillis, workMaxMillis + 1));
                Api.Res done = calls.call("complete", () -> api.post("jobs/complete", items(leases)));
                if (done.status() == 200) {
                    completed.addAll(accepted(done.array(), "COMPLETED"));
                }
            } catch (UncheckedIOException e) {
                calls.noAnswer();
                nodeGone = true;
                return this;
            }
        }
        return this;
    }

    private Set<Long> accepted(JsonArray outcomes, String status) {
        Set<Long> ok = new java.util.HashSet<>();
        for (JsonValue v : outcomes) {
            JsonObject o = v.asJsonObject();
            long id = o.getJsonNumber("id").longValue();
            if (o.containsKey("problem") && o.get("problem").getValueType() == JsonValue.ValueType.OBJECT) {
                String type = o.getJsonObject("problem").getString("type", "?");
                fenced.computeIfAbsent(type.substring(type.lastIndexOf('/') + 1), k -> new AtomicInteger())
                        .incrementAndGet();
                fencedJobs.add(id);
            } else if (status.equals(o.getString("status", null))) {
                ok.add(id);
            }
        }
        return ok;
    }

    private static LeaseBatch items(Map<Long, String> leases) {
        LeaseBatch items = aLeaseBatch();
        leases.forEach(items::withJob);
        return items;
    }
}
