package io.fairqueue.bench;

import static io.fairqueue.bench.Report.fmt2;
import static io.fairqueue.bench.Report.met;

import io.fairqueue.bench.Benchmark.Clients;
import io.fairqueue.bench.Benchmark.Mode;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Claims and views at depth (SPEC §7 workload 1; part {@code depths}). PENDING jobs of the 10,000
 * users are loaded into queue "deep" straight into the table, up to each depth of the mode
 * (10,000, 100,000, 1,000,000 in full mode). At each depth: single claims and claims of
 * {@value Benchmark#CLAIM_BATCH} (each followed, untimed, by a batch start and complete, so the
 * backlog stays), {@code GET /queue} and {@code GET /jobs/{id}} of random pending jobs; p50 and p99
 * after 20 warm-up calls each. Then the claims' p99 at the deepest level over the shallowest: the
 * claim should stay flat as the queue grows.
 */
final class Depths {

    private final Mode mode;
    private final Http admin;
    private final Http worker;
    private final String workerId;
    private final Report report;

    Depths(Mode mode, Clients clients, Report report) {
        this.mode = mode;
        this.admin = clients.admin();
        this.worker = clients.worker();
        this.workerId = clients.workerIds().get(0);
        this.report = report;
    }

    void run() throws Exception {
        admin.post("queues", "{\"name\":\"deep\"}", 201);
        List<Map<String, Object>> levels = new ArrayList<>();
        int loaded = 0;
        Map<Integer, double[]> byDepth = new LinkedHashMap<>();
        for (int depth : mode.depths()) {
            long t = System.nanoTime();
            load(loaded, depth - loaded);
            loaded = depth;
            System.out.printf("bench: %,d pending jobs loaded (%.0f s)%n", depth, (System.nanoTime() - t) / 1e9);
            Stats single = new Stats();
            Stats batch = new Stats();
            Stats view = new Stats();
            Stats job = new Stats();
            claims(1, 20, new Stats());
            claims(1, mode.claimSamples(), single);
            claims(Benchmark.CLAIM_BATCH, mode.batchSamples(), batch);
            for (int i = 0; i < mode.viewSamples() + 20; i++) {
                long t0 = System.nanoTime();
                admin.get("queue");
                if (i >= 20) {
                    view.add(System.nanoTime() - t0);
                }
            }
            List<Long> ids = randomPending(mode.viewSamples() + 20);
            for (int i = 0; i < ids.size(); i++) {
                long t0 = System.nanoTime();
                JsonObject j = Http.object(admin.get("jobs/" + ids.get(i)));
                if (i >= 20) {
                    job.add(System.nanoTime() - t0);
                }
                if (!j.containsKey("position")) {
                    throw new IllegalStateException("job " + ids.get(i) + " has no position: " + j);
                }
            }
            byDepth.put(depth, new double[] {single.p99(), batch.p99()});
            Map<String, Object> level = new LinkedHashMap<>();
            level.put("pending", depth);
            level.put("claimP50Ms", single.p50());
            level.put("claimP99Ms", single.p99());
            level.put("claimBatch50P50Ms", batch.p50());
            level.put("claimBatch50P99Ms", batch.p99());
            level.put("queueViewP50Ms", view.p50());
            level.put("queueViewP99Ms", view.p99());
            level.put("jobViewP50Ms", job.p50());
            level.put("jobViewP99Ms", job.p99());
            levels.add(level);
            String d = String.format("%,d", depth);
            boolean top = depth == mode.depths()[mode.depths().length - 1];
            report.row("claim limit=1 at " + d + " pending (ms)", fmt2(single.p50()), fmt2(single.p99()), "", "");
            report.row("claim limit=50 at " + d + " pending (ms)", fmt2(batch.p50()), fmt2(batch.p99()), "", "");
            report.row(
                    "GET /queue at " + d + " pending (ms)",
                    fmt2(view.p50()),
                    fmt2(view.p99()),
                    top ? "p99 < 50" : "",
                    top ? met(view.p99() < 50) : "");
            report.row(
                    "GET /jobs/{id} at " + d + " pending (ms)",
                    fmt2(job.p50()),
                    fmt2(job.p99()),
                    top ? "p99 < 50" : "",
                    top ? met(job.p99() < 50) : "");
        }
        report.put("depths", levels);
        history(loaded);
        int first = mode.depths()[0];
        int last = mode.depths()[mode.depths().length - 1];
        double r1 = byDepth.get(last)[0] / byDepth.get(first)[0];
        double r50 = byDepth.get(last)[1] / byDepth.get(first)[1];
        report.put("flatClaims", Map.of("from", first, "to", last, "p99RatioLimit1", r1, "p99RatioLimit50", r50));
        report.row(
                String.format("claim p99 ratio %,d / %,d, limit=1", last, first),
                fmt2(r1),
                "",
                "<= 1.5",
                met(r1 <= 1.5));
        report.row(
                String.format("claim p99 ratio %,d / %,d, limit=50", last, first),
                fmt2(r50),
                "",
                "<= 1.5",
                met(r50 <= 1.5));
    }

    /** Claims {@code samples} times (timed), then starts and completes what it got (not timed). */
    private void claims(int limit, int samples, Stats into) {
        String body = "{\"workerId\":\"" + workerId + "\",\"limit\":" + limit + "}";
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            JsonArray got = Http.array(worker.post("claims", body, 200));
            into.add(System.nanoTime() - t0);
            if (got.isEmpty()) {
                throw new IllegalStateException("the claim found nothing at depth");
            }
            String leases = Http.leases(got);
            worker.post("jobs/start", leases, 200);
            worker.post("jobs/complete", leases, 200);
        }
    }

    /**
     * Adds {@code n} PENDING jobs of the 10,000 users to queue "deep", created over the past day,
     * priorities across the tiers, in one statement with the job trigger off; then every counter,
     * lane and position count is rebuilt from the rows (fq_recount(true)) and the tables analyzed.
     */
    private static void load(int offset, int n) throws SQLException {
        BenchDatabase.sql(
                BenchDatabase.FQ_DB,
                "ALTER TABLE job DISABLE TRIGGER job_inserted",
                """
                INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at)
                SELECT 'deep', 'u' || (1 + (g::bigint * 7919) %% %d), 'render', 'PENDING', (ARRAY[-10, 0, 0, 0, 5, 10])[1 + g %% 6], 3,
                       now() - interval '1 day' + g * (interval '1 day' / %d)
                  FROM generate_series(%d, %d) g
                """.formatted(Benchmark.USERS, 2_000_000, offset + 1, offset + n),
                "ALTER TABLE job ENABLE TRIGGER job_inserted",
                "SELECT count(*) FROM fq_recount(true)",
                "VACUUM ANALYZE");
    }

    /**
     * The per-minute history at the deepest backlog (issue 17): 10,000 jobs finished over the last
     * hour are added (trigger off, counters rebuilt as in {@link #load}), then {@code EXPLAIN
     * (ANALYZE, BUFFERS)} of the rollup's read (R__history.sql, fq_roll_history: the same SELECT)
     * over one closed minute (a steady run) and over the hour (a first run), the timings of
     * {@code fq_roll_history} itself, and of the read of {@code GET /admin/history} (a day, 5-minute
     * buckets). Printed as {@code bench: HISTORY} lines and as report rows.
     */
    private void history(int pending) throws SQLException {
        BenchDatabase.sql(
                BenchDatabase.FQ_DB,
                "ALTER TABLE job DISABLE TRIGGER job_inserted",
                """
                INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at, claimed_at,
                                 started_at, finished_at, actual_duration_secs)
                SELECT 'deep', 'u' || (1 + g %% 100), 'render', 'COMPLETED', 0, 3,
                       now() - interval '61 minutes' + g * interval '360 milliseconds',
                       now() - interval '61 minutes' + g * interval '360 milliseconds' + interval '2 seconds',
                       now() - interval '61 minutes' + g * interval '360 milliseconds' + interval '2 seconds',
                       now() - interval '61 minutes' + g * interval '360 milliseconds' + interval '5 seconds', 3
                  FROM generate_series(1, 10000) g
                """.formatted(),
                "ALTER TABLE job ENABLE TRIGGER job_inserted",
                "SELECT count(*) FROM fq_recount(true)",
                "ANALYZE job",
                "DELETE FROM history_mark");
        String rollRead = """
                SELECT d.minute, CASE WHEN GROUPING(d.queue) = 1 THEN '*' ELSE d.queue END,
                       count(*) FILTER (WHERE d.status = 'COMPLETED'), count(*) FILTER (WHERE d.status = 'FAILED'),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY d.wait_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY d.wait_ms),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY d.run_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY d.run_ms)
                  FROM (SELECT date_trunc('minute', j.finished_at) AS minute, j.queue, j.status,
                               extract(epoch FROM j.claimed_at - coalesce(j.scheduled_start_at, j.created_at)) * 1000 AS wait_ms,
                               j.actual_duration_secs * 1000 AS run_ms
                          FROM job j
                         WHERE j.status IN ('COMPLETED', 'FAILED') AND j.finished_at >= %s AND j.finished_at < %s) d
                 GROUP BY GROUPING SETS ((d.minute, d.queue), (d.minute))
                """;
        String upto = "date_trunc('minute', now() - interval '10 seconds')";
        explain("rollup read, one minute", rollRead.formatted(upto + " - interval '1 minute'", upto), pending);
        explain("rollup read, one hour (first run)", rollRead.formatted(upto + " - interval '1 hour'", upto), pending);
        double first = timed("SELECT fq_roll_history(now())");
        double steady = timed("SELECT fq_roll_history(now() + interval '1 minute')");
        System.out.printf(
                "bench: HISTORY fq_roll_history at %,d pending: first run (one hour) %.1f ms, next minute %.1f ms%n",
                pending, first, steady);
        report.row(
                String.format("history rollup at %,d pending, first run / one minute (ms)", pending),
                fmt2(first),
                fmt2(steady),
                "",
                "");
        String read = io.fairqueue.queues.control.HistoryQuery.READ
                .replace("CAST(?1 AS timestamptz)", "(date_trunc('minute', now()) - interval '1 day')")
                .replace("CAST(?2 AS timestamptz)", "date_trunc('minute', now())")
                .replace("?3", "300")
                .replace("?4", "'deep'");
        double readMs = explain("GET /admin/history?range=day read", read, pending);
        report.row(String.format("history read (a day) at %,d pending (ms)", pending), fmt2(readMs), "", "", "");
    }

    /** Prints the plan with its cost and buffers; answers the execution time in ms. */
    private static double explain(String what, String sql, int pending) throws SQLException {
        double ms = 0;
        StringBuilder plan = new StringBuilder();
        try (Connection c = BenchDatabase.connect(BenchDatabase.FQ_DB);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS) " + sql)) {
            while (rs.next()) {
                String line = rs.getString(1);
                plan.append("bench: HISTORY   ").append(line).append('\n');
                if (line.startsWith("Execution Time:")) {
                    ms = Double.parseDouble(line.replaceAll("[^0-9.]", ""));
                }
            }
        }
        System.out.printf("bench: HISTORY EXPLAIN (ANALYZE, BUFFERS) %s at %,d pending:%n%s", what, pending, plan);
        return ms;
    }

    private static double timed(String sql) throws SQLException {
        try (Connection c = BenchDatabase.connect(BenchDatabase.FQ_DB);
                Statement s = c.createStatement()) {
            long t = System.nanoTime();
            s.execute(sql);
            return (System.nanoTime() - t) / 1e6;
        }
    }

    /** Ids of {@code n} random PENDING jobs of queue "deep". */
    private static List<Long> randomPending(int n) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Connection c = BenchDatabase.connect(BenchDatabase.FQ_DB);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT id FROM job WHERE status = 'PENDING' AND queue = 'deep' ORDER BY random() LIMIT "
                                + n)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }
}
