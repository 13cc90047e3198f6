package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.SecondNode;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one database. Exactness across nodes (SPEC §3, §7): 16 claimer threads, 8 on each of two Payara Micro nodes
 * sharing one database, race over 2,000 jobs of 40 users (limits 1..3) in two limited queues
 * under a global limit. No user, queue or the pool ever exceeds its limit (checked live by a
 * sampler and afterwards by replaying the audit log), no job is handed out twice, every job
 * completes once, and the counters equal a recount. And the timers, firing on both nodes at
 * once, promote, reap and push every job exactly once (SPEC §5).
 */
class TwoNodeRaceIT extends ApiTestBase {

    static final int USERS = 40;
    static final int JOBS = 2000;
    static final int THREADS_PER_NODE = 8;
    static final int Q1_LIMIT = 10;
    static final int Q2_LIMIT = 6;
    static final int GLOBAL_EXTRA = 14;

    @Test
    void sixteen_claimers_on_two_nodes_never_exceed_a_limit_nor_hand_out_a_job_twice() throws Exception {
        String q1 = fx.queue(aQueue().withMaxConcurrent(Q1_LIMIT));
        String q2 = fx.queue(aQueue().withMaxConcurrent(Q2_LIMIT));
        List<Account> users = new ArrayList<>();
        Map<String, Integer> limits = new HashMap<>();
        for (int i = 0; i < USERS; i++) {
            Account a = fx.user("USER", 1 + i % 3);
            users.add(a);
            limits.put(a.id(), 1 + i % 3);
        }
        submitAll(users, q1, q2);
        int runningNow = admin.put("admin/settings", theSettings().withGlobalSlots(1000000))
                .expect(200)
                .json()
                .getInt("globalRunning");
        int globalLimit = runningNow + GLOBAL_EXTRA;
        admin.put("admin/settings", theSettings().withGlobalSlots(globalLimit)).expect(200);
        long[] start = snapshot(); // {last audit id, running jobs}, one snapshot

        try (SecondNode nodeB = SecondNode.start("node-b")) {
            Api adminB = nodeB.admin();
            List<Fixtures.WorkerAccount> workers = new ArrayList<>();
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                workers.add(fx.worker());
            }
            Map<String, String> claimedBy = new ConcurrentHashMap<>();
            List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger completed = new AtomicInteger();
            Map<String, AtomicInteger> claimsPerNode = Map.of("A", new AtomicInteger(), "B", new AtomicInteger());
            AtomicBoolean running = new AtomicBoolean(true);
            List<String> liveViolations = Collections.synchronizedList(new ArrayList<>());

            ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_NODE + 1);
            Future<?> sampler = pool.submit(() -> sample(q1, q2, limits, globalLimit, running, liveViolations));
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> claimers = new ArrayList<>();
            for (int t = 0; t < 2 * THREADS_PER_NODE; t++) {
                String node = t < THREADS_PER_NODE ? "A" : "B";
                Fixtures.WorkerAccount w = workers.get(t % THREADS_PER_NODE);
                Api api = (node.equals("A") ? admin : adminB).as(w.account().token());
                claimers.add(pool.submit(() -> {
                    go.await();
                    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
                    while (completed.get() < JOBS && System.nanoTime() < deadline) {
                        JsonArray batch = api.post(
                                        "claims",
                                        aClaim(w.workerId())
                                                .withQueues(q1, q2)
                                                .withLimit(ThreadLocalRandom.current()
                                                        .nextInt(1, 4)))
                                .expect(200)
                                .array();
                        if (batch.isEmpty()) {
                            Thread.sleep(2);
                        }
                        claimsPerNode.get(node).addAndGet(batch.size());
                        for (var v : batch) {
                            JsonObject job = v.asJsonObject();
                            String id = job.getJsonNumber("id").toString();
                            if (claimedBy.putIfAbsent(id, node) != null) {
                                duplicates.add(id);
                            }
                            Lease lease = aLease(job.getString("leaseToken"));
                            api.post("jobs/" + id + "/start", lease).expect(200);
                            Thread.sleep(ThreadLocalRandom.current().nextInt(0, 6));
                            api.post("jobs/" + id + "/complete", lease).expect(200);
                            completed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            long started = System.nanoTime();
            go.countDown();
            for (Future<?> f : claimers) {
                f.get(5, TimeUnit.MINUTES);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            running.set(false);
            int samples = (Integer) sampler.get(1, TimeUnit.MINUTES);
            pool.shutdown();
            System.out.printf(
                    "two-node race: %d jobs in %d ms (%.0f jobs/s), claims A=%d B=%d, %d live samples%n",
                    JOBS,
                    millis,
                    JOBS * 1000.0 / millis,
                    claimsPerNode.get("A").get(),
                    claimsPerNode.get("B").get(),
                    samples);

            assertTrue(duplicates.isEmpty(), "jobs handed out twice: " + duplicates);
            assertEquals(JOBS, completed.get());
            assertEquals(JOBS, claimedBy.size());
            assertTrue(
                    claimsPerNode.get("A").get() > 0 && claimsPerNode.get("B").get() > 0, "both nodes claimed");
            assertTrue(liveViolations.isEmpty(), "limits exceeded at some moment: " + liveViolations);
            assertTrue(samples > 10, "the sampler ran");
            replayAuditLog(q1, q2, limits, start, globalLimit);
            JsonObject recount = adminB.post("admin/recount").expect(200).json();
            assertEquals(0, recount.getJsonArray("drift").size(), recount.toString());
        } finally {
            admin.put("admin/settings", theSettings().withGlobalSlots(null)).expect(200);
        }
    }

    @Test
    void timers_firing_on_two_nodes_promote_reap_and_push_every_job_exactly_once() throws Exception {
        String scheduledQ = fx.queue();
        String reapQ = fx.queue(aQueue().withLeaseSeconds(5));
        String pushQ = fx.queue();
        Account alice = fx.user("USER", 1000);
        java.util.Queue<String> pushed = new java.util.concurrent.ConcurrentLinkedQueue<>();
        com.sun.net.httpserver.HttpServer receiver =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/jobs", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes());
            pushed.add(jakarta.json.Json.createReader(new java.io.StringReader(body))
                    .readObject()
                    .getJsonNumber("id")
                    .toString());
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.setExecutor(Executors.newFixedThreadPool(4));
        receiver.start();
        try (SecondNode nodeB = SecondNode.start("node-b-timers")) {
            String start = java.time.OffsetDateTime.now().plusSeconds(15).toString();
            List<String> scheduled = new ArrayList<>();
            List<String> reaped = new ArrayList<>();
            List<String> pushJobs = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                JsonObject job = alice.api()
                        .post("jobs", aJob().withQueue(scheduledQ).withType("t").withScheduledStartAt(start))
                        .expect(201)
                        .json();
                assertEquals("SCHEDULED", job.getString("status"), "created before its start time");
                scheduled.add(job.getJsonNumber("id").toString());
            }
            for (int i = 0; i < 60; i++) {
                reaped.add(alice.api()
                        .post("jobs", aJob().withQueue(reapQ).withType("t"))
                        .expect(201)
                        .json()
                        .getJsonNumber("id")
                        .toString());
            }
            Fixtures.WorkerAccount dying = fx.worker();
            assertEquals(60, dying.claim(reapQ, 100).size(), "claimed, then never heartbeated");
            Account fleet = fx.user("WORKER");
            fleet.api()
                    .post(
                            "workers",
                            aWorker("push")
                                    .withCapacity(1000)
                                    .withCallbackUrl("http://127.0.0.1:"
                                            + receiver.getAddress().getPort() + "/jobs")
                                    .withQueues(pushQ))
                    .expect(201);
            // a second push worker with room for 2: however the two nodes' dispatchers race, it gets 2
            String narrowQ = fx.queue();
            fleet.api()
                    .post(
                            "workers",
                            aWorker("narrow")
                                    .withCapacity(2)
                                    .withCallbackUrl("http://127.0.0.1:"
                                            + receiver.getAddress().getPort() + "/jobs")
                                    .withQueues(narrowQ))
                    .expect(201);
            for (int i = 0; i < 10; i++) {
                alice.api()
                        .post("jobs", aJob().withQueue(narrowQ).withType("t"))
                        .expect(201);
            }
            for (int i = 0; i < 60; i++) {
                pushJobs.add(alice.api()
                        .post("jobs", aJob().withQueue(pushQ).withType("t"))
                        .expect(201)
                        .json()
                        .getJsonNumber("id")
                        .toString());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            while (System.nanoTime() < deadline
                    && (pushed.size() < 62
                            || count(scheduledQ, "SCHEDULED") > 0
                            || count(reapQ, "DISPATCHED") > 0
                            || count(reapQ, "RETRY_WAIT") > 0)) {
                Thread.sleep(250);
            }
            Thread.sleep(2500); // both nodes' timers run a few more times over the same rows
            admin.post("queues/" + pushQ + "/pause").expect(200);
            int narrowDispatched = count(narrowQ, "DISPATCHED");
            admin.post("queues/" + narrowQ + "/pause").expect(200);

            assertEquals(0, count(scheduledQ, "SCHEDULED"), "every scheduled job was promoted");
            assertEquals(60, count(reapQ, "PENDING"), "every dead worker's job is back");
            assertEquals(62, pushed.size(), "every push job once, and the narrow worker's 2: " + pushed);
            assertEquals(62, new java.util.HashSet<>(pushed).size(), "no job pushed twice");
            assertEquals(2, narrowDispatched, "a push worker never gets more than its capacity");
            assertEquals(60, transitions(scheduledQ, "SCHEDULED", "PENDING", null), "one promotion per job");
            assertEquals(
                    60,
                    transitions(reapQ, "RUNNING", "RETRY_WAIT", "lease expired")
                            + transitions(reapQ, "DISPATCHED", "RETRY_WAIT", "lease expired"),
                    "one reaping per job");
            assertEquals(60, transitions(reapQ, "RETRY_WAIT", "PENDING", null), "one retry per job");
            assertEquals(60, transitions(pushQ, "PENDING", "DISPATCHED", null), "one dispatch per job");
            assertEquals(0, maxPerJob(scheduledQ, reapQ, pushQ) - 1, "no job has a step twice");
        } finally {
            receiver.stop(0);
        }
    }

    static int count(String queue, String status) throws Exception {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM job WHERE queue = ? AND status = ?")) {
            ps.setString(1, queue);
            ps.setString(2, status);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static int transitions(String queue, String from, String to, String reason) throws Exception {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT count(*) FROM job_transition t JOIN job j ON j.id = t.job_id
                 WHERE j.queue = ? AND t.from_status = ? AND t.to_status = ? AND (? IS NULL OR t.reason = ?)""")) {
            ps.setString(1, queue);
            ps.setString(2, from);
            ps.setString(3, to);
            ps.setString(4, reason);
            ps.setString(5, reason);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The most times any one job of these queues went through the same from -> to step. */
    static int maxPerJob(String... queues) throws Exception {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT coalesce(max(n), 0) FROM (
                    SELECT count(*) AS n FROM job_transition t JOIN job j ON j.id = t.job_id
                     WHERE j.queue = ANY (?) GROUP BY t.job_id, t.from_status, t.to_status) steps""")) {
            ps.setArray(1, c.createArrayOf("text", queues));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    void submitAll(List<Account> users, String q1, String q2) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            Account u = users.get(i % USERS);
            String q = i % 3 == 0 ? q2 : q1;
            int priority = ThreadLocalRandom.current().nextInt(-2, 3);
            done.add(pool.submit(() -> u.api()
                    .post("jobs", aJob().withQueue(q).withType("race").withPriority(priority))
                    .expect(201)));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
    }

    static Connection db() throws Exception {
        return DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
    }

    /** Every ~10 ms, one consistent snapshot of what is running, against every limit. */
    static int sample(
            String q1,
            String q2,
            Map<String, Integer> limits,
            int globalLimit,
            AtomicBoolean running,
            List<String> violations)
            throws Exception {
        int n = 0;
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT 'user', user_id, count(*) FROM job WHERE status IN ('DISPATCHED', 'RUNNING') GROUP BY user_id
                UNION ALL SELECT 'queue', queue, count(*) FROM job WHERE status IN ('DISPATCHED', 'RUNNING') GROUP BY queue
                UNION ALL SELECT 'global', '', count(*) FROM job WHERE status IN ('DISPATCHED', 'RUNNING')""")) {
            while (running.get()) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String kind = rs.getString(1);
                        String key = rs.getString(2);
                        int count = rs.getInt(3);
                        Integer limit = switch (kind) {
                            case "user" -> limits.get(key);
                            case "queue" ->
                                key.equals(q1)
                                        ? Integer.valueOf(Q1_LIMIT)
                                        : key.equals(q2) ? Integer.valueOf(Q2_LIMIT) : null;
                            default -> globalLimit;
                        };
                        if (limit != null && count > limit) {
                            violations.add(kind + " " + key + " ran " + count + " > " + limit);
                        }
                    }
                }
                n++;
                Thread.sleep(10);
            }
        }
        return n;
    }

    /**
     * The last audit id and the pool's running count, read under the pool counter's row lock:
     * every slot change takes that lock before it writes its audit row, so each one is either in
     * the count with an id below, or not in it with an id above.
     */
    static long[] snapshot() throws Exception {
        try (Connection c = db()) {
            c.setAutoCommit(false);
            try (PreparedStatement lock = c.prepareStatement("SELECT running FROM settings WHERE id = 1 FOR UPDATE");
                    PreparedStatement last = c.prepareStatement("SELECT coalesce(max(id), 0) FROM job_transition");
                    ResultSet running = lock.executeQuery()) {
                running.next();
                try (ResultSet id = last.executeQuery()) {
                    id.next();
                    long[] snapshot = {id.getLong(1), running.getLong(1)};
                    c.commit();
                    return snapshot;
                }
            }
        }
    }

    static boolean holding(String status) {
        return "DISPATCHED".equals(status) || "RUNNING".equals(status);
    }

    /**
     * Replays every transition after the start snapshot in id order. Ids are taken after the
     * counter locks (the job update comes first), so for each user, queue and the pool they follow
     * the order in which slots were taken and given back. The pool counts every job (other tests'
     * leftovers reaped meanwhile too); users and queues are the test's own.
     */
    static void replayAuditLog(String q1, String q2, Map<String, Integer> limits, long[] start, int globalLimit)
            throws Exception {
        Map<String, Integer> user = new HashMap<>();
        Map<String, Integer> queue = new HashMap<>();
        long global = start[1];
        java.util.ArrayDeque<String> window = new java.util.ArrayDeque<>();
        int dispatched = 0;
        int completedRows = 0;
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT t.job_id, t.from_status, t.to_status, j.user_id, j.queue, j.status, t.id
                  FROM job_transition t JOIN job j ON j.id = t.job_id
                 WHERE t.id > ? ORDER BY t.id""")) {
            ps.setLong(1, start[0]);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String from = rs.getString(2);
                    String to = rs.getString(3);
                    String u = rs.getString(4);
                    String q = rs.getString(5);
                    window.addLast("#" + rs.getLong(7) + " job " + rs.getLong(1) + " " + from + ">" + to + " " + q
                            + " pool=" + global);
                    if (window.size() > 40) {
                        window.removeFirst();
                    }
                    if (holding(to) && !holding(from)) {
                        global++;
                        assertTrue(
                                global <= globalLimit,
                                "the pool ran " + global + " > " + globalLimit + " at job " + rs.getLong(1) + " (start "
                                        + start[0] + "/" + start[1] + "), the rows before: " + window);
                    } else if (holding(from) && !holding(to)) {
                        global--;
                    }
                    if (!q.equals(q1) && !q.equals(q2)) {
                        continue;
                    }
                    assertEquals("COMPLETED", rs.getString(6), "every job ends COMPLETED");
                    if (to.equals("DISPATCHED")) {
                        dispatched++;
                        int ur = user.merge(u, 1, Integer::sum);
                        int qr = queue.merge(q, 1, Integer::sum);
                        assertTrue(
                                ur <= limits.get(u),
                                "user " + u + " ran " + ur + " > " + limits.get(u) + " at job " + rs.getLong(1));
                        assertTrue(qr <= (q.equals(q1) ? Q1_LIMIT : Q2_LIMIT), "queue " + q + " ran " + qr);
                    } else if (to.equals("COMPLETED")) {
                        completedRows++;
                        user.merge(u, -1, Integer::sum);
                        queue.merge(q, -1, Integer::sum);
                    }
                }
            }
        }
        assertEquals(JOBS, dispatched, "exactly one claim per job");
        assertEquals(JOBS, completedRows, "exactly one completion per job");
    }
}
