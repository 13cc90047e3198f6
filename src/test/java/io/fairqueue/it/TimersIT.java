package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Test;

/**
 * The clockwork (SPEC §5): real EJB timers firing, their MXBeans over the remote JMX port, push
 * dispatch against a receiver in this test, a dead worker's job coming back, policies, reorder
 * and the archive.
 */
class TimersIT extends ApiTestBase {

    static final String JMX = io.fairqueue.it.support.JmxPort.url();

    static void await(String what, Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(100);
        }
    }

    String status(Account user, String id) {
        return user.api().get("jobs/" + id).expect(200).json().getString("status");
    }

    static String id(Api.Res r) {
        return r.json().getJsonNumber("id").toString();
    }

    @Test
    void the_promoter_timer_starts_a_due_scheduled_job_within_two_seconds_without_any_claim() throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER");
        OffsetDateTime start = advance(0).plusSeconds(2);
        String id = id(alice.api()
                .post("jobs", aJob().withQueue(q).withType("t").withScheduledStartAt(start))
                .expect(201));
        assertEquals("SCHEDULED", status(alice, id));
        await("promotion", Duration.ofSeconds(5), () -> status(alice, id).equals("PENDING"));
        JsonObject promoted =
                alice.api().get("jobs/" + id + "/transitions").array().getJsonObject(1);
        assertEquals("start time reached", promoted.getString("reason"));
        assertFalse(promoted.containsKey("triggeredBy"), "the system moved it");
        Duration late = Duration.between(start, OffsetDateTime.parse(promoted.getString("at")));
        assertTrue(
                !late.isNegative() && late.compareTo(Duration.ofSeconds(2)) <= 0,
                "promoted " + late + " after its start");
    }

    @Test
    void a_worker_that_stops_heartbeating_loses_its_job_which_is_claimable_again_and_its_slot_free() throws Exception {
        String q = fx.queue(aQueue().withLeaseSeconds(30));
        Account alice = fx.user("USER");
        WorkerAccount dead = fx.worker();
        WorkerAccount alive = fx.worker();
        String id =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        String lease = dead.claim(q, 1).getJsonObject(0).getString("leaseToken");
        dead.api().post("jobs/" + id + "/start", aLease(lease)).expect(200);
        dead.api().post("jobs/" + id + "/heartbeat", aLease(lease)).expect(200);
        // the worker dies; two heartbeat intervals (leaseSeconds / 2 each) later its lease is over
        advance(31);
        await("reaping", Duration.ofSeconds(5), () -> !status(alice, id).equals("RUNNING"));
        assertEquals(0, admin.get("admin/users/" + alice.id()).json().getInt("running"), "the slot is free");
        // RUNNING -> RETRY_WAIT "lease expired"; the promoter may already have moved it on (PENDING)
        JsonArray log = alice.api().get("jobs/" + id + "/transitions").array();
        assertTrue(
                log.stream()
                        .map(JsonValue::asJsonObject)
                        .anyMatch(t -> "RUNNING".equals(t.getString("from", null))
                                && "lease expired".equals(t.getString("reason", null))),
                log.toString());
        JsonArray again = alive.claimWithin(q, 1);
        assertEquals(id, again.getJsonObject(0).getJsonNumber("id").toString(), "claimable again at once");
        assertEquals(
                409, dead.api().post("jobs/" + id + "/complete", aLease(lease)).status());
    }

    @Test
    void the_timers_are_mxbeans_readable_over_the_remote_jmx_port_and_controllable() throws Exception {
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(JMX))) {
            MBeanServerConnection jmx = c.getMBeanServerConnection();
            java.util.Set<String> names = timerNames();
            java.util.Set<String> registered = new java.util.TreeSet<>();
            jmx.queryNames(new ObjectName("fairqueue:type=Timer,*"), null)
                    .forEach(n -> registered.add(n.getKeyProperty("name")));
            assertEquals(names, registered, "every timer class has its MXBean, and no other");
            // a clock moved by another test makes a timer look late until its next tick: wait for that
            await(
                    "a live timers check",
                    Duration.ofSeconds(75),
                    () -> admin.as(null).get("/health/live").status() == 200);
            JsonObject health = admin.as(null).get("/health/live").expect(200).json();
            JsonObject data = health.getJsonArray("checks").stream()
                    .map(JsonValue::asJsonObject)
                    .filter(check -> check.getString("name").equals("timers"))
                    .findFirst()
                    .orElseThrow()
                    .getJsonObject("data");
            assertEquals(names, new java.util.TreeSet<>(data.keySet()), "every timer class is in the liveness check");
            for (String name : names) {
                ObjectName timer = new ObjectName("fairqueue:type=Timer,name=" + name);
                assertTrue(jmx.isRegistered(timer), name);
                assertEquals(Boolean.TRUE, jmx.getAttribute(timer, "Enabled"));
                assertNotNull(jmx.getAttribute(timer, "NextTimeout"), name);
                assertNotNull(jmx.getAttribute(timer, "FailureCount"));
                assertNotNull(jmx.getAttribute(timer, "LastDurationMillis"));
            }
            ObjectName promoter = new ObjectName("fairqueue:type=Timer,name=Promoter");
            assertTrue((Long) jmx.getAttribute(promoter, "RunCount") > 0, "it has been firing");
            assertNotNull((Date) jmx.getAttribute(promoter, "LastRunStart"));
            System.out.println("JMX read-out: Promoter RunCount=" + jmx.getAttribute(promoter, "RunCount")
                    + " FailureCount=" + jmx.getAttribute(promoter, "FailureCount")
                    + " LastRunStart=" + jmx.getAttribute(promoter, "LastRunStart")
                    + " LastDurationMillis=" + jmx.getAttribute(promoter, "LastDurationMillis")
                    + " NextTimeout=" + jmx.getAttribute(promoter, "NextTimeout")
                    + " Enabled=" + jmx.getAttribute(promoter, "Enabled"));

            String q = fx.queue();
            Account alice = fx.user("USER");
            jmx.setAttribute(promoter, new javax.management.Attribute("Enabled", false));
            try {
                String id = id(alice.api()
                        .post(
                                "jobs",
                                aJob().withQueue(q)
                                        .withType("t")
                                        .withScheduledStartAt(advance(0).plusSeconds(1)))
                        .expect(201));
                Thread.sleep(3000);
                assertEquals("SCHEDULED", status(alice, id), "a disabled promoter promotes nothing");
                jmx.invoke(promoter, "runNow", null, null);
                assertEquals("PENDING", status(alice, id), "runNow ran it at once");
            } finally {
                jmx.setAttribute(promoter, new javax.management.Attribute("Enabled", true));
            }

            assertEquals(1, fx.worker().claim(q, 1).size(), "a claim, for the claims counter");
            ObjectName queue = new ObjectName("fairqueue:type=Queue,name=default");
            assertTrue(jmx.isRegistered(queue));
            assertTrue((Long) jmx.getAttribute(queue, "Pending") >= 0);
            assertTrue((Long) jmx.getAttribute(queue, "Running") >= 0);
            assertTrue((Long) jmx.getAttribute(queue, "DeadLetter") >= 0);
            await(
                    "the new queue's MXBean",
                    Duration.ofSeconds(15),
                    () -> registered(jmx, "fairqueue:type=Queue,name=" + q));
            assertEquals(1L, jmx.getAttribute(new ObjectName("fairqueue:type=Queue,name=" + q), "Running"));
        }
        String metrics = admin.as(null).get("/metrics").expect(200).body();
        for (String metric : List.of("fairqueue_claims", "fairqueue_timer_duration", "fairqueue_queue_pending")) {
            assertTrue(metrics.contains(metric), metric + " in /metrics");
        }
    }

    /** The names of every timer class the WAR holds (the build's classes): {@code XTimer} is named {@code X}. */
    static java.util.Set<String> timerNames() throws Exception {
        java.util.Set<String> names = new java.util.TreeSet<>();
        java.nio.file.Path root = java.nio.file.Path.of("target/classes");
        try (var files = java.nio.file.Files.walk(root.resolve("io/fairqueue/timers"))) {
            for (java.nio.file.Path f :
                    files.filter(p -> p.toString().endsWith("Timer.class")).toList()) {
                Class<?> c = Class.forName(
                        root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", ""));
                if (io.fairqueue.timers.boundary.ManagedTimer.class.isAssignableFrom(c)
                        && !java.lang.reflect.Modifier.isAbstract(c.getModifiers())) {
                    names.add(c.getSimpleName().replaceAll("Timer$", "")); // PromoterTimer is "Promoter"
                }
            }
        }
        return names;
    }

    static boolean registered(MBeanServerConnection jmx, String name) {
        try {
            return jmx.isRegistered(new ObjectName(name));
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void push_dispatch_posts_to_the_callback_and_releases_the_job_on_500_or_timeout() throws Exception {
        List<JsonObject> received = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/ok", ex -> {
            received.add(Json.createReader(
                            new StringReader(new String(ex.getRequestBody().readAllBytes())))
                    .readObject());
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.createContext("/fail", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        receiver.createContext("/slow", ex -> {
            try {
                Thread.sleep(4000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        receiver.start();
        String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
        try {
            Account alice = fx.user("USER", 5);
            String okQ = fx.queue();
            String failQ = fx.queue();
            String slowQ = fx.queue();
            Account fleet = fx.user("WORKER");
            fleet.api()
                    .post(
                            "workers",
                            aWorker("push-ok")
                                    .withCapacity(2)
                                    .withCallbackUrl(base + "/ok")
                                    .withQueues(okQ))
                    .expect(201);
            fleet.api()
                    .post(
                            "workers",
                            aWorker("push-500")
                                    .withCapacity(2)
                                    .withCallbackUrl(base + "/fail")
                                    .withQueues(failQ))
                    .expect(201);
            fleet.api()
                    .post(
                            "workers",
                            aWorker("push-slow")
                                    .withCapacity(2)
                                    .withCallbackUrl(base + "/slow")
                                    .withQueues(slowQ))
                    .expect(201);

            String ok = id(alice.api()
                    .post("jobs", aJob().withQueue(okQ).withType("t").withPayload(object("frames", 3)))
                    .expect(201));
            await("the push", Duration.ofSeconds(5), () -> !received.isEmpty());
            JsonObject pushed = received.get(0);
            assertEquals(ok, pushed.getJsonNumber("id").toString());
            assertEquals(3, pushed.getJsonObject("payload").getInt("frames"));
            assertEquals("DISPATCHED", status(alice, ok));
            Account worker = fleet;
            Lease lease = aLease(pushed.getString("leaseToken"));
            worker.api().post("jobs/" + ok + "/start", lease).expect(200);
            worker.api().post("jobs/" + ok + "/complete", lease).expect(200);
            Thread.sleep(1500);
            assertEquals(1, received.size(), "pushed exactly once");

            String failing = id(alice.api()
                    .post("jobs", aJob().withQueue(failQ).withType("t"))
                    .expect(201));
            await(
                    "release after HTTP 500",
                    Duration.ofSeconds(5),
                    () -> reasons(alice, failing).stream().anyMatch(r -> r.contains("HTTP 500")));
            admin.post("queues/" + failQ + "/pause").expect(200);
            Thread.sleep(1500);
            assertEquals("PENDING", status(alice, failing), "back to PENDING");
            assertEquals(
                    0,
                    alice.api().get("jobs/" + failing).json().getInt("attempts"),
                    "a push that failed is no attempt");

            String slow = id(alice.api()
                    .post("jobs", aJob().withQueue(slowQ).withType("t"))
                    .expect(201));
            await(
                    "release after a timeout",
                    Duration.ofSeconds(8),
                    () -> reasons(alice, slow).stream().anyMatch(r -> r.contains("timed out")));
            admin.post("queues/" + slowQ + "/pause").expect(200);
        } finally {
            receiver.stop(0);
        }
    }

    List<String> reasons(Account user, String id) {
        return user.api().get("jobs/" + id + "/transitions").array().stream()
                .map(v -> v.asJsonObject())
                .filter(t -> t.containsKey("reason"))
                .map(t -> t.getString("reason"))
                .toList();
    }

    @Test
    void policies_are_managed_validated_and_drive_the_off_peak_window() throws Exception {
        Api.Res created = admin.post(
                        "admin/scheduling-policies",
                        aPolicy("OFF_PEAK")
                                .withName("lunch")
                                .withConfig(object("start", "12:00", "end", "13:00", "timezone", "Europe/Berlin")))
                .expect(201);
        String pid = created.json().getJsonNumber("id").toString();
        assertEquals("Europe/Berlin", created.json().getJsonObject("config").getString("timezone"));
        assertTrue(admin.get("admin/scheduling-policies").array().stream()
                .anyMatch(v -> v.asJsonObject().getJsonNumber("id").toString().equals(pid)));
        JsonObject disabled = admin.put(
                        "admin/scheduling-policies/" + pid,
                        aPolicy("OFF_PEAK")
                                .withName("lunch")
                                .withConfig(object("start", "12:00", "end", "13:00"))
                                .withEnabled(false))
                .expect(200)
                .json();
        assertFalse(disabled.getBoolean("enabled"));
        for (String[] c : new String[][] {
            {"{\"policyType\":\"OFF_PEAK\",\"config\":{\"start\":\"25:00\",\"end\":\"08:00\"}}", "config"},
            {"{\"policyType\":\"OFF_PEAK\",\"config\":{\"end\":\"08:00\"}}", "config"},
            {"{\"policyType\":\"QUOTA_RESET\",\"config\":{\"timezone\":\"Mars/Olympus\"}}", "config.timezone"},
            {"{\"policyType\":\"QUOTA_RESET\",\"config\":{\"timezone\":\"+02:00\"}}", "config.timezone"},
            {"{\"policyType\":\"quota\",\"config\":{}}", "policyType"},
            {"{\"policyType\":\"OFF_PEAK\",\"config\":[1]}", "config"},
            {"{\"policyType\":\"OFF_PEAK\"}", "config"}
        }) {
            Api.Res r = admin.post("admin/scheduling-policies", c[0]);
            assertEquals(400, r.status(), c[0] + " " + r.body());
            assertEquals(c[1], r.json().getString("field"), r.body());
        }
        assertEquals(
                400,
                admin.put(
                                "admin/scheduling-policies/" + pid,
                                aPolicy("QUOTA_RESET").withConfig(object()))
                        .status());
        assertEquals(204, admin.delete("admin/scheduling-policies/" + pid).status());
        assertEquals(404, admin.get("admin/scheduling-policies/" + pid).status());
        assertEquals(403, fx.user("USER").api().get("admin/scheduling-policies").status());

        // with every OFF_PEAK policy disabled, it is never off-peak
        List<String> offPeak = admin.get("admin/scheduling-policies").array().stream()
                .map(v -> v.asJsonObject())
                .filter(p -> p.getString("policyType").equals("OFF_PEAK") && p.getBoolean("enabled"))
                .map(p -> p.getJsonNumber("id").toString())
                .toList();
        try {
            for (String id : offPeak) {
                JsonObject p = admin.get("admin/scheduling-policies/" + id).json();
                admin.put(
                                "admin/scheduling-policies/" + id,
                                aPolicy("OFF_PEAK")
                                        .withConfig(p.getJsonObject("config"))
                                        .withEnabled(false))
                        .expect(200);
            }
            Account alice = fx.user("USER");
            String q = fx.queue();
            String night = id(alice.api()
                    .post("jobs", aJob().withQueue(q).withType("t").withOffPeakOnly(true))
                    .expect(201));
            assertEquals(
                    "OFF_PEAK_WINDOW", alice.api().get("jobs/" + night).json().getString("waitingReason"));
        } finally {
            for (String id : offPeak) {
                JsonObject p = admin.get("admin/scheduling-policies/" + id).json();
                admin.put(
                                "admin/scheduling-policies/" + id,
                                aPolicy("OFF_PEAK")
                                        .withConfig(p.getJsonObject("config"))
                                        .withEnabled(true))
                        .expect(200);
            }
        }
    }

    @Test
    void an_admin_reorder_changes_the_next_claim_and_is_audited_with_the_admins_id_and_reason() {
        String q = fx.queue();
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        String first =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        String second =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        JsonObject moved = admin.put(
                        "admin/queue/reorder",
                        aReorder(second).withPriority(URGENT).withReason("customer escalation"))
                .expect(200)
                .json();
        assertEquals(10, moved.getInt("priority"));
        assertEquals(1, moved.getInt("userPosition"));
        JsonArray log = alice.api().get("jobs/" + second + "/transitions").array();
        JsonObject reorder = log.getJsonObject(log.size() - 1);
        assertEquals("PENDING", reorder.getString("from"));
        assertEquals("PENDING", reorder.getString("to"));
        assertEquals("admin", reorder.getString("triggeredBy"));
        assertEquals("customer escalation", reorder.getString("reason"));
        assertEquals(second, w.claim(q, 1).getJsonObject(0).getJsonNumber("id").toString());
        assertEquals(first, w.claim(q, 1).getJsonObject(0).getJsonNumber("id").toString());
        assertEquals(
                403,
                alice.api()
                        .put("admin/queue/reorder", aReorder(first).withPriority(1))
                        .status());
        assertEquals(
                400,
                admin.put("admin/queue/reorder", aReorder(first).withPriority(101))
                        .status());
        assertEquals(
                404,
                admin.put("admin/queue/reorder", aReorder(999999999).withPriority(1))
                        .status());
    }

    @Test
    void the_archiver_moves_old_terminal_jobs_and_their_transitions_out_of_the_hot_tables() throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER");
        String id =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        alice.api().post("jobs/" + id + "/cancel").expect(200);
        String young =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        advance(Duration.ofDays(91).toSeconds());
        alice.api().post("jobs/" + young + "/cancel").expect(200);
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(JMX))) {
            c.getMBeanServerConnection()
                    .invoke(new ObjectName("fairqueue:type=Timer,name=Archiver"), "runNow", null, null);
        }
        assertEquals(404, alice.api().get("jobs/" + id).status(), "gone from the hot tables");
        assertEquals(200, alice.api().get("jobs/" + young).status(), "a job finished now stays");
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                PreparedStatement ps = c.prepareStatement("SELECT (SELECT status FROM job_archive WHERE id = ?), "
                        + "(SELECT count(*) FROM job_transition_archive WHERE job_id = ?)")) {
            ps.setLong(1, Long.parseLong(id));
            ps.setLong(2, Long.parseLong(id));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals("CANCELLED", rs.getString(1), "kept in the archive");
                assertEquals(2, rs.getInt(2), "with its transitions");
            }
        }
    }

    @Test
    void the_vacuum_timer_clears_the_dead_rows_of_the_hot_tables() throws Exception {
        // This project's PostgreSQL runs with autovacuum off; every job move rewrites its lane row.
        withVacuumTimerOff(this::churnAndVacuum);
    }

    interface VacuumRun {
        void run(MBeanServerConnection jmx, ObjectName vacuum) throws Exception;
    }

    /** Runs {@code test} with the vacuum timer's own runs off (it starts runs with runNow), then on again. */
    static void withVacuumTimerOff(VacuumRun test) throws Exception {
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(JMX))) {
            MBeanServerConnection jmx = c.getMBeanServerConnection();
            ObjectName vacuum = new ObjectName("fairqueue:type=Timer,name=Vacuum");
            jmx.setAttribute(vacuum, new javax.management.Attribute("Enabled", false));
            try {
                test.run(jmx, vacuum);
            } finally {
                jmx.setAttribute(vacuum, new javax.management.Attribute("Enabled", true));
            }
        }
    }

    void churnAndVacuum(MBeanServerConnection jmx, ObjectName vacuum) throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER", 100);
        WorkerAccount w = fx.worker();
        for (int i = 0; i < 200; i++) {
            alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201);
        }
        // one job per claim: each claim rewrites the lane (its head and its user's running count)
        for (int claimed = 0; claimed < 200; ) {
            claimed += w.claim(q, 1).size();
        }
        // due by the timer's own rule (Vacuum.BASE + Vacuum.SCALE of the live rows)
        String due =
                "SELECT (n_dead_tup > 200 + 0.1 * n_live_tup)::int FROM pg_stat_user_tables WHERE relname = 'lane'";
        await("the lane's dead rows are counted and make it due", Duration.ofSeconds(10), () -> sqlLong(due) == 1);
        jmx.invoke(vacuum, "runNow", null, null);
        await(
                "the lane table was vacuumed",
                Duration.ofSeconds(10),
                () -> sqlLong(due) == 0
                        && sqlLong(
                                        "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'lane' AND last_vacuum IS NOT NULL")
                                == 1);
    }

    /**
     * Statistics taken while few jobs were PENDING make the partial indexes of PENDING jobs look
     * empty to the planner, and the claim's look-ups then read the wrong index (Vacuum). In a job
     * table of 60,000 more rows (history, COMPLETED), PENDING jobs arrive in a paused queue, more
     * than twice what the last ANALYZE saw plus Vacuum.BURST, yet fewer changes than the usual
     * rule waits for (10 % of the rows): the timer's run analyzes the job table, and the planner's
     * row count of job_pending_order_idx then holds them.
     */
    @Test
    void the_vacuum_timer_analyzes_the_job_table_when_its_pending_jobs_outgrow_the_statistics() throws Exception {
        String q = fx.queue();
        withVacuumTimerOff((jmx, vacuum) -> {
            try {
                Account alice = fx.user("USER", 100);
                String jobs =
                        "INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at, finished_at) "
                                + "SELECT '" + q + "', '" + alice.id()
                                + "', 't', '%s', 0, 3, now(), %s FROM generate_series(1, %d)";
                String pending = "SELECT coalesce(sum(n), 0) FROM fq_counts(NULL) WHERE status = 'PENDING'";
                // history enough that the arrivals stay under the usual rule, whatever PENDING jobs
                // the tests before left (the arrivals below are about those plus 1,100)
                long history =
                        Math.max(60_000, 20 * (2 * sqlLong(pending) + 1200) - sqlLong("SELECT count(*) FROM job"));
                // the INSERT's counts reach the statistics before the ANALYZE: a backend reports
                // them when idle, at most once a second, and counts reported after the ANALYZE
                // would count the history as changes since it
                sqlExec(
                        "UPDATE queue SET paused = true WHERE name = '" + q + "'",
                        String.format(jobs, "COMPLETED", "now()", history),
                        "DO $$ BEGIN PERFORM pg_stat_force_next_flush(); END $$",
                        "ANALYZE job");
                String believed =
                        "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'job_pending_order_idx'::regclass";
                long before = sqlLong(believed);
                long arriving = Math.max(100, 2 * before + 1000 + 100 - sqlLong(pending));
                sqlExec(String.format(jobs, "PENDING", "NULL", arriving));
                long expected = sqlLong(pending);
                assertTrue(expected > 2 * before + 1000, "the PENDING jobs outgrew the statistics");
                String usualRule =
                        "SELECT (n_mod_since_analyze > 200 + 0.1 * n_live_tup)::int FROM pg_stat_user_tables "
                                + "WHERE relname = 'job'";
                String analyzed = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'job'";
                await(
                        "the arrivals are counted",
                        Duration.ofSeconds(10),
                        () -> sqlLong("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'job'")
                                >= arriving);
                assertEquals(0, sqlLong(usualRule), "not due by the usual rule: " + arriving + " arrivals");
                long analyses = sqlLong(analyzed);
                jmx.invoke(vacuum, "runNow", null, null);
                await("the job table was analyzed", Duration.ofSeconds(10), () -> sqlLong(analyzed) > analyses);
                long now = sqlLong(believed);
                assertTrue(
                        now > expected * 8 / 10,
                        "the planner's count of PENDING jobs after the analyze: " + now + " (" + expected
                                + " PENDING)");
            } finally {
                // The backlog is cancelled (the next run's would grow by it in a kept database), then
                // all the queue's jobs go as the archiver's do (its DELETE keeps the counts): the
                // archiver's own test, which moves the clock 91 days on, must not meet them first.
                while (admin.post(
                                        "admin/jobs/bulk",
                                        aBulk("cancel", "the test's backlog").withFilter(object("queue", q)))
                                .expect(200)
                                .json()
                                .getJsonNumber("remaining")
                                .longValue()
                        > 0) {
                    // one batch per call
                }
                sqlExec(
                        "DELETE FROM job_transition WHERE job_id IN (SELECT id FROM job WHERE queue = '" + q + "')",
                        "DELETE FROM job WHERE queue = '" + q + "'");
            }
        });
    }

    static void sqlExec(String... statements) {
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                java.sql.Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static long sqlLong(String query) {
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                PreparedStatement ps = c.prepareStatement(query);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
