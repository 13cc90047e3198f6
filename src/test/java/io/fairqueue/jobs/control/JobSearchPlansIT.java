package io.fairqueue.jobs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.control.TestDatabases;
import io.fairqueue.queues.boundary.QueueOverviewService;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The search's statements on a table of 100,000 jobs (1,000 users, 20 queues, 0.1 % of the jobs
 * held: DISPATCHED or RUNNING, as the limits keep them few) and one small user and queue: each
 * reads through the indexes that serve its filter, never a scan of the table, and finds exactly the
 * jobs that the same filter over the whole table finds, held ones included. The three search
 * indexes leave out the held jobs (migration search_indexes_leave_out_held_jobs), so a search
 * without a status must read them through {@code job_running_idx}. Runs on PostgreSQL directly,
 * in a database of its own.
 */
class JobSearchPlansIT {

    static final String DB = TestDatabases.BASE + "_search_plans";

    static final Pattern PARAM = Pattern.compile("\\?(\\d+)");

    @BeforeAll
    static void jobs() throws SQLException {
        TestDatabases.createMigrated(DB);
        TestDatabases.execute(
                DB,
                // rows as they would stand, without the triggers' counters (not read here)
                "SET session_replication_role = replica",
                """
                INSERT INTO job (queue, user_id, type, priority, status, max_retries, created_at, finished_at)
                SELECT 'q' || (g % 20), 'u' || (g % 1000), 't', (g % 3)::smallint,
                       CASE WHEN g % 2000 = 0 THEN 'RUNNING' WHEN g % 2000 = 1 THEN 'DISPATCHED'
                            WHEN g % 10 < 3 THEN 'PENDING' WHEN g % 10 = 3 THEN 'FAILED' ELSE 'COMPLETED' END,
                       3, now() - (100000 - g) * interval '1 s',
                       CASE WHEN g % 10 >= 3 AND g % 2000 > 1 THEN now() - (100000 - g) * interval '1 s' END
                  FROM generate_series(1, 100000) g""",
                // one small user's jobs in one small queue, every status
                """
                INSERT INTO job (queue, user_id, type, priority, status, max_retries, created_at, finished_at)
                SELECT 'small-q', 'small-u', 't', 0, (ARRAY['PENDING', 'RUNNING', 'COMPLETED', 'FAILED',
                       'DISPATCHED', 'SCHEDULED', 'CANCELLED', 'RETRY_WAIT', 'PAUSED'])[1 + g % 9],
                       3, now(), CASE WHEN g % 9 IN (2, 3, 6) THEN now() END
                  FROM generate_series(1, 60) g""",
                "INSERT INTO fq_user (id, display_name, role, created_at) VALUES ('small-u', 'small', 'USER', now())",
                "VACUUM ANALYZE job");
    }

    @AfterAll
    static void drop() throws SQLException {
        TestDatabases.admin("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
    }

    static JobSearch.Filter by(JobStatus status, String queue, String userId) {
        return new JobSearch.Filter(status, queue, userId, null, null, null, null, null);
    }

    @Test
    void a_users_jobs_of_every_status_come_from_its_settled_and_its_held_index() throws SQLException {
        JobSearch.Where w = JobSearch.where(by(null, null, "small-u"));
        String sql = JobSearch.jobsSql(w, "j.id DESC", 51);
        assertReads(sql, w, "job_user_id_idx", "job_running_idx");
        List<Long> found = ids(sql, w);
        assertEquals(reference("user_id = 'small-u' ORDER BY id DESC LIMIT 51"), found);
        assertEquals(51, found.size());
        assertTrue(
                statuses(found).containsAll(List.of("RUNNING", "DISPATCHED", "COMPLETED")),
                statuses(found).toString());

        JobSearch.Where page2 = JobSearch.where(by(null, null, "small-u")).idBelow(found.get(50));
        assertEquals(
                reference("user_id = 'small-u' AND id < " + found.get(50) + " ORDER BY id DESC LIMIT 51"),
                ids(JobSearch.jobsSql(page2, "j.id DESC", 51), page2));

        String count = JobSearch.countSql(w);
        assertReads(count, w, "job_user_id_idx", "job_running_idx");
        assertEquals(reference("user_id = 'small-u'").size(), single(count, w));
    }

    @Test
    void a_queues_jobs_of_every_status_come_from_its_settled_and_its_held_index() throws SQLException {
        JobSearch.Where w = JobSearch.where(by(null, "small-q", null));
        String sql = JobSearch.jobsSql(w, "j.id DESC", 20);
        assertReads(sql, w, "job_finished_idx", "job_running_idx");
        assertEquals(reference("queue = 'small-q' ORDER BY id DESC LIMIT 20"), ids(sql, w));

        String count = JobSearch.countSql(w);
        assertReads(count, w, "job_finished_idx", "job_running_idx");
        assertEquals(60, single(count, w));
    }

    @Test
    void a_held_status_reads_the_running_index_and_a_settled_one_the_search_indexes() throws SQLException {
        JobSearch.Where running = JobSearch.where(by(JobStatus.RUNNING, null, null));
        String sql = JobSearch.jobsSql(running, "j.id DESC", 51);
        assertReads(sql, running, "job_running_idx");
        assertEquals(reference("status = 'RUNNING' ORDER BY id DESC LIMIT 51"), ids(sql, running));

        JobSearch.Where completed = JobSearch.where(by(JobStatus.COMPLETED, null, "small-u"));
        String mine = JobSearch.jobsSql(completed, "j.id DESC", 51);
        assertReads(mine, completed, "job_user_id_idx");
        assertEquals(
                reference("status = 'COMPLETED' AND user_id = 'small-u' ORDER BY id DESC LIMIT 51"),
                ids(mine, completed));

        JobSearch.Where dead = JobSearch.where(by(JobStatus.FAILED, "small-q", null));
        String deadLetters = JobSearch.jobsSql(dead, "j.finished_at DESC, j.id DESC", 51);
        assertReads(deadLetters, dead, "job_finished_idx");
        assertEquals(
                reference("status = 'FAILED' AND queue = 'small-q' ORDER BY finished_at DESC, id DESC LIMIT 51"),
                ids(deadLetters, dead));
    }

    @Test
    void a_bulk_selection_reads_its_source_states_through_the_search_indexes() throws SQLException {
        JobSearch.Where w = JobSearch.where(by(null, null, "small-u"))
                .statusIn(List.of(JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.RETRY_WAIT, JobStatus.PAUSED));
        String sql = JobSearch.idsSql(w, 1000);
        assertReads(sql, w, "job_user_id_idx");
        String same = "user_id = 'small-u' AND status IN ('PENDING', 'SCHEDULED', 'RETRY_WAIT', 'PAUSED')";
        assertEquals(reference(same + " ORDER BY id LIMIT 1000"), ids(sql, w));
        assertEquals(reference(same).size(), single(JobSearch.countSql(w), w));
    }

    @Test
    void the_queue_views_counts_of_one_user_include_its_held_jobs() throws SQLException {
        String userCounts =
                QueueOverviewService.USER_COUNTS.replace("?1", "'small-u'").replace("?2", "NULL");
        assertReads(userCounts, new JobSearch.Where(), "job_user_id_idx", "job_running_idx");
        try (Connection c = TestDatabases.connect(DB)) {
            assertEquals(
                    rows(
                            c,
                            "SELECT status || ' ' || fq_tier(priority) || ' ' || count(*) FROM job"
                                    + " WHERE user_id = 'small-u' GROUP BY status, fq_tier(priority) ORDER BY 1"),
                    rows(c, "SELECT status || ' ' || fq_tier || ' ' || count FROM (" + userCounts + ") x ORDER BY 1"));
            // the event stream's per-user counts, all statuses, held ones among them
            assertEquals(
                    rows(
                            c,
                            "SELECT json_build_object(status, count(*))::text FROM job WHERE user_id = 'small-u'"
                                    + " GROUP BY status ORDER BY status"),
                    rows(
                            c,
                            "SELECT json_build_object(c->>'status', sum((c->>'n')::int))::text"
                                    + " FROM json_array_elements(fq_events(NULL, '{}', 0, ARRAY['small-u'], '{}', now())"
                                    + "         -> 'users' -> 0 -> 'counts') c"
                                    + " GROUP BY c->>'status' ORDER BY c->>'status'"));
        }
    }

    /** The plan of {@code sql} (parameters bound) reads job only through the given indexes, never a scan. */
    static void assertReads(String sql, JobSearch.Where w, String... indexes) throws SQLException {
        List<String> plan = new ArrayList<>();
        try (Connection c = TestDatabases.connect(DB);
                PreparedStatement p = prepare(c, "EXPLAIN " + sql, w);
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                plan.add(r.getString(1));
            }
        }
        String text = String.join("\n", plan);
        assertFalse(text.contains("Seq Scan"), text);
        assertFalse(text.contains("job_pkey"), "no walk of the whole primary key:\n" + text);
        for (String index : indexes) {
            assertTrue(text.contains(index), index + " in\n" + text);
        }
    }

    /** A statement with JobSearch's numbered parameters ({@code ?1}, each used any number of times) bound. */
    static PreparedStatement prepare(Connection c, String sql, JobSearch.Where w) throws SQLException {
        Matcher m = PARAM.matcher(sql);
        List<Object> values = new ArrayList<>();
        StringBuilder jdbc = new StringBuilder();
        while (m.find()) {
            values.add(w.params.get(Integer.parseInt(m.group(1)) - 1));
            m.appendReplacement(jdbc, "?");
        }
        m.appendTail(jdbc);
        PreparedStatement p = c.prepareStatement(jdbc.toString());
        for (int i = 0; i < values.size(); i++) {
            p.setObject(i + 1, values.get(i));
        }
        return p;
    }

    static List<Long> ids(String sql, JobSearch.Where w) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Connection c = TestDatabases.connect(DB);
                PreparedStatement p = prepare(c, sql, w);
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                ids.add(r.getLong("id"));
            }
        }
        return ids;
    }

    static long single(String sql, JobSearch.Where w) throws SQLException {
        try (Connection c = TestDatabases.connect(DB);
                PreparedStatement p = prepare(c, sql, w);
                ResultSet r = p.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }

    /** The ids of the jobs matching {@code condition} over the whole table (a scan is fine here). */
    static List<Long> reference(String condition) throws SQLException {
        try (Connection c = TestDatabases.connect(DB)) {
            return rows(c, "SELECT id FROM job WHERE " + condition).stream()
                    .map(Long::valueOf)
                    .toList();
        }
    }

    static List<String> statuses(List<Long> ids) throws SQLException {
        try (Connection c = TestDatabases.connect(DB)) {
            return rows(
                    c,
                    "SELECT DISTINCT status FROM job WHERE id IN ("
                            + String.join(",", ids.stream().map(String::valueOf).toList()) + ")");
        }
    }

    static List<String> rows(Connection c, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                rows.add(r.getString(1));
            }
        }
        return rows;
    }
}
