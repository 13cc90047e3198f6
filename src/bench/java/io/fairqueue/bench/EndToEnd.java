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
 * three-call run, with its own ratios.
 */
final class EndToEnd {

    private final Mode mode;
    private final Http admin;
    private final Http worker;
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

    EndToEnd(Mode mode, Clients clients, Report report, boolean peers, int warmupRuns) {
        this.mode = mode;
        this.admin = clients.admin();
        this.worker = clients.worker();
        this.workerIds = clients.workerIds();
        this.report = report;
        this.peers = peers;
        this.warmupRuns = warmupRuns;
    }

    void run() throws Exception {
        List<Double> fq = new ArrayList<>();
        List<Double> oneCall = new ArrayList<>();
        List<Double> dbs = new ArrayList<>();
        List<Double> jr = new ArrayList<>();
        String dbScheduler = BenchDatabase.PG + "bench_dbscheduler";
        String jobRunr = BenchDatabase.PG + "bench_jobrunr";
        int threads = Benchmark.THREADS;
        // Unmeasured runs of each system first, so that every system's hot paths are compiled by the
        // JIT (FairQueue's server; db-scheduler and JobRunr in this JVM) before anything is timed.
        // FairQueue's server spent 0.55 of a core in its compiler threads during the first run,
        // 0.5 in the second, 0.22 in the fifth (per-thread CPU from /proc), and ran 647, 821, 842,
        // 878, 1004 and then 1028-1077 jobs/s.
        report.put("endToEndWarmupRuns", warmupRuns);
        for (int w = 0; w < warmupRuns; w++) {
            double warm = fairQueue("e2e-warm-up-" + w, false);
            double warmOne = fairQueue("e2e-one-call-warm-up-" + w, true);
            double warmDbs = peers ? Peers.dbScheduler(dbScheduler, mode.e2eJobs(), threads, -1 - w) : Double.NaN;
            double warmJr = peers ? Peers.jobRunr(jobRunr, mode.e2eJobs(), threads) : Double.NaN;
            System.out.printf(
                    "bench: end-to-end warm-up %d (not counted): FairQueue %.0f, one call %.0f, db-scheduler %.0f,"
                            + " JobRunr %.0f jobs/s%n",
                    w + 1, warm, warmOne, warmDbs, warmJr);
        }
        List.of(submit, claim, start, complete).forEach(Stats::clear);
        List.of(emptyClaims, claimed, claimCalls).forEach(c -> c.set(0));
        for (int rep = 0; rep < mode.e2eReps(); rep++) {
            fq.add(fairQueue("e2e-" + rep, false));
            oneCall.add(fairQueue("e2e-one-call-" + rep, true));
            dbs.add(peers ? Peers.dbScheduler(dbScheduler, mode.e2eJobs(), threads, rep) : Double.NaN);
            jr.add(peers ? Peers.jobRunr(jobRunr, mode.e2eJobs(), threads) : Double.NaN);
            System.out.printf(
                    "bench: end-to-end rep %d: FairQueue %.0f, one call %.0f, db-scheduler %.0f, JobRunr %.0f jobs/s%n",
                    rep + 1, fq.get(rep), oneCall.get(rep), dbs.get(rep), jr.get(rep));
        }
        double f = Stats.median(fq);
        double o = Stats.median(oneCall);
        double d = Stats.median(dbs);
        double j = Stats.median(jr);
        Map<String, Object> e2e = new LinkedHashMap<>();
        e2e.put("jobs", mode.e2eJobs());
        e2e.put("threads", threads);
        e2e.put("claimBatch", Benchmark.CLAIM_BATCH);
        e2e.put("fairQueueJobsPerSec", f);
        e2e.put("dbSchedulerJobsPerSec", d);
        e2e.put("jobRunrJobsPerSec", j);
        e2e.put("fairQueueRuns", fq);
        e2e.put("fairQueueOneCallJobsPerSec", o);
        e2e.put("fairQueueOneCallRuns", oneCall);
        e2e.put("oneCallRatioToDbScheduler", o / d);
        e2e.put("oneCallRatioToJobRunr", o / j);
        e2e.put("dbSchedulerRuns", dbs);
        e2e.put("jobRunrRuns", jr);
        e2e.put("ratioToDbScheduler", f / d);
        e2e.put("ratioToJobRunr", f / j);
        e2e.put("jobRunrPollInterval", String.valueOf(Peers.jobRunrPoll));
        Map<String, Object> profile = profile();
        e2e.put("fairQueueProfile", profile);
        System.out.println("bench: FairQueue end-to-end profile " + profile);
        report.put("endToEnd", e2e);
        report.row(
                "throughput FairQueue (jobs/s, median of " + mode.e2eReps() + ", after warm-up runs: "
                        + report.get("endToEndWarmupRuns") + ")",
                fmt(f),
                "",
                "",
                "");
        report.row(
                "  FairQueue call p50 (ms): submit 500 / claim / start / complete",
                fmt(submit.p50()) + "/" + fmt(claim.p50()) + "/" + fmt(start.p50()) + "/" + fmt(complete.p50()),
                "",
                "",
                "");
        report.row("throughput db-scheduler (jobs/s)", fmt(d), "", "", "");
        report.row("throughput JobRunr (jobs/s, poll " + Peers.jobRunrPoll + ")", fmt(j), "", "", "");
        report.row("throughput ratio FairQueue/db-scheduler", fmt2(f / d), "", ">= 1", met(f >= d));
        report.row("throughput ratio FairQueue/JobRunr", fmt2(f / j), "", ">= 1", met(f >= j));
        report.row("throughput FairQueue, one call per batch (jobs/s, median)", fmt(o), "", "", "");
        report.row("  one-call ratio FairQueue/db-scheduler", fmt2(o / d), "", ">= 1", met(o >= d));
        report.row("  one-call ratio FairQueue/JobRunr", fmt2(o / j), "", ">= 1", met(o >= j));
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
     * One FairQueue run on a new queue: N trivial jobs of 100 users (user limits 1..3, a queue limit
     * of 400): one thread submits batches of 500 while 8 workers claim up to 50 (long poll), start
     * and complete in batches (or, {@code oneCall}, claim with start and carry the completions).
     * Answers jobs per second. The call latencies are taken from the three-call runs only.
     */
    private double fairQueue(String queue, boolean oneCall) throws Exception {
        admin.post("queues", "{\"name\":\"" + queue + "\",\"maxConcurrent\":400}", 201);
        int n = mode.e2eJobs();
        AtomicInteger done = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(Benchmark.THREADS + 1);
        long t0 = System.nanoTime();
        pool.submit(() -> {
            for (int from = 0; from < n; from += 500) {
                String body = Http.batch(queue, "noop", from, Math.min(n, from + 500), i -> "u" + (1 + i % 100));
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
        double perSec = n / ((System.nanoTime() - t0) / 1e9);
        stop.set(true);
        pool.shutdown();
        return perSec;
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
