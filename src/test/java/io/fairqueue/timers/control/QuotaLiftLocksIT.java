package io.fairqueue.timers.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fairqueue.platform.control.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The UsageRefresher's lift of reset quota blocks ({@link Housekeeping#LIFT_QUOTA_BLOCKS}) waits for
 * no lane that another transaction holds (a claim holds its lanes until it commits, and may wait
 * for one of the lanes being lifted): it lifts the others and leaves the held one to its next run.
 * Runs on PostgreSQL directly, in a database of its own.
 */
class QuotaLiftLocksIT {

    static final String DB = TestDatabases.BASE + "_quota_lift";

    @BeforeAll
    static void lanes() throws SQLException {
        TestDatabases.createMigrated(DB);
        TestDatabases.execute(DB, """
                INSERT INTO lane (user_id, queue, project_key, off_peak, user_running, blocked, quota_blocked_until)
                VALUES ('held', 'default', '', false, 0, false, now() - interval '1 minute'),
                       ('free', 'default', '', false, 0, false, now() - interval '1 minute'),
                       ('later', 'default', '', false, 0, false, now() + interval '1 day')""");
    }

    @AfterAll
    static void drop() throws SQLException {
        TestDatabases.admin("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
    }

    @Test
    void a_lane_held_by_a_claim_is_skipped_and_lifted_by_the_next_run() throws SQLException {
        try (Connection claim = TestDatabases.connect(DB);
                Connection refresher = TestDatabases.connect(DB)) {
            claim.setAutoCommit(false);
            try (Statement s = claim.createStatement()) {
                s.execute("SELECT 1 FROM lane WHERE user_id = 'held' FOR NO KEY UPDATE");
            }
            try (Statement s = refresher.createStatement()) {
                // without SKIP LOCKED the lift waits for the claim: the timeout fails the test
                s.execute("SET statement_timeout = '5s'");
            }
            assertEquals(1, lift(refresher), "the free lane, not the held one, not the one still blocked");
            assertEquals(List.of("held", "later"), blocked(refresher));

            claim.commit();
            assertEquals(1, lift(refresher), "the next run lifts the lane the claim held");
            assertEquals(List.of("later"), blocked(refresher));
        }
    }

    static int lift(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(Housekeeping.LIFT_QUOTA_BLOCKS.replace("?1", "?"))) {
            p.setObject(1, OffsetDateTime.now());
            return p.executeUpdate();
        }
    }

    static List<String> blocked(Connection c) throws SQLException {
        List<String> users = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT user_id FROM lane WHERE quota_blocked_until IS NOT NULL ORDER BY user_id")) {
            while (r.next()) {
                users.add(r.getString(1));
            }
        }
        return users;
    }
}
