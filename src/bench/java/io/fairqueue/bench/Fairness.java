package io.fairqueue.bench;

import static io.fairqueue.bench.Report.fmt;
import static io.fairqueue.bench.Report.met;

import io.fairqueue.bench.Benchmark.Clients;
import io.fairqueue.bench.Benchmark.Mode;
import jakarta.json.JsonArray;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fairness under load (SPEC §7 workload 5; part {@code fairness}). First, per backlog B of the
 * mode: two slots run a heavy user's {@value #FAIR_JOB_MILLIS} ms jobs, and {@value #LIGHT_PROBES}
 * light users, one after another, each submit one job at a random moment; the median wait until
 * it is claimed, against one job's duration. Then Jain's index: four users with deep backlogs
 * share 8 slots, 8 workers run 100 ms jobs, and the running slots per user are sampled from the
 * database every 50 ms; any sample above the limit is a cap violation.
 */
final class Fairness {

    static final long FAIR_JOB_MILLIS = 200;

    /**
     * Light users probed per backlog (the median is reported). Each wait is the rest of a running
     * job (uniform over 0..200 ms) plus the completion and the claim: a median of five swung from
     * 142 to 225 ms between runs at B = 10,000; of fifteen its standard error is about 19 ms
     * (1.25 * 58 / sqrt 15).
     */
    static final int LIGHT_PROBES = 15;

    private final Mode mode;
    private final Http admin;
    private final Http worker;
    private final List<String> workerIds;
    private final Report report;

    Fairness(Mode mode, Clients clients, Report report) {
        this.mode = mode;
        this.admin = clients.admin();
        this.worker = clients.worker();
        this.workerIds = clients.workerIds();
        this.report = report;
    }

    void run() throws Exception {
        List<Map<String, Object>> light = new ArrayList<>();
        for (int b : mode.backlogs()) {
            List<Double> waits = lightUserWaits(b);
            double median = Stats.median(waits);
            boolean ok = median <= FAIR_JOB_MILLIS;
            light.add(Map.of(
                    "backlog", b, "lightUserWaitMedianMs", median, "waitsMs", waits, "jobMillis", FAIR_JOB_MILLIS));
            report.row(
                    "light user's first-job wait, backlog B=" + b + " (ms, median of " + LIGHT_PROBES + ")",
                    fmt(median),
                    fmt(waits.stream().mapToDouble(Double::doubleValue).max().orElse(0)) + " max",
                    "<= " + FAIR_JOB_MILLIS + " (one job)",
                    met(ok));
        }
        report.put("lightUser", light);
        double[] jain = jain();
        report.put("jain", Map.of("index", jain[0], "capViolations", (long) jain[1], "samples", (long) jain[2]));
        report.row(
                "Jain's index, 4 saturated users on 8 slots",
                String.format("%.4f", jain[0]),
                "",
                ">= 0.99",
                met(jain[0] >= 0.99));
        report.row(
                "cap violations (samples " + (long) jain[2] + ")",
                Long.toString((long) jain[1]),
                "",
                "0",
                met(jain[1] == 0));
    }

    /**
     * Two slots busy with a heavy user's jobs (backlog B); a light user submits one job at a random
     * moment, {@link #LIGHT_PROBES} times (a new light user each time): how long until it is claimed?
     */
    private List<Double> lightUserWaits(int backlog) throws Exception {
        String q = "fair-" + backlog;
        admin.post("queues", "{\"name\":\"" + q + "\",\"maxConcurrent\":2}", 201);
        String heavy = "heavy-" + backlog;
        String lightUser = "light-" + backlog;
        admin.post(
                "admin/users",
                "{\"id\":\"" + heavy + "\",\"displayName\":\"h\",\"role\":\"USER\",\"maxConcurrent\":2}",
                201);
        for (int from = 0; from < backlog; from += 1000) {
            admin.post("jobs/batch", Http.batch(q, "render", from, Math.min(backlog, from + 1000), i -> heavy), 201);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong lightClaimed = new AtomicLong();
        AtomicReference<String> currentLight = new AtomicReference<>("");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            String id = workerIds.get(w);
            running.add(pool.submit(() -> {
                while (!stop.get()) {
                    JsonArray got = Http.array(worker.post(
                            "claims",
                            "{\"workerId\":\"" + id + "\",\"queues\":[\"" + q + "\"],\"waitSeconds\":1}",
                            200));
                    if (got.isEmpty()) {
                        continue;
                    }
                    if (got.getJsonObject(0).getString("userId").equals(currentLight.get())) {
                        lightClaimed.compareAndSet(0, System.nanoTime());
                    }
                    String leases = Http.leases(got);
                    worker.post("jobs/start", leases, 200);
                    Thread.sleep(FAIR_JOB_MILLIS);
                    worker.post("jobs/complete", leases, 200);
                }
                return null;
            }));
        }
        Thread.sleep(FAIR_JOB_MILLIS + 150); // both slots run the heavy user's jobs
        List<Double> waits = new ArrayList<>();
        for (int probe = 0; probe < LIGHT_PROBES; probe++) {
            String light = lightUser + "-" + probe;
            admin.post(
                    "admin/users",
                    "{\"id\":\"" + light + "\",\"displayName\":\"l\",\"role\":\"USER\",\"maxConcurrent\":2}",
                    201);
            lightClaimed.set(0);
            currentLight.set(light);
            Thread.sleep((long) (Math.random() * FAIR_JOB_MILLIS)); // submit at a random point of the running jobs
            long t0 = System.nanoTime();
            admin.post("jobs", "{\"queue\":\"" + q + "\",\"type\":\"render\",\"userId\":\"" + light + "\"}", 201);
            long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
            while (lightClaimed.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            if (lightClaimed.get() == 0) {
                throw new IllegalStateException("the light user's job was not claimed within 30 s");
            }
            waits.add((double) TimeUnit.NANOSECONDS.toMillis(lightClaimed.get() - t0));
        }
        stop.set(true);
        for (Future<?> f : running) {
            f.get(1, TimeUnit.MINUTES);
        }
        pool.shutdown();
        admin.delete("queues/" + q + "/jobs");
        return waits;
    }

    /**
     * Four users with deep backlogs share a queue of 8 slots, 8 workers run 100 ms jobs; the
     * running slots per user are sampled from the database every 50 ms. Answers {index,
     * violations, samples}.
     */
    private double[] jain() throws Exception {
        String q = "jain";
        admin.post("queues", "{\"name\":\"" + q + "\",\"maxConcurrent\":8}", 201);
        List<String> users = List.of("j1", "j2", "j3", "j4");
        for (String u : users) {
            admin.post(
                    "admin/users",
                    "{\"id\":\"" + u + "\",\"displayName\":\"" + u + "\",\"role\":\"USER\",\"maxConcurrent\":8}",
                    201);
            admin.post("jobs/batch", Http.batch(q, "render", 0, 1000, i -> u), 201);
        }
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(Benchmark.THREADS);
        List<Future<?>> running = new ArrayList<>();
        for (String id : workerIds) {
            running.add(pool.submit(() -> {
                while (!stop.get()) {
                    JsonArray got = Http.array(worker.post(
                            "claims", "{\"workerId\":\"" + id + "\",\"queues\":[\"jain\"],\"waitSeconds\":1}", 200));
                    if (got.isEmpty()) {
                        continue;
                    }
                    String leases = Http.leases(got);
                    worker.post("jobs/start", leases, 200);
                    Thread.sleep(100);
                    worker.post("jobs/complete", leases, 200);
                }
                return null;
            }));
        }
        Thread.sleep(1000); // warm up: every slot taken
        Map<String, Long> slotSum = new HashMap<>();
        long samples = 0;
        long violations = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(mode.jainSeconds());
        try (Connection c = BenchDatabase.connect(BenchDatabase.FQ_DB)) {
            while (System.nanoTime() < end) {
                long total = 0;
                try (Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery(
                                "SELECT user_id, count(*) FROM job WHERE queue = 'jain' AND status IN ('DISPATCHED', 'RUNNING') GROUP BY 1")) {
                    while (rs.next()) {
                        slotSum.merge(rs.getString(1), rs.getLong(2), Long::sum);
                        total += rs.getLong(2);
                    }
                }
                if (total > 8) {
                    violations++;
                }
                samples++;
                Thread.sleep(50);
            }
        }
        stop.set(true);
        for (Future<?> f : running) {
            f.get(1, TimeUnit.MINUTES);
        }
        pool.shutdown();
        admin.delete("queues/jain/jobs");
        double sum = 0;
        double squares = 0;
        for (String u : users) {
            double x = slotSum.getOrDefault(u, 0L) / (double) samples;
            sum += x;
            squares += x * x;
        }
        return new double[] {sum * sum / (users.size() * squares), violations, samples};
    }
}
