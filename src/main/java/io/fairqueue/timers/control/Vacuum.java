package io.fairqueue.timers.control;

import io.fairqueue.platform.control.Database;
import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Vacuums and analyzes FairQueue's own hot tables when their dead row versions pile up, instead of
 * relying on autovacuum. Every claim, start and completion rewrites a job row and a few small
 * counter rows (lanes, users, queues, count deltas); a small table rewritten thousands of times a
 * second is mostly dead versions within a minute, and every claim then walks them. Autovacuum
 * wakes once a minute by default, and on some servers it is off (this project's CI machines run
 * PostgreSQL with {@code autovacuum = off}).
 *
 * <p>The thresholds are autovacuum's formula with FairQueue's own numbers: a table is vacuumed
 * when its dead rows exceed {@link #BASE} + {@link #SCALE} of its live rows, analyzed when its
 * changes since the last analyze do. One node at a time (a session advisory lock); a table that
 * another vacuum holds is skipped ({@code SKIP_LOCKED}); paced like autovacuum (cost delay 2 ms);
 * like autovacuum it gives way to a limit change waiting for the job table (see {@link #work}).
 *
 * <p>The job table is also analyzed when its PENDING jobs outgrew what the planner believes
 * ({@link #PENDING_OUTGREW_STATISTICS}), whatever its changes since the last analyze: statistics
 * taken while few jobs were PENDING (a backlog drained at night, say) make the partial indexes of
 * PENDING jobs look empty, and the claim's look-ups then take one of them where another would
 * find their rows at once (in the benchmark's database, a claim of 50 at 50,000 PENDING jobs took
 * 15.2 ms with such statistics and 10 to 12 ms after an ANALYZE). In a job table of millions of
 * rows the formula above waits for 10 % of them to change; a burst of 50,000 jobs is far less.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class Vacuum {

    /** FairQueue's tables that change with every job move. */
    static final List<String> HOT = List.of(
            "job",
            "job_transition",
            "lane",
            "fq_user",
            "queue",
            "queue_release",
            "settings",
            "worker",
            "pending_delta",
            "pending_count",
            "user_pending_count",
            "job_count_delta",
            "job_count",
            "usage",
            "usage_delta");

    static final int BASE = 200;
    static final double SCALE = 0.1;

    /** One vacuumer across all nodes; a session lock, as VACUUM runs outside any transaction. */
    static final long LOCK = 7312220040L;

    /** Held shared while the job table is vacuumed; fq_lock_jobs (R__locks_and_bulk_moves.sql) takes it exclusively. */
    static final long JOB_LOCK = 7312220041L;

    static final String QUERY_CANCELED = "57014";

    static final String DUE = """
            SELECT relname,
                   n_dead_tup > ? + ? * n_live_tup AS vacuum,
                   n_mod_since_analyze > ? + ? * n_live_tup AS analyze
              FROM pg_stat_user_tables
             WHERE schemaname = current_schema() AND relname = ANY (?)
             ORDER BY relname
            """;

    /**
     * Whether the PENDING jobs (the exact counts of {@code fq_counts}) outgrew what the last VACUUM
     * or ANALYZE of job left the planner believing: the row count of {@code job_pending_order_idx},
     * whose rows are exactly the PENDING jobs. Due above twice that plus {@link #BURST}.
     */
    static final String PENDING_OUTGREW_STATISTICS = """
            SELECT coalesce((SELECT sum(n) FROM fq_counts(NULL) WHERE status = 'PENDING'), 0)
                   > 2 * greatest(i.reltuples, 0) + ?
              FROM pg_class i WHERE i.oid = to_regclass('job_pending_order_idx')
            """;

    static final int BURST = 1000;

    @Resource(lookup = Database.JNDI)
    DataSource dataSource;

    /** Vacuums (and analyzes) the hot tables that are due; answers the tables it worked on. */
    public List<String> run() {
        List<String> done = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            if (!tryLock(c, "pg_try_advisory_lock(" + LOCK + ")")) {
                return done;
            }
            try {
                try (Statement s = c.createStatement()) {
                    // paced like autovacuum (whose cost delay is 2 ms; a manual VACUUM's is 0, full
                    // speed), so that vacuuming a large job table does not take the claims' CPU
                    s.execute("SET vacuum_cost_delay = '2ms'");
                }
                for (String[] table : due(c)) {
                    String outcome = work(c, table[0], table[1].equals("vacuum"));
                    if (outcome != null) {
                        done.add(outcome);
                    }
                }
            } finally {
                // the session lock first: a pooled connection must never keep it
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_advisory_unlock(" + LOCK + ")");
                    s.execute("RESET vacuum_cost_delay");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("vacuum failed: " + e.getMessage(), e);
        }
        return done;
    }

    /**
     * Vacuums or analyzes one table; null when it was skipped. The job table only while holding
     * {@link #JOB_LOCK} shared: a limit change takes it exclusively and cancels this statement
     * (fq_lock_jobs, R__locks_and_bulk_moves.sql), as autovacuum would yield.
     */
    private static String work(Connection c, String table, boolean vacuum) throws SQLException {
        boolean job = table.equals("job");
        if (job && !tryLock(c, "pg_try_advisory_lock_shared(" + JOB_LOCK + ")")) {
            return null; // a limit change holds the job table now
        }
        // TRUNCATE false: giving empty tail pages back takes an ACCESS EXCLUSIVE lock, which
        // would stall every claim for that moment; the pages are reused anyway
        String command = vacuum ? "VACUUM (SKIP_LOCKED, ANALYZE, TRUNCATE false) " : "ANALYZE (SKIP_LOCKED) ";
        try (Statement s = c.createStatement()) {
            s.execute(command + table); // a name from HOT, never user input
            return (vacuum ? "vacuum " : "analyze ") + table;
        } catch (SQLException e) {
            if (job && QUERY_CANCELED.equals(e.getSQLState())) {
                return null; // yielded to a limit change
            }
            throw e;
        } finally {
            if (job) {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_advisory_unlock_shared(" + JOB_LOCK + ")");
                }
            }
        }
    }

    private static boolean tryLock(Connection c, String call) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT " + call)) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static List<String[]> due(Connection c) throws SQLException {
        List<String[]> due = new ArrayList<>();
        try (var ps = c.prepareStatement(DUE)) {
            ps.setInt(1, BASE);
            ps.setDouble(2, SCALE);
            ps.setInt(3, BASE);
            ps.setDouble(4, SCALE);
            ps.setArray(5, c.createArrayOf("text", HOT.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean("vacuum")) {
                        due.add(new String[] {rs.getString("relname"), "vacuum"});
                    } else if (rs.getBoolean("analyze")) {
                        due.add(new String[] {rs.getString("relname"), "analyze"});
                    }
                }
            }
        }
        if (due.stream().noneMatch(t -> t[0].equals("job")) && pendingOutgrewStatistics(c)) {
            due.add(new String[] {"job", "analyze"});
        }
        return due;
    }

    private static boolean pendingOutgrewStatistics(Connection c) throws SQLException {
        try (var ps = c.prepareStatement(PENDING_OUTGREW_STATISTICS)) {
            ps.setInt(1, BURST);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1); // no such index: no such rule
            }
        }
    }
}
