package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.aJob;
import static io.fairqueue.it.support.TestData.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.EventStreamClient;
import io.fairqueue.it.support.EventStreamClient.Event;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/queue/events} over HTTP: who hears what, keepalives, the per-token cap, a
 * revoked token ending its stream, and 200 open streams costing one database read per tick.
 */
class QueueEventsIT extends ApiTestBase {

    static final Duration WITHIN = Duration.ofSeconds(5);

    static boolean jobsEventWith(Event e, long jobId, String status) {
        return e.name().equals("jobs")
                && e.json().asJsonArray().stream()
                        .map(JsonValue::asJsonObject)
                        .anyMatch(j -> j.getJsonNumber("id").longValue() == jobId
                                && j.getString("status").equals(status));
    }

    static long submit(Account who, String queue, JsonObject payload) {
        return who.api()
                .post("jobs", aJob().withQueue(queue).withType("render").withPayload(payload))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
    }

    @Test
    void a_user_hears_of_its_own_jobs_and_counts_only_and_an_admin_of_everyones() throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount worker = fx.worker();
        try (EventStreamClient mine = EventStreamClient.open(alice.api());
                EventStreamClient all = EventStreamClient.open(admin)) {
            assertEquals(200, mine.status());
            assertTrue(mine.header("Content-Type").startsWith("text/event-stream"), mine.header("Content-Type"));
            assertEquals("no", mine.header("X-Accel-Buffering"));
            assertEquals("no-cache", mine.header("Cache-Control"));
            // the first counts: alice has no jobs yet
            Event first = mine.await(WITHIN, e -> e.name().equals("counts"));
            assertNotNull(first, "a counts event comes within a tick or two");
            assertEquals("retry: 2000", mine.lines().get(0), "a reconnect hint first");
            assertEquals(0, first.json().asJsonObject().getJsonObject("pending").getInt("total"));

            long bobs = submit(bob, q, object("secret", "bob-only"));
            long sent = System.nanoTime();
            long alices = submit(alice, q, object("scene", "intro"));
            Event heard = mine.await(WITHIN, e -> jobsEventWith(e, alices, "PENDING"));
            long millis = (System.nanoTime() - sent) / 1_000_000;
            assertNotNull(heard, "alice hears of her job");
            System.out.println("EVENTS-FIGURES submit to event on alice's stream: " + millis + " ms");
            assertTrue(millis < 3000, "within a tick, not " + millis + " ms");
            JsonObject job = heard.json().asJsonArray().stream()
                    .map(JsonValue::asJsonObject)
                    .filter(j -> j.getJsonNumber("id").longValue() == alices)
                    .findFirst()
                    .orElseThrow();
            assertEquals(alice.id(), job.getString("userId"));
            assertEquals(q, job.getString("queue"));
            assertTrue(job.getJsonNumber("position").longValue() >= 1, job.toString());
            assertFalse(job.containsKey("payload"));
            Event counts = mine.await(
                    WITHIN,
                    e -> e.name().equals("counts")
                            && e.json().asJsonObject().getJsonObject("pending").getInt("total") == 1);
            assertNotNull(counts, "alice's counts are her own: one PENDING job, not bob's too");
            assertEquals(1, counts.json().asJsonObject().getJsonObject("counts").getInt("PENDING"));

            assertNotNull(all.await(WITHIN, e -> jobsEventWith(e, bobs, "PENDING")), "the admin hears of bob's job");
            JsonArray claimed = worker.claim(q, 2);
            assertEquals(2, claimed.size());
            assertNotNull(mine.await(WITHIN, e -> jobsEventWith(e, alices, "DISPATCHED")), "and of the claim");
            assertNotNull(all.await(WITHIN, e -> jobsEventWith(e, bobs, "DISPATCHED")));

            for (String line : mine.lines()) {
                assertFalse(line.contains("\"id\":" + bobs + ","), "alice never hears of bob's job: " + line);
                assertFalse(line.contains("bob-only") || line.contains(bob.id()), line);
            }
        }
    }

    @Test
    void an_idle_stream_gets_keepalive_comments() throws Exception {
        Account quiet = fx.user("USER");
        try (EventStreamClient s = EventStreamClient.open(quiet.api())) {
            assertEquals(200, s.status());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (s.keepalives() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(s.keepalives() >= 2, "keepalives every 2 s (FAIRQUEUE_EVENTS_KEEPALIVE_SECONDS): " + s.lines());
        }
    }

    @Test
    void a_token_may_hold_eight_streams_and_the_ninth_is_a_429_problem() throws Exception {
        Account u = fx.user("USER");
        List<EventStreamClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                EventStreamClient s = EventStreamClient.open(u.api());
                open.add(s);
                assertEquals(200, s.status());
            }
            EventStreamClient ninth = EventStreamClient.open(u.api());
            assertEquals(429, ninth.status(), ninth.errorBody());
            assertTrue(ninth.header("Content-Type").startsWith("application/problem+json"));
            assertTrue(ninth.errorBody().contains("too-many-streams"), ninth.errorBody());

            String other = admin.post("admin/users/" + u.id() + "/tokens")
                    .expect(201)
                    .json()
                    .getString("token");
            try (EventStreamClient byOtherToken = EventStreamClient.open(admin.as(other))) {
                assertEquals(200, byOtherToken.status(), "the cap is per token");
            }

            open.remove(0).close(); // the node notices at its next write to it (a keepalive at most)
            int status = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (status != 200 && System.nanoTime() < deadline) {
                EventStreamClient again = EventStreamClient.open(u.api());
                status = again.status();
                if (status == 200) {
                    open.add(again);
                } else {
                    Thread.sleep(250);
                }
            }
            assertEquals(200, status, "a closed stream frees its place");
        } finally {
            open.forEach(EventStreamClient::close);
        }
    }

    @Test
    void a_revoked_token_ends_its_stream_and_leaves_the_others_open() throws Exception {
        Account u = fx.user("USER");
        JsonObject spare =
                admin.post("admin/users/" + u.id() + "/tokens").expect(201).json();
        try (EventStreamClient bySpare = EventStreamClient.open(admin.as(spare.getString("token")));
                EventStreamClient byFirst = EventStreamClient.open(u.api())) {
            assertEquals(200, bySpare.status());
            assertEquals(200, byFirst.status());
            admin.delete("admin/users/" + u.id() + "/tokens/" + spare.getJsonNumber("id"))
                    .expect(204);
            long revoked = System.nanoTime();
            assertTrue(bySpare.awaitEnd(WITHIN), "the stream of the revoked token ends");
            System.out.println("EVENTS-FIGURES revoked token's stream ended after "
                    + (System.nanoTime() - revoked) / 1_000_000 + " ms");
            int before = byFirst.keepalives();
            long deadline = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (byFirst.keepalives() == before && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(byFirst.keepalives() > before, "the user's other stream is still served");
            assertFalse(byFirst.awaitEnd(Duration.ZERO));
        }
        assertEquals(
                401, EventStreamClient.open(admin.as(spare.getString("token"))).status());
        EventStreamClient none = EventStreamClient.open(admin.as(null));
        assertEquals(401, none.status());
        assertTrue(none.errorBody().contains("unauthorized"), none.errorBody());
        assertEquals(405, admin.post("queue/events").status());
    }

    @Test
    void two_hundred_streams_cost_one_database_read_per_tick() throws Exception {
        String q = fx.queue();
        List<Account> users = new ArrayList<>();
        List<EventStreamClient> streams = new ArrayList<>();
        try {
            // 12 USERs and 13 VIEWERs, 8 streams each: 200 streams, of two audiences
            for (int i = 0; i < 25; i++) {
                Account a = fx.user(i < 12 ? "USER" : "VIEWER");
                users.add(a);
                for (int k = 0; k < 8; k++) {
                    EventStreamClient s = EventStreamClient.open(a.api());
                    assertEquals(200, s.status(), s.errorBody());
                    streams.add(s);
                }
            }
            Thread.sleep(2000); // every stream has had its first tick
            long[] before = metrics();
            long scansBefore = transitionScans();
            long lastJob = 0;
            for (int i = 0; i < 8; i++) {
                lastJob = submit(users.get(i % 12), q, object());
                Thread.sleep(1000);
            }
            // PostgreSQL publishes a session's table statistics at most every second, an idle one
            // within 10 s: wait that long before the second reading, so both cover every tick
            Thread.sleep(11_000);
            long[] after = metrics();
            long scans = transitionScans() - scansBefore;
            long ticks = after[0] - before[0];
            long reads = after[1] - before[1];
            System.out.println("EVENTS-FIGURES 200 streams: " + ticks + " ticks, " + reads + " reads, " + scans
                    + " scans of job_transition");
            assertTrue(ticks >= 12, "the node ticked about once a second: " + ticks);
            assertTrue(Math.abs(reads - ticks) <= 1, "one read per tick: " + reads + " reads, " + ticks + " ticks");
            assertTrue(
                    scans <= 3 * ticks + 20,
                    "PostgreSQL saw a scan or two of the audit log per tick (its two index conditions), not one per stream: "
                            + scans + " scans in " + ticks + " ticks");
            assertEquals(200L, after[2], "every stream is still open");
            long last = lastJob;
            Account owner = users.get(7 % 12);
            for (int i = 0; i < streams.size(); i++) {
                Account listener = users.get(i / 8);
                boolean hears = listener == owner || i / 8 >= 12;
                boolean heard = streams.get(i).events().stream().anyMatch(e -> jobsEventWith(e, last, "PENDING"));
                assertEquals(hears, heard, "stream " + i + " of " + listener.id());
            }
        } finally {
            streams.forEach(EventStreamClient::close);
        }
    }

    /** ticks, reads and open streams from /metrics. */
    long[] metrics() {
        String text = admin.as(null).get("/metrics").expect(200).body();
        return new long[] {
            metric(text, "fairqueue_events_ticks_total"),
            metric(text, "fairqueue_events_reads_total"),
            metric(text, "fairqueue_events_streams")
        };
    }

    static long metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(text);
        assertTrue(m.find(), name + " in /metrics");
        return (long) Double.parseDouble(m.group(2));
    }

    static long transitionScans() throws Exception {
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0)"
                        + " FROM pg_stat_user_tables WHERE relname = 'job_transition'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
