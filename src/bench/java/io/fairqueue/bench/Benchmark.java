package io.fairqueue.bench;

import jakarta.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * FairQueue's benchmark (issue 5, SPEC §7). One run: FairQueue on Payara Micro over HTTP on
 * loopback, db-scheduler and JobRunr in this JVM, all on the local PostgreSQL, each in its own
 * database. Prints a table and writes target/bench/results.json.
 *
 * <pre>mvn -B -Pbench -DskipTests verify [-Dbench.mode=quick] [-Dbench.only=e2e,latency] [-Dbench.warmups=N]</pre>
 *
 * <p>The pom passes {@code bench.mode}, {@code bench.only} and {@code bench.warmups} as the
 * arguments of {@link #main}.
 *
 * <p>This class sets up (fresh databases, 10,000 users, one WORKER account with {@value #THREADS}
 * workers), runs the selected parts in a fixed order and reports. Each part is one class:
 * {@link EndToEnd} ({@code e2e}, with {@link Peers} for {@code peers}), {@link SubmitToClaim}
 * ({@code latency}), {@link Fairness} ({@code fairness}), {@link Depths} ({@code depths}) and {@link Events}
 * ({@code events}); the
 * rows and results they add are printed and written by {@link Report}.
 */
public final class Benchmark {

    /** Sizes of one run. */
    record Mode(
            String name,
            int[] depths,
            int claimSamples,
            int batchSamples,
            int viewSamples,
            int e2eJobs,
            int e2eWarmups,
            int e2eReps,
            int latencyWarmups,
            int latencySamples,
            int[] backlogs,
            int jainSeconds) {}

    static final Mode FULL = new Mode(
            "full",
            new int[] {10_000, 100_000, 1_000_000},
            400,
            60,
            200,
            10_000,
            5,
            3,
            500,
            200,
            new int[] {10, 10_000},
            8);
    static final Mode QUICK =
            new Mode("quick", new int[] {1_000, 10_000}, 40, 10, 40, 2_000, 1, 1, 20, 30, new int[] {10, 1_000}, 3);

    static final String ADMIN_TOKEN = "fq_bench_admin_token_not_a_secret_0123456789";
    static final int USERS = 10_000;
    /** Worker threads of every system in the end-to-end workload. */
    static final int THREADS = 8;

    static final int CLAIM_BATCH = 50;

    /**
     * What the workloads drive FairQueue with: the admin's client, the WORKER account's client and
     * the ids of its {@value Benchmark#THREADS} registered workers.
     */
    record Clients(Http admin, Http worker, List<String> workerIds) {}

    final Mode mode;
    /** The parts of the run (see {@link #main}). */
    final Set<String> parts;
    /** Unmeasured end-to-end runs of each system before the measured ones: -Dbench.warmups, else the mode's. */
    final Integer warmups;

    final Path out;
    final Report report = new Report();

    Benchmark(Mode mode, Set<String> parts, Integer warmups, Path out) {
        this.mode = mode;
        this.parts = parts;
        this.warmups = warmups;
        this.out = out;
    }

    /**
     * @param args the mode ({@code full} or {@code quick}) and optionally the parts to run, comma
     *             separated: {@code e2e}, {@code peers} (db-scheduler and JobRunr beside the
     *             end-to-end run), {@code latency}, {@code fairness}, {@code depths}, {@code events};
     *             default all;
     *             then optionally the number of end-to-end warm-up runs
     */
    public static void main(String[] args) throws Exception {
        Mode mode = args.length > 0 && args[0].equals("quick") ? QUICK : FULL;
        Set<String> parts = Set.of("e2e", "peers", "latency", "fairness", "depths", "events");
        if (args.length > 1 && !args[1].isBlank() && !args[1].equals("all")) {
            parts = Set.of(args[1].split(","));
        }
        Integer warmups = null;
        if (args.length > 2 && args[2].matches("\\d+")) {
            warmups = Integer.parseInt(args[2]);
        }
        Path root = FairQueueServer.root();
        Path out = root.resolve("target/bench");
        Files.createDirectories(out);
        new Benchmark(mode, parts, warmups, out).run(root);
        System.exit(0);
    }

    void run(Path root) throws Exception {
        long started = System.nanoTime();
        for (String db : List.of(BenchDatabase.FQ_DB, "bench_dbscheduler", "bench_jobrunr")) {
            BenchDatabase.sql("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", "CREATE DATABASE " + db);
        }
        report.put("mode", mode.name());
        report.put("machine", BenchDatabase.machine());
        System.out.println("bench: " + mode.name() + " run on " + report.get("machine"));
        try (FairQueueServer server = FairQueueServer.start(
                root, BenchDatabase.PG + BenchDatabase.FQ_DB, 18080, 19010, ADMIN_TOKEN, out.resolve("payara.log"))) {
            Clients clients = setUp(new Http(server.base, ADMIN_TOKEN));
            if (parts.contains("e2e")) {
                int warmupRuns = warmups != null ? warmups : mode.e2eWarmups();
                new EndToEnd(mode, clients, server.handle(), report, parts.contains("peers"), warmupRuns).run();
            }
            if (parts.contains("latency")) {
                new SubmitToClaim(mode, clients, report).run();
            }
            if (parts.contains("fairness")) {
                new Fairness(mode, clients, report).run();
            }
            if (parts.contains("depths")) {
                new Depths(mode, clients, report).run();
            }
            if (parts.contains("events")) {
                new Events(mode, clients, server.base, report).run();
            }
        } finally {
            Peers.shutdown();
        }
        report.put("totalSeconds", Math.round((System.nanoTime() - started) / 1e9));
        report.write(out);
    }

    /** The {@value #USERS} users (limits 1 to 3) straight into the table, the WORKER account and its workers. */
    static Clients setUp(Http admin) throws Exception {
        BenchDatabase.sql(BenchDatabase.FQ_DB, """
                INSERT INTO fq_user (id, display_name, role, max_concurrent, created_at)
                SELECT 'u' || g, 'u' || g, 'USER', 1 + g %% 3, now() FROM generate_series(1, %d) g
                """.formatted(USERS));
        JsonObject w = Http.object(admin.post(
                "admin/users", "{\"id\":\"bench-worker\",\"displayName\":\"bench\",\"role\":\"WORKER\"}", 201));
        Http worker = admin.as(w.getString("token"));
        List<String> workerIds = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            workerIds.add(Http.object(worker.post("workers", "{\"name\":\"w" + i + "\",\"capacity\":1000}", 201))
                    .getString("id"));
        }
        return new Clients(admin, worker, workerIds);
    }
}
