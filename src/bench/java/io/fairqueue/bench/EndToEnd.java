package io.fairqueue.bench;

import static io.fairqueue.bench.Report.fmt;
import static io.fairqueue.bench.Report.fmt2;
import static io.fairqueue.bench.Report.met;

import io.fairqueue.bench.Benchmark.Clients;
import io.fairqueue.bench.Benchmark.Mode;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput (SPEC §7 workloads 2 and 4; part {@code e2e}, with {@code peers}):
 * N trivial jobs through FairQueue, and the same through db-scheduler and JobRunr ({@link Peers}).
 * In FairQueue, N jobs of 100 users (user limits 1..3, a queue limit of 400): one thread submits
 * batches of 500 while {@value Benchmark#THREADS} workers claim up to {@value Benchmark#CLAIM_BATCH}
 * (long poll), start and complete in batches; jobs per second from the first submit until the last
 * job completed. Unmeasured warm-up runs of each system first, then the median of the measured
 * runs, their ratios, and where FairQueue's time goes (call p50s, empty claims).
 *
 * <p>Each FairQueue run is followed by the same run in the one-call worker protocol (issue 18):
 * each worker's claim starts its jobs ({@code start: true}) and carries the completions of its
 * previous batch ({@code complete}), one call per batch instead of three; reported beside the
 * three-call run, with its own ratios. Then the one-call run once more with the jobs spread over
 * 1,000 users instead of 100: the users with a limit of 1 run 10 jobs one after another instead of
 * 100, so the figure shows what those chains cost.
 *
 * <p>Every measured run reports its cost per job ({@link RunCost}): PostgreSQL's CPU, the CPU of the
 * system's own process (Payara; for the peers, this JVM) and the WAL written; and for FairQueue the
 * step of a limit-1 user from one job's claim to the next.
 */
final class EndToEnd {

    private final Mode mode;
    private final Http admin;
    private final Http worker;
    /** FairQueue's server: the process whose CPU its runs cost. */
    private final ProcessHandle server;

    private final List<String> workerIds;
    private final Report report;
    private final boolean peers;
    private final int warmupRuns;

    /** Call latencies inside FairQueue's end-to-end runs: where the time goes. */
    private final Stats submit = new Stats();

    private final Stats claim = new Stats();
    private final Stats start = new Stats();
    private final Stats complete = new Stats();
    private final AtomicLong emptyClaims = new AtomicLong();
    private final AtomicLong claimed = new AtomicLong();
    private final AtomicLong claimCalls = new AtomicLong();
    /**
     * Per run name (the queue without its number): jobs per second until every worker's last call
     * returned, the end this benchmark used before 2026-12-04 (see {@link #fairQueue}).
     */
    private final Map<String, List<Double>> untilLastAnswer = new LinkedHashMap<>();

    EndToEnd(Mode mode, Clients clients, ProcessHandle server, Report report, boolean peers, int warmupRuns) {
        this.mode = mode;
        this.server = server;
        this.admin = clients.admin();
        this.worker = clients.worker();
        this.workerIds = clients.workerIds();
        this.report = report;
        this.peers = peers;
        this.warmupRuns = warmupRuns;
    }

    /** The systems and variants of one run, in the order each repetition runs them. */
    private static final String THREE_CALLS = "FairQueue, three calls";

    private static final String ONE_CALL = "FairQueue, one call";
    private static final String ONE_CALL_1000_USERS = "FairQueue, one call, 1,000 users";
    private static final String DB_SCHEDULER = "db-scheduler";
    private static final String JOBRUNR = "JobRunr";

    /** A limit-1 user's step in one run, in milliseconds (see {@link #limitOneStep}). */
    record Step(double meanMs, double p50Ms, double claimToCompletionMs, double completionToNextClaimMs) {}

    void run() throws Exception {
        String dbScheduler = BenchDatabase.PG + "bench_dbscheduler";
        String jobRunr = BenchDatabase.PG + "bench_jobrunr";
        int threads = Benchmark.THREADS;
        int n = mode.e2eJobs();
        ProcessHandle self = ProcessHandle.current();
        // Unmeasured runs of each system first, so that every system's hot paths are compiled by the
        // JIT (FairQueue's server; db-scheduler and JobRunr in this JVM) before anything is timed.
        // FairQueue's server spent 0.55 of a core in its compiler threads during the first run,
        // 0.5 in the second, 0.22 in the fifth (per-thread CPU from /proc), and ran 647, 821, 842,
        // 878, 1004 and then 1028-1077 jobs/s.
        report.put("endToEndWarmupRuns", warmupRuns);
        for (int w = 0; w < warmupRuns; w++) {
            double warm = fairQueue("e2e-warm-up-" + w, false, 100);
            double warmOne = fairQueue("e2e-one-call-warm-up-" + w, true, 100);
            double warmDbs = peers ? Peers.dbScheduler(dbScheduler, n, threads, -1 - w) : Double.NaN;
            double warmJr = peers ? Peers.jobRunr(jobRunr, n, threads) : Double.NaN;
            System.out.printf(
                    "bench: end-to-end warm-up %d (not counted): FairQueue %.0f, one call %.0f, db-scheduler %.0f,"
                            + " JobRunr %.0f jobs/s%n",
                    w + 1, warm, warmOne, warmDbs, warmJr);
        }
        List.of(submit, claim, start, complete).forEach(Stats::clear);
        List.of(emptyClaims, claimed, claimCalls).forEach(c -> c.set(0));
        untilLastAnswer.clear();
        Map<String, List<RunCost.Cost>> runs = new LinkedHashMap<>();
        Map<String, List<Step>> steps = new LinkedHashMap<>();
        (peers
                        ? List.of(THREE_CALLS, ONE_CALL, ONE_CALL_1000_USERS, DB_SCHEDULER, JOBRUNR)
                        : List.of(THREE_CALLS, ONE_CALL, ONE_CALL_1000_USERS))
                .forEach(name -> runs.put(name, new ArrayList<>()));
        for (int rep = 0; rep < mode.e2eReps(); rep++) {
            String q3 = "e2e-" + rep;
            String q1 = "e2e-one-call-" + rep;
            String qs = "e2e-1000-users-" + rep;
            int r = rep;
            runs.get(THREE_CALLS).add(RunCost.measure(n, server, () -> fairQueue(q3, false, 100)));
            runs.get(ONE_CALL).add(RunCost.measure(n, server, () -> fairQueue(q1, true, 100)));
            runs.get(ONE_CALL_1000_USERS).add(RunCost.measure(n, server, () -> fairQueue(qs, true, 1000)));
            // with 1,000 users the next job of a limit-1 user waits for its turn among the others
            // (fewest running first, then age), not for its own user's slot: no chain to measure
            for (String q : List.of(q3, q1)) {
                steps.computeIfAbsent(q.replaceAll("-\\d+$", ""), k -> new ArrayList<>())
                        .add(limitOneStep(q));
            }
            if (peers) {
                runs.get(DB_SCHEDULER)
                        .add(RunCost.measure(n, self, () -> Peers.dbScheduler(dbScheduler, n, threads, r)));
                runs.get(JOBRUNR).add(RunCost.measure(n, self, () -> Peers.jobRunr(jobRunr, n, threads)));
            }
            StringBuilder line = new StringBuilder("bench: end-to-end rep " + (rep + 1) + ":");
            runs.forEach((name, costs) -> line.append(
                    String.format(" %s %.0f jobs/s;", name, costs.get(r).jobsPerSec())));
            System.out.println(line);
        }
        double f = median(runs.get(THREE_CALLS), RunCost.Cost::jobsPerSec);
        double o = median(runs.get(ONE_CALL), RunCost.Cost::jobsPerSec);
        double d = peers ? median(runs.get(DB_SCHEDULER), RunCost.Cost::jobsPerSec) : Double.NaN;
        double j = peers ? median(runs.get(JOBRUNR), RunCost.Cost::jobsPerSec) : Double.NaN;
        Map<String, Object> e2e = new LinkedHashMap<>();
        e2e.put("jobs", n);
        e2e.put("threads", threads);
        e2e.put("claimBatch", Benchmark.CLAIM_BATCH);
        e2e.put("fairQueueJobsPerSec", f);
        e2e.put("dbSchedulerJobsPerSec", d);
        e2e.put("jobRunrJobsPerSec", j);
        e2e.put("fairQueueOneCallJobsPerSec", o);
        e2e.put("oneCallRatioToDbScheduler", o / d);
        e2e.put("oneCallRatioToJobRunr", o / j);
        e2e.put("ratioToDbScheduler", f / d);
        e2e.put("ratioToJobRunr", f / j);
        e2e.put("jobRunrPollInterval", String.valueOf(Peers.jobRunrPoll));
        Map<String, Object> systems = new LinkedHashMap<>();
        runs.forEach((name, costs) -> systems.put(
                name,
                Map.of(
                        "runs",
                        costs.stream()
                                .map(c -> Map.of(
                                        "jobsPerSec", c.jobsPerSec(),
                                        "postgresCpuMsPerJob", c.pgCpuMs(),
                                        "processCpuMsPerJob", c.appCpuMs(),
                                        "processJitCompilerCpuMsPerJob", c.jitCpuMs(),
                                        "walBytesPerJob", c.walBytes(),
                                        "machineBusyCores", c.busyCores()))
                                .toList())));
        e2e.put("systems", systems);
        e2e.put("limitOneStep", steps);
        e2e.put("fairQueueJobsPerSecUntilLastAnswer", Map.copyOf(untilLastAnswer));
        Map<String, Object> profile = profile();
        e2e.put("fairQueueProfile", profile);
        System.out.println("bench: FairQueue end-to-end profile " + profile);
        // two more one-call runs, not counted, with FairQueue's database sampled: where its time goes
        Map<String, Map<String, Object>> waits = new LinkedHashMap<>();
        for (int users : new int[] {100, 1000}) {
            DatabaseWaits sampler = DatabaseWaits.start();
            try {
                fairQueue("e2e-one-call-sampled-" + users, true, users);
            } finally {
                sampler.close();
            }
            waits.put(users + " users", sampler.result());
            System.out.println("bench: FairQueue one-call run of " + users
                    + " users, its database backends sampled every" + " 10 ms: " + waits.get(users + " users"));
        }
        e2e.put("fairQueueOneCallDatabaseWaits", waits);
        report.put("endToEnd", e2e);
        report.row(
                "throughput (jobs/s, median of " + mode.e2eReps() + ", after warm-up runs: " + warmupRuns + ")",
                "",
                "",
                "",
                "");
        runs.forEach((name, costs) -> report.row(
                "  " + name + (name.equals(JOBRUNR) ? " (poll " + Peers.jobRunrPoll + ")" : ""),
                fmt(median(costs, RunCost.Cost::jobsPerSec)),
                "",
                "",
                ""));
        report.row(
                "  FairQueue until every worker's last call returned (the end used before 2026-12-04)", "", "", "", "");
        untilLastAnswer.forEach((q, perSec) -> {
            if (!q.contains("sampled")) {
                report.row("    " + q, fmt(Stats.median(perSec)), "", "", "");
            }
        });
        report.row("throughput ratio FairQueue/db-scheduler", fmt2(f / d), "", ">= 1", met(f >= d));
        report.row("throughput ratio FairQueue/JobRunr", fmt2(f / j), "", ">= 1", met(f >= j));
        report.row("  one-call ratio FairQueue/db-scheduler", fmt2(o / d), "", ">= 1", met(o >= d));
        report.row("  one-call ratio FairQueue/JobRunr", fmt2(o / j), "", ">= 1", met(o >= j));
        report.row(
                "  FairQueue call p50 (ms): submit 500 / claim / start / complete",
                fmt(submit.p50()) + "/" + fmt(claim.p50()) + "/" + fmt(start.p50()) + "/" + fmt(complete.p50()),
                "",
                "",
                "");
        report.row(
                "per job (medians): PostgreSQL CPU ms / process CPU ms (JIT) / WAL bytes; busy cores", "", "", "", "");
        runs.forEach((name, costs) -> report.row(
                "  " + name,
                fmt2(median(costs, RunCost.Cost::pgCpuMs)) + " / " + fmt2(median(costs, RunCost.Cost::appCpuMs))
                        + " (" + fmt2(median(costs, RunCost.Cost::jitCpuMs)) + ")"
                        + " / " + fmt(median(costs, RunCost.Cost::walBytes)) + "; "
                        + fmt2(median(costs, RunCost.Cost::busyCores)),
                "",
                "",
                ""));
        waits.forEach((users, w) -> {
            report.row(
                    "  FairQueue one call, " + users + ": mean backends in a transaction",
                    fmt2((Double) w.get("meanBackendsInTransaction")),
                    "",
                    "",
                    "");
            @SuppressWarnings("unchecked")
            Map<String, Double> shares = (Map<String, Double>) w.get("percentOfSamples");
            shares.entrySet().stream()
                    .limit(8)
                    .forEach(e -> report.row("    % " + e.getKey(), String.format("%.1f", e.getValue()), "", "", ""));
        });
        steps.forEach((q, s) -> {
            double mean = median(s, Step::meanMs);
            report.row(
                    "  limit-1 user's step, ms (mean; p50): " + q,
                    fmt(mean),
                    fmt(median(s, Step::p50Ms)),
                    "< 15 (issue 18)",
                    met(mean < 15));
            report.row(
                    "    claim -> completion / completion -> next claim (ms)",
                    fmt(median(s, Step::claimToCompletionMs)) + " / " + fmt(median(s, Step::completionToNextClaimMs)),
                    "",
                    "",
                    "");
        });
    }

    private static <T> double median(List<T> runs, java.util.function.ToDoubleFunction<T> f) {
        return Stats.median(runs.stream().map(f::applyAsDouble).toList());
    }

    /**
     * The time from one job's claim to the next claim of the same user, over the users with a limit
     * of 1 in this run's queue (their jobs run one after another: with 100 users, the run's critical
     * path), counting only the steps where the next job had been submitted before the previous one
     * finished (it was waiting for the slot, not for its submit): the mean and the median of those
     * steps, in milliseconds, from the jobs' claimed_at; and the mean of their two parts: from the
     * claim to the completion's transaction (the claim's answer, the worker's turn, its next call)
     * and from there to the next job's claim (waiting for a claim).
     */
    private static Step limitOneStep(String queue) throws SQLException {
        try (Connection c = BenchDatabase.connect(BenchDatabase.FQ_DB);
                PreparedStatement s = c.prepareStatement("""
                        SELECT avg(step), percentile_cont(0.5) WITHIN GROUP (ORDER BY step), avg(held), avg(gap)
                          FROM (SELECT extract(epoch FROM j.claimed_at - lag(j.claimed_at) OVER w) * 1000 AS step,
                                       extract(epoch FROM lag(j.finished_at) OVER w - lag(j.claimed_at) OVER w) * 1000
                                           AS held,
                                       extract(epoch FROM j.claimed_at - lag(j.finished_at) OVER w) * 1000 AS gap,
                                       j.created_at < lag(j.finished_at) OVER w AS waited
                                  FROM job j JOIN fq_user u ON u.id = j.user_id
                                 WHERE j.queue = ? AND u.max_concurrent = 1
                                WINDOW w AS (PARTITION BY j.user_id ORDER BY j.claimed_at)) s
                         WHERE step IS NOT NULL AND waited""")) {
            s.setString(1, queue);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new Step(rs.getDouble(1), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4));
            }
        }
    }

    /**
     * Seconds from {@code startedAt} (taken just before the first submit) until the last job of
     * {@code queue} was completed: its {@code finished_at}, which the server stamps from its clock
     * (this machine's) in the completion's transaction, a millisecond or less before the commit.
     */
    private static double lastCompletion(String queue, OffsetDateTime startedAt) throws SQLException {
        try (Connection c = BenchDatabase.connect(BenchDatabase.FQ_DB);
                PreparedStatement s = c.prepareStatement("""
                        SELECT extract(epoch FROM max(finished_at) - ?)
                          FROM (SELECT finished_at FROM job WHERE queue = ?
                                UNION ALL
                                SELECT finished_at FROM job_archive WHERE queue = ?) j""")) {
            s.setObject(1, startedAt);
            s.setString(2, queue);
            s.setString(3, queue);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                double secs = rs.getDouble(1);
                if (rs.wasNull() || secs <= 0) {
                    throw new IllegalStateException("no completed job in queue " + queue);
                }
                return secs;
            }
        }
    }

    /** Where the time of FairQueue's measured runs went: call p50s and how full the claims were. */
    private Map<String, Object> profile() {
        Map<String, Object> profile = new LinkedHashMap<>();
        profile.put("submitBatch500P50Ms", submit.p50());
        profile.put("claimP50Ms", claim.p50());
        profile.put("startBatchP50Ms", start.p50());
        profile.put("completeBatchP50Ms", complete.p50());
        profile.put("claimCalls", claimCalls.get());
        profile.put("emptyClaims", emptyClaims.get());
        profile.put("jobsPerNonEmptyClaim", claimed.get() / (double) Math.max(1, claimCalls.get() - emptyClaims.get()));
        return profile;
    }

    /**
     * One FairQueue run on a new queue: N trivial jobs of {@code users} users (user limits 1..3, a queue limit
     * of 400): one thread submits batches of 500 while 8 workers claim up to 50 (long poll), start
     * and complete in batches (or, {@code oneCall}, claim with start and carry the completions).
     * Answers jobs per second from the first submit until the last job's completion was committed
     * ({@link #lastCompletion}). The call latencies are taken from the three-call runs only.
     *
     * <p>Not until every worker's last call returned: once the last jobs are done, each worker's
     * long poll waits out its second with nothing to claim, and in the one-call protocol the last
     * completions are answered only when their call's long poll ends (the claim that follows them
     * waits for work), so the workers return up to a second after the last job was done (issue 18:
     * 1.6 s of a 4.9 s run, all of it idle). The peers' runs end when their handlers have run the
     * last job, before its completion is even written ({@link Peers}); this end is the later one.
     */
    private double fairQueue(String queue, boolean oneCall, int users) throws Exception {
        admin.post("queues", "{\"name\":\"" + queue + "\",\"maxConcurrent\":400}", 201);
        int n = mode.e2eJobs();
        AtomicInteger done = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(Benchmark.THREADS + 1);
        OffsetDateTime startedAt = OffsetDateTime.now();
        long t0 = System.nanoTime();
        pool.submit(() -> {
            for (int from = 0; from < n; from += 500) {
                String body = Http.batch(queue, "noop", from, Math.min(n, from + 500), i -> "u" + (1 + i % users));
                submit.time(() -> admin.post("jobs/batch", body, 201));
            }
            return null;
        });
        List<Future<?>> workers = new ArrayList<>();
        for (String id : workerIds) {
            workers.add(pool.submit(() -> {
                if (oneCall) {
                    oneCallWorker(id, queue, n, done, stop);
                    return null;
                }
                while (!stop.get() && done.get() < n) {
                    String body = "{\"workerId\":\"" + id + "\",\"queues\":[\"" + queue + "\"],\"limit\":"
                            + Benchmark.CLAIM_BATCH + ",\"waitSeconds\":1}";
                    JsonArray got = Http.array(claim.time(() -> worker.post("claims", body, 200)));
                    claimCalls.incrementAndGet();
                    if (got.isEmpty()) {
                        emptyClaims.incrementAndGet();
                        continue;
                    }
                    claimed.addAndGet(got.size());
                    String leases = Http.leases(got);
                    start.time(() -> worker.post("jobs/start", leases, 200));
                    complete.time(() -> worker.post("jobs/complete", leases, 200));
                    done.addAndGet(got.size());
                }
                return null;
            }));
        }
        for (Future<?> f : workers) {
            f.get(10, TimeUnit.MINUTES);
        }
        double answeredSecs = (System.nanoTime() - t0) / 1e9;
        stop.set(true);
        pool.shutdown();
        double secs = lastCompletion(queue, startedAt);
        if (secs > answeredSecs + 0.05) {
            // the server's clock and this JVM's are the same machine's: a later completion than the
            // workers' last answer means the clocks disagree, and the figure would be wrong
            throw new IllegalStateException(String.format(
                    "the last completion of %s is %.3f s after the start, later than the workers' last answer (%.3f s)",
                    queue, secs, answeredSecs));
        }
        untilLastAnswer
                .computeIfAbsent(queue.replaceAll("-\\d+$", ""), k -> new ArrayList<>())
                .add(n / answeredSecs);
        return n / secs;
    }

    /**
     * A worker of the one-call protocol: every claim starts its jobs and carries the completions of
     * the batch before; a job counts as done once its completion was answered COMPLETED.
     */
    private void oneCallWorker(String id, String queue, int n, AtomicInteger done, AtomicBoolean stop) {
        JsonArray running = Json.createArrayBuilder().build();
        while (!stop.get() && done.get() < n) {
            JsonObject answer = Http.object(worker.post(
                    "claims/next",
                    "{\"workerId\":\"" + id + "\",\"queues\":[\"" + queue + "\"],\"limit\":"
                            + Benchmark.CLAIM_BATCH + ",\"waitSeconds\":1,\"start\":true,\"complete\":"
                            + Http.leaseItems(running) + "}",
                    200));
            int completed = 0;
            for (JsonValue o : answer.getJsonArray("completed")) {
                if ("COMPLETED".equals(o.asJsonObject().getString("status"))) {
                    completed++;
                }
            }
            done.addAndGet(completed);
            running = answer.getJsonArray("jobs");
        }
    }
}
