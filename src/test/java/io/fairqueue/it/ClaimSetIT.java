package io.fairqueue.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fairqueue.platform.control.SchemaMigration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The set-based claim of one queue (fq_claim, db/functions/R__claim.sql) must take exactly the
 * jobs, in exactly the order, that the job-by-job claim (fq_claim_each) takes from the same state:
 * priorities, fewest running first, user, queue and global limits, several projects per user
 * (several lanes), off-peak lanes, exhausted daily and weekly quotas, with and without per-user
 * serialization. Each random state is claimed from twice, each time in a transaction that is rolled
 * back; the set-based claim must also leave every counter and lane equal to a recount. Runs on
 * PostgreSQL directly (its own database, migrated by Flyway as the application does), not through
 * Payara.
 */
class ClaimSetIT {

    static final String IT_URL =
            System.getProperty("fairqueue.it.dbUrl", "jdbc:postgresql://127.0.0.1:5432/fairqueue_it");
    /** Named after the build's IT database, so that builds with IT databases of their own do not share it. */
    static final String DB = IT_URL.replaceFirst("^.*/", "").replaceFirst("\\?.*$", "") + "_claimset";

    static final String SERVER = IT_URL.replaceFirst("/[^/]*$", "/");
    static final Instant NOW = Instant.parse("2026-03-04T12:00:00Z");

    @BeforeAll
    static void database() throws SQLException {
        admin("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)", "CREATE DATABASE " + DB);
        Flyway.configure()
                .dataSource(SERVER + DB, "postgres", "")
                .locations(SchemaMigration.LOCATIONS)
                .load()
                .migrate();
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        admin("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
    }

    @Test
    void the_set_based_claim_takes_the_jobs_and_order_of_the_job_by_job_claim() throws SQLException {
        int nonEmpty = 0;
        try (Connection c = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            for (int seed = 1; seed <= 60; seed++) {
                Random r = new Random(seed);
                randomState(c, r, seed % 5 == 0);
                int limit = seed % 5 == 0 ? 2 + r.nextInt(3) : 1 + r.nextInt(60);
                boolean offPeakOpen = r.nextBoolean();
                // every third state: a claim from all queues, of which only q has jobs
                String[] queues = seed % 3 == 0 ? null : new String[] {"q"};
                c.setAutoCommit(false);
                List<Long> set = claim(c, "fq_claim", queues, limit, offPeakOpen);
                try (ResultSet drift =
                        c.createStatement().executeQuery("SELECT kind, key, stored, actual FROM fq_recount(false)")) {
                    if (drift.next()) {
                        fail("seed " + seed + ": after the set-based claim " + drift.getString(1) + " "
                                + drift.getString(2) + " is " + drift.getLong(3) + ", a recount gives "
                                + drift.getLong(4));
                    }
                }
                c.rollback();
                List<Long> each = claim(c, "fq_claim_each", queues, limit, offPeakOpen);
                c.rollback();
                c.setAutoCommit(true);
                assertEquals(
                        each,
                        set,
                        "seed " + seed + ", limit " + limit + ", off-peak open " + offPeakOpen
                                + (queues == null ? ", all queues" : ""));
                nonEmpty += set.isEmpty() ? 0 : 1;
            }
        }
        assertTrue(nonEmpty >= 50, "most random states have something to claim, got " + nonEmpty + " of 60");
    }

    /**
     * A claim locks only the users it serves: while one claim (its transaction still open) takes
     * ten jobs of one user, a second claim takes the next ten users' jobs, as the job-by-job
     * claim would, instead of skipping every user the first claim looked at.
     */
    @Test
    void a_claim_in_flight_hides_only_the_users_it_serves() throws SQLException {
        try (Connection a = DriverManager.getConnection(SERVER + DB, "postgres", "");
                Connection b = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            noJobs(a, 10);
            exec(
                    a,
                    // u1: ten urgent jobs; u2..u11: one ordinary job each
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "SELECT 'q', 'u1', 't', 'PENDING', 20, 3, now() - interval '1 hour' + g * interval '1 s' "
                            + "FROM generate_series(1, 10) g",
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "SELECT 'q', 'u' || g, 't', 'PENDING', 0, 3, now() - interval '1 hour' + g * interval '1 s' "
                            + "FROM generate_series(2, 11) g");
            a.setAutoCommit(false);
            List<Long> first = claim(a, "fq_claim", 10, false);
            List<String> firstUsers = users(b, first);
            List<Long> second = claim(b, "fq_claim", 10, false);
            List<String> secondUsers = users(b, second);
            a.rollback();
            assertEquals(java.util.Collections.nCopies(10, "u1"), firstUsers);
            assertEquals(
                    List.of("u10", "u11", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"),
                    secondUsers.stream().sorted().toList(),
                    "the second claim, while the first is in flight");
        }
    }

    /**
     * A lane without a head keeps no counts (R__job_changes.sql); it takes its user's running count
     * and blocked flag when it gets a head, also while a claim of the same user in another queue is
     * in flight.
     */
    @Test
    void a_lane_without_a_head_takes_its_users_count_with_its_next_head() throws Exception {
        try (Connection a = DriverManager.getConnection(SERVER + DB, "postgres", "");
                Connection b = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            noJobs(a, 1);
            exec(
                    a,
                    "INSERT INTO queue (name) VALUES ('r') ON CONFLICT DO NOTHING",
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "VALUES ('q', 'u1', 't', 'PENDING', 0, 3, now()), ('r', 'u1', 't', 'PENDING', 0, 3, now())");
            // u1's job of r runs and ends: r's lane has no head while u1's count goes 1 and back to 0
            long k1 = claim(a, "fq_claim_each", new String[] {"r"}, 1, false).get(0);
            exec(
                    a,
                    "UPDATE job SET status = 'COMPLETED', finished_at = now(), actual_duration_secs = 1 WHERE id = "
                            + k1);
            assertRecountClean(a, "after r's job ended");
            // u1 submits to r again: the lane's new head is not blocked, u1 runs nothing
            exec(
                    a,
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "VALUES ('r', 'u1', 't', 'PENDING', 0, 3, now())");
            assertRecountClean(a, "after the submit to r");
            long k2 = claim(a, "fq_claim_each", new String[] {"r"}, 1, false).get(0);
            exec(
                    a,
                    "UPDATE job SET status = 'COMPLETED', finished_at = now(), actual_duration_secs = 1 WHERE id = "
                            + k2);

            // a claim of u1's job of q is in flight when u1 submits to r again
            a.setAutoCommit(false);
            assertEquals(
                    1, claim(a, "fq_claim_each", new String[] {"q"}, 1, false).size());
            java.util.concurrent.CompletableFuture<Void> submit =
                    java.util.concurrent.CompletableFuture.runAsync(() -> {
                        try {
                            exec(
                                    b,
                                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                                            + "VALUES ('r', 'u1', 't', 'PENDING', 0, 3, now())");
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
            Thread.sleep(300);
            assertTrue(!submit.isDone(), "the submit waits for the lane guard the claim in flight holds");
            a.commit();
            submit.get(10, java.util.concurrent.TimeUnit.SECONDS);
            a.setAutoCommit(true);
            assertRecountClean(a, "after the submit to the lane without a head");
            assertEquals(
                    List.of(),
                    claim(a, "fq_claim_each", new String[] {"r"}, 1, false),
                    "u1 runs its one job: r's new head is blocked (serialization on)");
            try (ResultSet rs = a.createStatement()
                    .executeQuery("SELECT user_running, blocked FROM lane WHERE user_id = 'u1' AND queue = 'r'")) {
                assertTrue(rs.next());
                assertEquals(1, rs.getInt(1));
                assertTrue(rs.getBoolean(2));
            }
            exec(
                    a,
                    "UPDATE job SET status = 'COMPLETED', finished_at = now(), actual_duration_secs = 1 "
                            + "WHERE user_id = 'u1' AND queue = 'q'");
            assertEquals(
                    1, claim(a, "fq_claim_each", new String[] {"r"}, 1, false).size(), "u1's slot is free again");
            assertRecountClean(a, "after the claim from r");
        }
    }

    /**
     * The other order of the race above (LANE GUARDS in R__job_changes.sql): a submit gives u1's lane
     * of r, which has no head, a head and u1's running count of 1, and has not committed when u1's
     * job of q ends. The end must wait for the submit's lane guard and then rewrite the lane; had it
     * not waited (the lane had no head when it looked), the lane would keep the count of 1 while u1
     * runs nothing.
     */
    @Test
    void a_count_change_waits_for_a_lane_getting_its_head() throws Exception {
        try (Connection a = DriverManager.getConnection(SERVER + DB, "postgres", "");
                Connection b = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            long running = runningJobAndLaneWithoutHead(a);
            b.setAutoCommit(false);
            exec(
                    b,
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "VALUES ('r', 'u1', 't', 'PENDING', 0, 3, now())");
            CompletableFuture<Void> end = CompletableFuture.runAsync(() -> complete(a, running));
            Thread.sleep(300);
            assertFalse(end.isDone(), "the end of u1's job waits for the submit's lane guard");
            b.commit();
            end.get(10, TimeUnit.SECONDS);
            assertRecountClean(a, "after the submit and the end of u1's job");
            try (ResultSet rs = a.createStatement()
                    .executeQuery("SELECT user_running, blocked FROM lane WHERE user_id = 'u1' AND queue = 'r'")) {
                assertTrue(rs.next());
                assertEquals(0, rs.getInt(1), "r's new head carries u1's count after the end");
                assertFalse(rs.getBoolean(2));
            }
        }
    }

    /**
     * A change of a user's running count locks only the user's lanes that have a head: the others
     * keep no counts. A transaction that holds u1's lane of r (no head) does not hold up the end of
     * u1's job of q, which before the lane guards waited for every lane u1 ever had.
     */
    @Test
    void a_count_change_leaves_lanes_without_a_head_alone() throws Exception {
        try (Connection a = DriverManager.getConnection(SERVER + DB, "postgres", "");
                Connection b = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            long running = runningJobAndLaneWithoutHead(a);
            b.setAutoCommit(false);
            try (ResultSet rs = b.createStatement()
                    .executeQuery("SELECT head_job_id FROM lane WHERE user_id = 'u1' AND queue = 'r' FOR UPDATE")) {
                assertTrue(rs.next());
                assertEquals(0, rs.getLong(1), "r's lane has no head");
                assertTrue(rs.wasNull());
            }
            CompletableFuture<Void> end = CompletableFuture.runAsync(() -> complete(a, running));
            end.get(5, TimeUnit.SECONDS);
            b.rollback();
            assertRecountClean(a, "after the end of u1's job");
        }
    }

    /**
     * Inserts of many users' jobs in one statement with no user row locked, their users' gates
     * shared (as {@code POST /jobs/batch} without keys; the trigger takes the users' lane guards and
     * lanes in key order), side by side with set claims that start their jobs, batch completions,
     * multi-user cancels and a move of several statements that take lanes out of key order (as the
     * promoter, a keyed batch or a claim's outcomes with failures, which take their users' gates and
     * rows first): for four seconds on seven connections none of them deadlocks or fails, and every
     * counter and lane equals a recount. With the guards taken in random order it deadlocks within
     * the four seconds, and so it does without the gates.
     */
    @Test
    void multi_user_inserts_claims_completions_and_cancels_side_by_side_never_deadlock() throws Exception {
        try (Connection setup = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            noJobs(setup, 3);
            exec(setup, "UPDATE queue SET max_concurrent = 20 WHERE name = 'q'");
        }
        // -Dfairqueue.it.sixWaySeconds=300 hunts rarer interleavings for longer
        long seconds = Long.getLong("fairqueue.it.sixWaySeconds", 4);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<String> work = List.of(
                // an unkeyed batch: its users' gates shared, then one INSERT, users in a random
                // order within the statement, several jobs each
                "DO $$ DECLARE us text[] := ARRAY(SELECT 'u' || (1 + (random() * 11)::int) FROM generate_series(1, 60)); "
                        + "BEGIN PERFORM fq_user_gates(us, true); "
                        + "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                        + "SELECT 'q', u, 't', 'PENDING', (random() * 3)::int, 3, now() FROM unnest(us) u; END $$",
                "SELECT count(*) FROM fq_claim('wk', '{q}', NULL, 10, now(), 'w', false, true)",
                "UPDATE job SET status = 'COMPLETED', finished_at = now(), actual_duration_secs = 1 "
                        + "WHERE id = ANY (ARRAY(SELECT id FROM job WHERE status = 'RUNNING' ORDER BY random() LIMIT 15 "
                        + "FOR UPDATE SKIP LOCKED))",
                // as the bulk moves do: the jobs, then their users in id order, then one UPDATE
                "DO $$ DECLARE ids bigint[] := ARRAY(SELECT id FROM job WHERE status = 'PENDING' ORDER BY random() "
                        + "LIMIT 4 FOR UPDATE SKIP LOCKED); BEGIN PERFORM fq_lock_users(ids); "
                        + "UPDATE job SET status = 'CANCELLED', finished_at = now() WHERE id = ANY (ids); END $$",
                // several statements, as the promoter, a keyed batch or a claim's outcomes with
                // failures: the users first (gates, then rows), then each statement takes guards
                // and lanes of its own users, the later ones of users before the earlier ones
                "DO $$ DECLARE ids bigint[] := ARRAY(SELECT id FROM job WHERE status = 'PENDING' ORDER BY user_id DESC, "
                        + "random() LIMIT 6 FOR UPDATE SKIP LOCKED); us text[] := ARRAY(SELECT 'u' || g FROM "
                        + "generate_series(11, 2, -3) g); u text; BEGIN PERFORM fq_lock_user_ids(ARRAY(SELECT user_id FROM job WHERE id = ANY (ids)) || us); "
                        + "UPDATE job SET priority = priority + 1 WHERE id = ANY (ids[1:3]); "
                        + "UPDATE job SET priority = priority + 1 WHERE id = ANY (ids[4:6]); "
                        + "FOREACH u IN ARRAY us LOOP INSERT INTO job (queue, user_id, type, status, priority, max_retries, "
                        + "created_at) VALUES ('q', u, 't', 'PENDING', 0, 3, now()); END LOOP; END $$");
        List<CompletableFuture<Integer>> runs = new ArrayList<>();
        for (String sql :
                List.of(work.get(0), work.get(0), work.get(1), work.get(1), work.get(2), work.get(3), work.get(4))) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                int n = 0;
                try (Connection c = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
                    c.setAutoCommit(false);
                    while (System.nanoTime() < until) {
                        try (Statement st = c.createStatement()) {
                            st.execute(sql);
                        }
                        c.commit();
                        n++;
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(sql + ": " + e.getMessage(), e);
                }
                return n;
            }));
        }
        for (CompletableFuture<Integer> run : runs) {
            assertTrue(run.get(seconds + 60, TimeUnit.SECONDS) > 0);
        }
        try (Connection c = DriverManager.getConnection(SERVER + DB, "postgres", "");
                ResultSet rs = c.createStatement()
                        .executeQuery("SELECT count(*) FILTER (WHERE status = 'COMPLETED'), "
                                + "count(*) FILTER (WHERE status = 'CANCELLED') FROM job")) {
            assertTrue(rs.next());
            assertTrue(rs.getLong(1) > 0, "jobs completed");
            assertTrue(rs.getLong(2) > 0, "jobs cancelled");
            assertRecountClean(c, "after the four seconds");
        }
    }

    /**
     * u1 (two slots) runs one job of queue q, and has a lane of queue r without a head (its one job
     * there ran and ended). Answers the running job's id.
     */
    static long runningJobAndLaneWithoutHead(Connection a) throws SQLException {
        noJobs(a, 2);
        exec(
                a,
                "INSERT INTO queue (name) VALUES ('r') ON CONFLICT DO NOTHING",
                "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                        + "VALUES ('r', 'u1', 't', 'PENDING', 0, 3, now())");
        complete(a, claim(a, "fq_claim_each", new String[] {"r"}, 1, false).get(0));
        exec(
                a,
                "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                        + "VALUES ('q', 'u1', 't', 'PENDING', 0, 3, now())");
        long running = claim(a, "fq_claim_each", new String[] {"q"}, 1, false).get(0);
        assertRecountClean(a, "u1 runs one job, r's lane has no head");
        return running;
    }

    static void complete(Connection c, long job) {
        try {
            exec(
                    c,
                    "UPDATE job SET status = 'COMPLETED', finished_at = now(), actual_duration_secs = 1 WHERE id = "
                            + job);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A claim writes each lane it takes from once (R__job_changes.sql): the lane's next head and its
     * user's new running count and blocked flag in one row version, not two. Ten users with a limit
     * of 1 and two jobs each: a claim of ten takes each user's first job, and its transaction
     * updated the lane table ten times.
     */
    @Test
    void a_claim_writes_each_lane_it_takes_from_once() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            noJobs(c, 1);
            exec(
                    c,
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "SELECT 'q', 'u' || u, 't', 'PENDING', 0, 3, now() - interval '1 hour' + (u * 2 + k) * interval '1 s' "
                            + "FROM generate_series(1, 10) u, generate_series(0, 1) k");
            c.setAutoCommit(false);
            long before = laneUpdates(c);
            assertEquals(10, claim(c, "fq_claim", 10, false).size());
            assertEquals(10, laneUpdates(c) - before, "lane updates of a claim of ten jobs from ten lanes");
            try (ResultSet rs = c.createStatement()
                    .executeQuery(
                            "SELECT count(*) FROM lane l JOIN job j ON j.id = l.head_job_id "
                                    + "WHERE l.user_running = 1 AND l.blocked AND j.status = 'PENDING' AND j.user_id = l.user_id")) {
                assertTrue(rs.next());
                assertEquals(10, rs.getLong(1), "each lane: its next head, its user's count and blocked flag");
            }
            assertRecountClean(c, "after the claim");
            c.rollback();
            c.setAutoCommit(true);
        }
    }

    /**
     * A job's worker is no longer a foreign key checked per job: the claim checks it once
     * per call, so a claim for a worker that does not exist takes no job.
     */
    @Test
    void a_claim_for_an_unknown_worker_is_refused_and_takes_no_job() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            noJobs(c, 1);
            c.setAutoCommit(false);
            exec(
                    c,
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "SELECT 'q', 'u' || u, 't', 'PENDING', 0, 3, now() FROM generate_series(1, 3) u");
            java.sql.Savepoint before = c.setSavepoint();
            SQLException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    SQLException.class,
                    () -> exec(
                            c,
                            "CREATE TEMP TABLE got AS "
                                    + "SELECT id FROM fq_claim('no-such-worker', ARRAY['q'], NULL, 3, now(), 'w', true)"));
            assertEquals("23503", refused.getSQLState(), refused.getMessage());
            assertTrue(refused.getMessage().contains("unknown worker no-such-worker"), refused.getMessage());
            c.rollback(before);
            try (ResultSet rs = c.createStatement()
                    .executeQuery("SELECT count(*) FROM job WHERE status = 'PENDING' AND worker_id IS NULL")) {
                assertTrue(rs.next());
                assertEquals(3, rs.getLong(1), "every job still PENDING");
            }
            assertEquals(3, claim(c, "fq_claim", 3, false).size(), "a known worker takes them");
            assertRecountClean(c, "after the refused and the accepted claim");
            c.rollback();
            c.setAutoCommit(true);
        }
    }

    /**
     * A claim never waits for a user's lane guard (R__claim.sql): it tries it, and skips a user
     * whose guard another transaction holds, as it skips one whose row is held. A claim dispatches
     * in rounds (and the job-by-job claim job by job), each round's UPDATE taking its users'
     * guards; waiting there, a claim took a guard out of key order with those of its earlier
     * rounds, and deadlocked with a multi-user INSERT holding that guard shared (the six-way test
     * below met it). Here a second connection holds u1's guard shared, as an INSERT of u1's jobs
     * does until it commits: both claims answer at once, without u1's jobs (u1's are the oldest,
     * so they would be first), where waiting they would run into the lock timeout.
     */
    @Test
    void a_claim_skips_a_user_whose_lane_guard_is_held_instead_of_waiting() throws SQLException {
        try (Connection a = DriverManager.getConnection(SERVER + DB, "postgres", "");
                Connection b = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            noJobs(a, 2);
            exec(
                    a,
                    "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                            + "SELECT 'q', 'u' || u, 't', 'PENDING', 0, 3, now() - interval '1 hour' + (u * 10 + k) * interval '1 s' "
                            + "FROM generate_series(1, 3) u, generate_series(0, 3) k");
            b.setAutoCommit(false);
            try (Statement st = b.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock_shared(fq_lane_guard_class(), hashtext('u1'))");
            }
            a.setAutoCommit(false);
            exec(a, "SET LOCAL lock_timeout = '5s'");
            assertEquals(List.of("u2", "u3", "u2", "u3"), users(a, claim(a, "fq_claim", 6, false)));
            a.rollback();
            exec(a, "SET LOCAL lock_timeout = '5s'");
            assertEquals(List.of("u2"), users(a, claim(a, "fq_claim_each", 1, false)));
            a.rollback();
            b.rollback();
            a.setAutoCommit(true);
            assertEquals(List.of("u1", "u2"), users(a, claim(a, "fq_claim", 2, false)), "and u1 first once it is free");
        }
    }

    /**
     * A claim finds the jobs it chose by their primary key, however stale the statistics. Taken
     * while no job was PENDING, they make the planner think PENDING jobs are rare; with the status
     * in the lock's WHERE clause, the generic plan (a pooled connection's plan after five calls)
     * read every PENDING entry of a status index and filtered them by id: a claim's cost grew
     * with the whole backlog (43 ms at 54,000 PENDING jobs). One user with 3,000 PENDING jobs, so
     * that the other look-ups of the claim, which follow the user's own order, read only a few
     * entries: a claim of 10 reads fewer than 500 index entries of the job table.
     */
    @Test
    void a_claim_finds_its_jobs_by_key_whatever_the_statistics_say() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
            noJobs(c, 10);
            // the jobs the tests before deleted leave dead entries in the PENDING indexes, which
            // the user's look-ups would count: gone, so that only this claim's reads are counted
            exec(c, "VACUUM job");
            String jobs = "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at) "
                    + "SELECT 'q', 'u1', 't', '%s', 0, 3, now() - interval '1 hour' + k * interval '1 ms' "
                    + "FROM generate_series(1, 3000) k";
            exec(c, String.format(jobs, "COMPLETED"), "ANALYZE job", String.format(jobs, "PENDING"));
            exec(c, "SET plan_cache_mode = force_generic_plan");
            c.setAutoCommit(false);
            long before = jobIndexReads(c);
            assertEquals(10, claim(c, "fq_claim", 10, false).size());
            long read = jobIndexReads(c) - before;
            assertTrue(read < 500, "index entries of job read by a claim of 10 among 3,000 PENDING jobs: " + read);
            c.rollback();
            c.setAutoCommit(true);
            exec(c, "RESET plan_cache_mode", "ANALYZE job");
        }
    }

    /** Index entries of the job table this transaction read (see {@link #laneUpdates} for the counters). */
    static long jobIndexReads(Connection c) throws SQLException {
        try (ResultSet rs = c.createStatement()
                .executeQuery("SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(indexrelid)), 0) "
                        + "FROM pg_index WHERE indrelid = 'job'::regclass")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Lane row updates this connection made and has not yet reported (pg_stat_xact_user_tables: the
     * current transaction's, plus earlier ones' until the backend reports them when idle, at most
     * once a second): the difference of two reads inside one transaction is that transaction's.
     */
    static long laneUpdates(Connection c) throws SQLException {
        try (ResultSet rs = c.createStatement()
                .executeQuery(
                        "SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_xact_user_tables WHERE relname = 'lane'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Users u1..u12 with {@code slots} each and no jobs, no quotas, no queue or global limit,
     * per-user serialization on.
     */
    static void noJobs(Connection c, int slots) throws SQLException {
        randomState(c, new Random(7), false);
        exec(
                c,
                "DELETE FROM job_transition",
                "DELETE FROM job",
                "DELETE FROM lane",
                "DELETE FROM pending_delta",
                "DELETE FROM pending_count",
                "DELETE FROM user_pending_count",
                "DELETE FROM job_count_delta",
                "DELETE FROM job_count",
                "DELETE FROM queue_release",
                "DELETE FROM quota",
                "DELETE FROM usage",
                "DELETE FROM usage_delta",
                "UPDATE fq_user SET running = 0, max_concurrent = " + slots
                        + ", monthly_hours_limit = NULL WHERE role = 'USER'",
                "UPDATE queue SET running = 0, max_concurrent = NULL",
                "UPDATE settings SET running = 0, global_slots = NULL, per_user_serialization = true");
    }

    static void assertRecountClean(Connection c, String when) throws SQLException {
        try (ResultSet drift =
                c.createStatement().executeQuery("SELECT kind, key, stored, actual FROM fq_recount(false)")) {
            if (drift.next()) {
                fail(when + ": " + drift.getString(1) + " " + drift.getString(2) + " is " + drift.getLong(3)
                        + ", a recount gives " + drift.getLong(4));
            }
        }
    }

    static List<String> users(Connection c, List<Long> jobs) throws SQLException {
        List<String> users = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT user_id FROM job WHERE id = ?")) {
            for (long id : jobs) {
                p.setLong(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    users.add(rs.getString(1));
                }
            }
        }
        return users;
    }

    /**
     * Twelve users, 1..4 slots each, about 150 jobs of one queue; some already running. With
     * {@code manyLanes}, u1 (2 slots, none taken) also has 40 urgent jobs of 40 projects, the oldest:
     * the first 40 lanes in claim order are all u1's, more than the claim's first scan takes for a
     * few jobs, and the jobs after u1's two must come from the lanes behind them.
     */
    static void randomState(Connection c, Random r, boolean manyLanes) throws SQLException {
        exec(
                c,
                "DELETE FROM job_transition",
                "DELETE FROM job",
                "DELETE FROM lane",
                "DELETE FROM pending_delta",
                "DELETE FROM pending_count",
                "DELETE FROM user_pending_count",
                "DELETE FROM job_count_delta",
                "DELETE FROM job_count",
                "DELETE FROM queue_release",
                "DELETE FROM usage",
                "DELETE FROM usage_delta",
                "DELETE FROM quota",
                "DELETE FROM worker",
                "DELETE FROM fq_user",
                "INSERT INTO fq_user (id, display_name, role, created_at) VALUES ('w', 'w', 'WORKER', now())",
                "INSERT INTO worker (id, name, owner_id, capacity, registered_at, last_heartbeat_at) "
                        + "VALUES ('wk', 'wk', 'w', 100, now(), now())",
                "INSERT INTO queue (name) VALUES ('q') ON CONFLICT DO NOTHING");
        try (PreparedStatement u = c.prepareStatement("INSERT INTO fq_user (id, display_name, role, max_concurrent, "
                + "monthly_hours_limit, created_at) VALUES (?, 'u', 'USER', ?, ?, now())")) {
            for (int i = 1; i <= 12; i++) {
                u.setString(1, "u" + i);
                u.setInt(2, 1 + r.nextInt(4));
                u.setObject(3, i == 5 ? java.math.BigDecimal.ONE : null); // u5: a monthly plan of 1 h
                u.addBatch();
            }
            u.executeBatch();
        }
        exec(
                c,
                "UPDATE queue SET running = 0, paused = false, max_concurrent = "
                        + (r.nextBoolean() ? 10 + r.nextInt(30) : "NULL") + " WHERE name = 'q'",
                "UPDATE settings SET running = 0, per_user_serialization = " + (r.nextInt(4) > 0) + ", global_slots = "
                        + (r.nextInt(3) == 0 ? 15 + r.nextInt(20) : "NULL"),
                // u3 is out of its daily quota, project p1 out of its weekly one, u5 out of its plan
                "INSERT INTO quota VALUES ('USER', 'u3', 10, NULL), ('PROJECT', 'p1', NULL, 5), ('USER', 'u4', 100000, NULL)",
                "INSERT INTO usage VALUES ('USER', 'u3', 'DAY', DATE '2026-03-04', 20), "
                        + "('PROJECT', 'p1', 'WEEK', DATE '2026-03-02', 20), ('USER', 'u5', 'MONTH', DATE '2026-03-01', 3600)");
        try (PreparedStatement j =
                c.prepareStatement("INSERT INTO job (queue, user_id, project_id, type, status, priority, "
                        + "max_retries, created_at, off_peak_only) VALUES ('q', ?, ?, 't', 'PENDING', ?, 3, ?, ?)")) {
            int jobs = 100 + r.nextInt(100);
            for (int i = 0; i < jobs; i++) {
                j.setString(1, "u" + (1 + r.nextInt(12)));
                j.setString(2, r.nextInt(10) < 3 ? "p" + r.nextInt(3) : null);
                j.setInt(3, new int[] {0, 0, 0, 5, -5, 20}[r.nextInt(6)]);
                j.setTimestamp(4, Timestamp.from(NOW.minusSeconds(3600).plusMillis(i * 7L + r.nextInt(5))));
                j.setBoolean(5, r.nextInt(10) < 2);
                j.addBatch();
            }
            if (manyLanes) {
                exec(c, "UPDATE fq_user SET max_concurrent = 2 WHERE id = 'u1'");
                for (int i = 0; i < 40; i++) {
                    j.setString(1, "u1");
                    j.setString(2, "many" + i);
                    j.setInt(3, 30);
                    j.setTimestamp(4, Timestamp.from(NOW.minusSeconds(7200).plusMillis(i)));
                    j.setBoolean(5, false);
                    j.addBatch();
                }
            }
            j.executeBatch();
        }
        // some jobs already hold slots: the counts the fairness order starts from differ per user
        claim(c, "fq_claim_each", manyLanes ? 0 : r.nextInt(12), false);
    }

    static List<Long> claim(Connection c, String function, int limit, boolean offPeakOpen) throws SQLException {
        return claim(c, function, new String[] {"q"}, limit, offPeakOpen);
    }

    /** @param queues null: every queue */
    static List<Long> claim(Connection c, String function, String[] queues, int limit, boolean offPeakOpen)
            throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT id FROM " + function + "('wk', ?, NULL, ?, ?, 'w', ?)")) {
            p.setArray(1, queues == null ? null : c.createArrayOf("text", queues));
            p.setInt(2, limit);
            p.setTimestamp(3, Timestamp.from(NOW));
            p.setBoolean(4, offPeakOpen);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        return ids;
    }

    static void exec(Connection c, String... sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String q : sql) {
                s.executeUpdate(q);
            }
        }
    }

    static void admin(String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER + "postgres", "postgres", "")) {
            exec(c, sql);
        }
    }
}
