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
