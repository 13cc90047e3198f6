package io.fairqueue.client;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.lang.System.Logger.Level;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker runtime: registers a worker, claims jobs into a bounded number of slots and runs
 * them with the handler registered for their type, reporting every outcome.
 *
 * <p>It speaks the one-call protocol: each {@code POST /claims/next} carries the outcomes of the
 * jobs finished since the previous call ({@code complete} / {@code fail}) and claims at most as
 * many jobs as there are free slots, straight into RUNNING ({@code start: true}); so a busy worker
 * makes one call per batch and never holds a job it cannot start. It long-polls only while idle
 * (nothing running): while jobs run it asks without waiting whenever one finishes, and every
 * {@code busyPoll} otherwise, so a finished job's slot goes back to its user at once.
 *
 * <p>Each running job gets a heartbeat on a scheduler of its own, every {@code leaseSeconds / 3} at
 * most: a cancel or pause reaches the handler ({@link JobContext#isStopped()}, an interrupt) within
 * one heartbeat. A 409 stale-lease / lease-revoked means the job is no longer ours: the handler is
 * stopped and its result dropped, never retried. A heartbeat that cannot get through keeps the job
 * running until its lease has really ended by the local clock. Server and connection failures are
 * retried with jittered backoff; unreported outcomes ride on the next call (they are fenced by
 * their lease token, so repeating them cannot apply them twice).
 *
 * <p>{@link #shutdown(Duration)} (also run by a JVM shutdown hook) stops claiming, waits up to the
 * grace period (default 25 s) for running handlers, fails the rest as retryable and reports every
 * outcome, so a normal exit leaves nothing leased.
 */
public final class FairQueueWorker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(FairQueueWorker.class.getName());

    /** Counters of what the worker did, for logs, metrics and tests. */
    public record Stats(
            long claimCalls, long claimed, long completed, long failed, long dropped, long transportErrors) {}

    private record Registered(Type payloadType, JobHandler<Object> handler) {}

    private final FairQueueClient client;
    private final Http http;
    private final String name;
    private final List<String> queues;
    private final int slots;
    private final int longPollSeconds;
    private final Duration busyPoll;
    private final Duration grace;
    private final Duration heartbeatOverride;
    private final Map<String, Registered> handlers;
    private final Registered fallback;
    private final List<Class<? extends Throwable>> nonRetryable;
    private final boolean shutdownHook;

    private final Map<Long, JobRun> runs = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<JobRun.Outcome> outcomes = new LinkedBlockingQueue<>();
    private final AtomicInteger running = new AtomicInteger();
    private final Object wake = new Object();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Counters counters = new Counters();
    private ExecutorService executor;
    private ScheduledExecutorService heartbeats;
    private Thread claimThread;
    private Thread hook;
    private volatile String workerId;

    private FairQueueWorker(Builder b) {
        this.client = b.client;
        this.http = b.client.http();
        this.name = b.name;
        this.queues = List.copyOf(b.queues);
        this.slots = b.slots;
        this.longPollSeconds = b.longPollSeconds;
        this.busyPoll = b.busyPoll;
        this.grace = b.grace;
        this.heartbeatOverride = b.heartbeatEvery;
        this.handlers = Map.copyOf(b.handlers);
        this.fallback = b.fallback;
        this.nonRetryable = List.copyOf(b.nonRetryable);
        this.shutdownHook = b.shutdownHook;
    }

    /** A builder for a worker that talks through {@code client} (a WORKER or ADMIN token). */
    public static Builder builder(FairQueueClient client) {
        return new Builder(client);
    }

    /** Registers the worker with the server and starts claiming; answers this worker. */
    public synchronized FairQueueWorker start() {
        if (claimThread != null) {
            throw new IllegalStateException("already started");
        }
        workerId = client.admin().registerWorker(name, slots, queues).getString("id");
        executor = Executors.newFixedThreadPool(slots, threads("fairqueue-job-", true));
        heartbeats = Executors.newScheduledThreadPool(2, threads("fairqueue-heartbeat-", true));
        claimThread = threads("fairqueue-claims-", false).newThread(this::claimLoop);
        claimThread.start();
        if (shutdownHook) {
            hook = new Thread(() -> shutdown(grace), "fairqueue-worker-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        }
        LOG.log(
                Level.INFO,
                "worker {0} ({1}) started: {2} slots, queues {3}",
                name,
                workerId,
                slots,
                queues.isEmpty() ? "all" : queues);
        return this;
    }

    /** The id the server gave this worker at registration. */
    public String workerId() {
        return workerId;
    }

    /** What the worker has done so far. */
    public Stats stats() {
        return counters.snapshot();
    }

    /** Jobs whose handler runs now. */
    public int runningJobs() {
        return running.get();
    }

    // ---- claiming

    private void claimLoop() {
        int failures = 0;
        while (!stopping.get()) {
            List<JobRun.Outcome> batch = new ArrayList<>();
            outcomes.drainTo(batch);
            int free = slots - running.get();
            if (free <= 0) {
                requeue(batch);
                await(busyPoll);
                continue;
            }
            boolean idle = running.get() == 0 && batch.isEmpty();
            int wait = idle ? longPollSeconds : 0;
            long sent = System.nanoTime();
            try {
                counters.claimCalls.incrementAndGet();
                JsonObject answer = http.post(
                                "/claims/next", claimRequest(free, wait, batch), false, Duration.ofSeconds(wait + 30))
                        .object();
                failures = 0;
                acknowledge(answer, batch);
                List<JsonObject> jobs = answer.getJsonArray("jobs").getValuesAs(JsonObject.class);
                for (JsonObject job : jobs) {
                    launch(job, sent);
                }
                if (answer.containsKey("claimProblem")) {
                    LOG.log(
                            Level.WARNING,
                            "worker {0}: the claim failed after the outcomes were applied: {1}",
                            name,
                            answer.getJsonObject("claimProblem"));
                    backoff(++failures);
                } else if (jobs.isEmpty() && !idle) {
                    await(busyPoll);
                }
            } catch (FairQueueException e) {
                requeue(batch);
                counters.transportErrors.incrementAndGet();
                LOG.log(
                        failures == 0 ? Level.WARNING : Level.DEBUG,
                        "worker {0}: claim failed ({1}); backing off",
                        name,
                        e.getMessage());
                backoff(++failures);
            }
        }
    }

    private JsonObject claimRequest(int limit, int wait, List<JobRun.Outcome> batch) {
        JsonArrayBuilder complete = Json.createArrayBuilder();
        JsonArrayBuilder fail = Json.createArrayBuilder();
        for (JobRun.Outcome o : batch) {
            (o.success() ? complete : fail).add(o.toJson());
        }
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("workerId", workerId)
                .add("limit", Math.min(limit, 100))
                .add("waitSeconds", wait)
                .add("start", true)
                .add("complete", complete)
                .add("fail", fail);
        if (!queues.isEmpty()) {
            b.add("queues", Json.createArrayBuilder(queues));
        }
        return b.build();
    }

    /** Reads the per-item outcomes: each reported run is done; a refused one is dropped. */
    private void acknowledge(JsonObject answer, List<JobRun.Outcome> batch) {
        List<JsonObject> items =
                new ArrayList<>(answer.getJsonArray("completed").getValuesAs(JsonObject.class));
        items.addAll(answer.getJsonArray("failed").getValuesAs(JsonObject.class));
        for (JsonObject item : items) {
            long id = item.getJsonNumber("id").longValue();
            JobRun run = runs.remove(id);
            if (run != null) {
                run.done();
            }
            boolean success = batch.stream().anyMatch(o -> o.id() == id && o.success());
            if (item.containsKey("problem")) {
                JsonObject p = item.getJsonObject("problem");
                LOG.log(
                        Level.WARNING,
                        "job {0}: outcome refused ({1}, now {2}); result dropped",
                        id,
                        p.getString("type", "?"),
                        p.getString("currentState", "?"));
                counters.dropped.incrementAndGet();
            } else if (success) {
                counters.completed.incrementAndGet();
            } else {
                counters.failed.incrementAndGet();
            }
        }
    }

    private void requeue(List<JobRun.Outcome> batch) {
        outcomes.addAll(batch);
    }

    // ---- running

    private void launch(JsonObject claimed, long sentNanos) {
        JobRun run = new JobRun(claimed, sentNanos, heartbeatOverride);
        counters.claimed.incrementAndGet();
        runs.put(run.id, run);
        running.incrementAndGet();
        long every = run.heartbeatEvery.toMillis();
        run.heartbeat(heartbeats.scheduleWithFixedDelay(() -> heartbeat(run), every, every, TimeUnit.MILLISECONDS));
        if (stopping.get()) {
            // claimed by the call that was under way when shutdown began: hand it back at once
            run.stop(StopReason.SHUTDOWN);
            finish(run, failure(run, "worker shut down before the job started", true));
            return;
        }
        executor.execute(() -> execute(run));
    }

    private void execute(JobRun run) {
        run.attach(Thread.currentThread());
        Registered r = handlers.getOrDefault(run.type, fallback);
        JobRun.Outcome outcome;
        try {
            if (r == null) {
                throw new NonRetryableException("no handler for job type " + run.type + " on worker " + name);
            }
            Object payload = client.codec().fromJsonValue(run.context.job().get("payload"), r.payloadType());
            Object result = r.handler().handle(payload, run.context);
            outcome = new JobRun.Outcome(
                    run.id, run.leaseToken, true, client.codec().toJsonValue(result), null, true);
        } catch (Throwable e) {
            boolean retryable = !(e instanceof NonRetryableException)
                    && nonRetryable.stream().noneMatch(t -> t.isInstance(e));
            boolean shutdown = run.context.stopReason().orElse(null) == StopReason.SHUTDOWN;
            outcome = shutdown
                    ? failure(run, "worker " + name + " shut down before the job finished (" + describe(e) + ")", true)
                    : failure(run, describe(e), retryable);
            if (!run.context.isStopped()) {
                LOG.log(
                        Level.WARNING,
                        "job {0} ({1}) attempt {2} failed: {3}",
                        run.id,
                        run.type,
                        run.context.attempt(),
                        describe(e));
            }
        } finally {
            Thread.interrupted(); // a late stop must not reach the pool thread's next job
        }
        finish(run, outcome);
    }

    private void finish(JobRun run, JobRun.Outcome outcome) {
        if (!run.finish()) {
            return; // already handed back (shutdown grace over)
        }
        running.decrementAndGet();
        StopReason stop = run.context.stopReason().orElse(null);
        if (stop == StopReason.CANCELLED || stop == StopReason.PAUSED || stop == StopReason.LEASE_LOST) {
            LOG.log(Level.INFO, "job {0} ({1}) stopped ({2}): result dropped", run.id, run.type, stop);
            counters.dropped.incrementAndGet();
            runs.remove(run.id);
            run.done();
        } else {
            outcomes.add(outcome);
        }
        signal();
    }

    private static JobRun.Outcome failure(JobRun run, String error, boolean retryable) {
        return new JobRun.Outcome(run.id, run.leaseToken, false, null, error, retryable);
    }

    private static String describe(Throwable e) {
        String text = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return text.length() > 60_000 ? text.substring(0, 60_000) : text;
    }

    // ---- heartbeats

    private void heartbeat(JobRun run) {
        if (run.state() == JobRun.State.DONE) {
            return;
        }
        long sent = System.nanoTime();
        try {
            JsonObject hb = http.post(
                            "/jobs/" + run.id + "/heartbeat",
                            Json.createObjectBuilder()
                                    .add("leaseToken", run.leaseToken)
                                    .build(),
                            Map.of(),
                            false)
                    .object();
            if (hb.getBoolean("cancelRequested", false)) {
                stopRun(run, StopReason.CANCELLED);
            } else if (hb.getBoolean("pauseRequested", false)) {
                stopRun(run, StopReason.PAUSED);
            } else {
                run.renewed(sent);
            }
        } catch (Problems.LeaseLostException | Problems.NotFoundException e) {
            stopRun(run, StopReason.LEASE_LOST);
        } catch (FairQueueException e) {
            counters.transportErrors.incrementAndGet();
            if (run.leaseOver(System.nanoTime())) {
                LOG.log(Level.WARNING, "job {0}: no heartbeat got through before its lease ended; stopping it", run.id);
                stopRun(run, StopReason.LEASE_LOST);
            } else {
                LOG.log(Level.DEBUG, "job {0}: heartbeat failed ({1}); the lease still holds", run.id, e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "job {0}: heartbeat error", run.id, e);
        }
    }

    private void stopRun(JobRun run, StopReason reason) {
        if (run.stop(reason)) {
            LOG.log(Level.INFO, "job {0} ({1}): {2}; asking the handler to stop", run.id, run.type, reason);
        }
        if (run.state() == JobRun.State.FINISHED) {
            run.done(); // its outcome will be refused; nothing left to extend
        }
    }

    // ---- shutdown

    /**
     * Stops claiming, waits up to {@code grace} for running handlers, then stops the rest and
     * fails their attempts as retryable, reports every outcome and deregisters the hook. Safe to
     * call more than once and from any thread.
     */
    public void shutdown(Duration grace) {
        if (!stopping.compareAndSet(false, true)) {
            awaitStopped();
            return;
        }
        try {
            signal();
            join(claimThread, Duration.ofSeconds(longPollSeconds + 35));
            long deadline = System.nanoTime() + grace.toNanos();
            while (running.get() > 0 && System.nanoTime() < deadline) {
                await(Duration.ofMillis(50));
            }
            for (JobRun run : List.copyOf(runs.values())) {
                if (run.state() == JobRun.State.RUNNING) {
                    run.stop(StopReason.SHUTDOWN);
                    finish(run, failure(run, "worker " + name + " shut down before the job finished", true));
                }
            }
            flush();
            executor.shutdownNow();
            // let stopped handlers clean up (kill their child processes) before the JVM may exit
            awaitQuietly(executor, Duration.ofSeconds(3));
            heartbeats.shutdownNow();
            LOG.log(Level.INFO, "worker {0} stopped: {1}", name, stats());
        } finally {
            stopped.set(true);
            synchronized (stopped) {
                stopped.notifyAll();
            }
            if (hook != null && Thread.currentThread() != hook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting: the hook runs (or ran) this same shutdown
                }
            }
        }
    }

    /** {@link #shutdown(Duration)} with the configured grace period. */
    @Override
    public void close() {
        shutdown(grace);
    }

    /** Reports the outcomes still held, without claiming (a lease-fenced call is safe to repeat). */
    private void flush() {
        List<JobRun.Outcome> batch = new ArrayList<>();
        outcomes.drainTo(batch);
        for (int attempt = 1; !batch.isEmpty() && attempt <= 5; attempt++) {
            List<JobRun.Outcome> left = new ArrayList<>();
            List<JobRun.Outcome> completes =
                    batch.stream().filter(JobRun.Outcome::success).toList();
            try {
                if (!completes.isEmpty()) {
                    JsonArrayBuilder items = Json.createArrayBuilder();
                    completes.forEach(o -> items.add(o.toJson()));
                    http.post(
                            "/jobs/complete",
                            Json.createObjectBuilder().add("jobs", items).build(),
                            Map.of(),
                            false);
                    counters.completed.addAndGet(completes.size());
                }
            } catch (FairQueueException e) {
                left.addAll(completes);
            }
            for (JobRun.Outcome o : batch) {
                if (o.success()) {
                    continue;
                }
                JsonObject body = Json.createObjectBuilder()
                        .add("leaseToken", o.leaseToken())
                        .add("error", o.error())
                        .add("retryable", o.retryable())
                        .build();
                try {
                    http.post("/jobs/" + o.id() + "/fail", body, Map.of(), false);
                    counters.failed.incrementAndGet();
                } catch (Problems.ConflictException | Problems.NotFoundException e) {
                    counters.dropped.incrementAndGet(); // no longer ours: nothing to hand back
                } catch (FairQueueException e) {
                    left.add(o);
                }
            }
            batch = left;
            if (!batch.isEmpty()) {
                backoff(attempt);
            }
        }
        if (!batch.isEmpty()) {
            LOG.log(
                    Level.WARNING,
                    "worker {0}: {1} outcomes could not be reported; their leases will expire",
                    name,
                    batch.size());
        }
        runs.values().forEach(JobRun::done);
        runs.clear();
    }

    /** Blocks until the worker has shut down (by {@link #shutdown(Duration)} or its JVM hook). */
    public void awaitStopped() {
        synchronized (stopped) {
            while (!stopped.get()) {
                try {
                    stopped.wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // ---- small helpers

    private void signal() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    private void await(Duration d) {
        synchronized (wake) {
            if (!outcomes.isEmpty() && !stopping.get()) {
                return;
            }
            try {
                wake.wait(Math.max(1, d.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void backoff(int failures) {
        long until = System.nanoTime() + Backoff.DEFAULT.delay(failures).toNanos();
        while (!stopping.get() && System.nanoTime() < until) {
            synchronized (wake) {
                try {
                    wake.wait(Math.max(1, (until - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void awaitQuietly(ExecutorService e, Duration max) {
        try {
            e.awaitTermination(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t, Duration max) {
        try {
            t.join(max.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads(String prefix, boolean daemon) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(daemon);
            return t;
        };
    }

    /** Builds a {@link FairQueueWorker}. */
    public static final class Builder {
        private final FairQueueClient client;
        private final Map<String, Registered> handlers = new HashMap<>();
        private final List<Class<? extends Throwable>> nonRetryable = new ArrayList<>();
        private Registered fallback;
        private String name = "worker";
        private List<String> queues = List.of();
        private int slots = 4;
        private int longPollSeconds = 10;
        private Duration busyPoll = Duration.ofMillis(500);
        private Duration grace = Duration.ofSeconds(25);
        private Duration heartbeatEvery;
        private boolean shutdownHook = true;

        private Builder(FairQueueClient client) {
            this.client = client;
        }

        /** Runs jobs of {@code type} with {@code handler}, the payload read as {@code payloadType}. */
        @SuppressWarnings("unchecked")
        public <T> Builder handle(String type, Class<T> payloadType, JobHandler<? super T> handler) {
            handlers.put(type, new Registered(payloadType, (JobHandler<Object>) handler));
            return this;
        }

        /** Runs jobs of {@code type} with {@code handler}, the payload as a {@code JsonObject}. */
        public Builder handle(String type, JobHandler<JsonObject> handler) {
            return handle(type, JsonObject.class, handler);
        }

        /** Runs jobs of every type without a handler of its own (the payload as JSON). */
        @SuppressWarnings("unchecked")
        public Builder handleOthers(JobHandler<JsonValue> handler) {
            fallback = new Registered(JsonValue.class, (JobHandler<Object>) (JobHandler<?>) handler);
            return this;
        }

        /** Exceptions of these types fail the job without a retry (besides {@link NonRetryableException}). */
        @SafeVarargs
        public final Builder nonRetryable(Class<? extends Throwable>... types) {
            nonRetryable.addAll(List.of(types));
            return this;
        }

        /** The worker's name as registered (default "worker"). */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** The queues to take jobs from (default: all). */
        public Builder queues(List<String> queues) {
            this.queues = queues;
            return this;
        }

        /** Jobs at once (default 4); also the registered capacity. */
        public Builder slots(int slots) {
            this.slots = Math.max(1, slots);
            return this;
        }

        /** How long an idle claim waits on the server for work, 0..60 s (default 10). */
        public Builder longPollSeconds(int seconds) {
            this.longPollSeconds = Math.max(0, Math.min(60, seconds));
            return this;
        }

        /** How often a busy worker with free slots asks for more (default 500 ms). */
        public Builder busyPoll(Duration d) {
            this.busyPoll = d;
            return this;
        }

        /** How long shutdown waits for running handlers (default 25 s). */
        public Builder grace(Duration d) {
            this.grace = d;
            return this;
        }

        /** Heartbeat more often than {@code leaseSeconds / 3} (never less often). */
        public Builder heartbeatEvery(Duration d) {
            this.heartbeatEvery = d;
            return this;
        }

        /** Whether to register a JVM shutdown hook that shuts the worker down (default true). */
        public Builder shutdownHook(boolean on) {
            this.shutdownHook = on;
            return this;
        }

        /** The worker, not started yet. */
        public FairQueueWorker build() {
            return new FairQueueWorker(this);
        }
    }

    private static final class Counters {
        final AtomicLong claimCalls = new AtomicLong();
        final AtomicLong claimed = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        final AtomicLong transportErrors = new AtomicLong();

        Stats snapshot() {
            return new Stats(
                    claimCalls.get(),
                    claimed.get(),
                    completed.get(),
                    failed.get(),
                    dropped.get(),
                    transportErrors.get());
        }
    }
}
