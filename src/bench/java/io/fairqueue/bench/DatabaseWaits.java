package io.fairqueue.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where FairQueue's database time goes during a run: every 10 ms, what each of its backends in a
 * transaction is doing ({@code pg_stat_activity}): which statement, and whether it runs on the CPU,
 * waits for a lock another transaction holds, for the WAL flush of its commit, or sits idle in its
 * transaction while Payara works. Counts per statement and wait; a sample is one backend at one
 * instant, so 1,000 samples of 10 ms are 10 s of one backend's time.
 */
final class DatabaseWaits implements AutoCloseable {

    private final Map<String, Integer> samples = new TreeMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private int ticks;

    private DatabaseWaits() {
        thread = new Thread(this::sample, "database-waits");
        thread.setDaemon(true);
    }

    /** Starts sampling FairQueue's database. */
    static DatabaseWaits start() {
        DatabaseWaits w = new DatabaseWaits();
        w.thread.start();
        return w;
    }

    private void sample() {
        try (Connection c = BenchDatabase.connect("postgres");
                Statement s = c.createStatement()) {
            while (!stop.get()) {
                try (ResultSet rs = s.executeQuery("""
                        SELECT CASE WHEN state = 'idle in transaction' THEN 'idle in transaction (Payara working)'
                                    ELSE coalesce(wait_event_type || ':' || wait_event, 'CPU') END,
                               query
                          FROM pg_stat_activity
                         WHERE datname = '%s' AND state IN ('active', 'idle in transaction')
                           AND pid <> pg_backend_pid()""".formatted(BenchDatabase.FQ_DB))) {
                    synchronized (this) {
                        ticks++;
                        while (rs.next()) {
                            samples.merge(statement(rs.getString(2)) + " | " + rs.getString(1), 1, Integer::sum);
                        }
                    }
                }
                Thread.sleep(10);
            }
        } catch (SQLException | InterruptedException e) {
            System.out.println("bench: database waits not sampled: " + e);
        }
    }

    /** A statement of FairQueue's hot path, by a name a reader knows (see ClaimQuery, JobWrites, JobSubmission). */
    static String statement(String sql) {
        String q = sql == null ? "" : sql.strip().replaceAll("\\s+", " ");
        if (q.contains("WITH beat AS")) {
            return "claim (fq_claim)";
        }
        if (q.contains("fq_lock_user_ids")) {
            return "submit batch: lock its users";
        }
        if (q.startsWith("UPDATE job j SET status = m.status")) {
            return "start/complete batch UPDATE";
        }
        if (q.startsWith("WITH items AS")) {
            return "submit batch";
        }
        if (q.startsWith("INSERT INTO job_transition")) {
            return "audit rows";
        }
        if (q.startsWith("SELECT ID,") && q.contains("FOR UPDATE")) {
            return "lock jobs of a batch";
        }
        if (q.startsWith("VACUUM") || q.startsWith("ANALYZE")) {
            return "vacuum timer";
        }
        if (q.equalsIgnoreCase("COMMIT")) {
            return "commit";
        }
        return q.isEmpty() ? "?" : q.split("\\s+")[0].toLowerCase() + " (other)";
    }

    /**
     * The shares of all samples, largest first (those under 1 % folded into "the rest"), and the
     * mean number of FairQueue's backends in a transaction.
     */
    synchronized Map<String, Object> result() {
        int total = samples.values().stream().mapToInt(Integer::intValue).sum();
        Map<String, Object> shares = new LinkedHashMap<>();
        int rest = 0;
        for (Map.Entry<String, Integer> e : samples.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .toList()) {
            if (e.getValue() * 100 >= total) {
                shares.put(e.getKey(), Math.round(e.getValue() * 1000.0 / total) / 10.0);
            } else {
                rest += e.getValue();
            }
        }
        shares.put("the rest", Math.round(rest * 1000.0 / Math.max(1, total)) / 10.0);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("samples", total);
        out.put("meanBackendsInTransaction", total / (double) Math.max(1, ticks));
        out.put("percentOfSamples", shares);
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join(5_000);
    }
}
