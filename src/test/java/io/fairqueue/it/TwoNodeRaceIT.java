package io.fairqueue.it;

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
 * Exactness across nodes (SPEC §3, §7): 16 claimer threads, 8 on each of two Payara Micro nodes
 * sharing one database, race over 2,000 jobs of 40 users (limits 1..3) in two limited queues
 * under a global limit. No user, queue or the pool ever exceeds its limit (checked live by a
 * sampler and afterwards by replaying the audit log), no job is handed out twice, every job
 * completes once, and the counters equal a recount.
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
        String q1 = fx.queue("\"maxConcurrent\":" + Q1_LIMIT);
        String q2 = fx.queue("\"maxConcurrent\":" + Q2_LIMIT);
        List<Account> users = new ArrayList<>();
        Map<String, Integer> limits = new HashMap<>();
        for (int i = 0; i < USERS; i++) {
            Account a = fx.user("USER", 1 + i % 3);
            users.add(a);
            limits.put(a.id(), 1 + i % 3);
        }
        submitAll(users, q1, q2);
        int baseline = admin.put("admin/settings", "{\"globalSlots\":1000000}").expect(200).json().getInt("globalRunning");
        int globalLimit = baseline + GLOBAL_EXTRA;
        admin.put("admin/settings", "{\"globalSlots\":" + globalLimit + "}").expect(200);

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
                        JsonArray batch = api.post("claims", "{\"workerId\":\"" + w.workerId() + "\",\"queues\":[\""
                                + q1 + "\",\"" + q2 + "\"],\"limit\":" + ThreadLocalRandom.current().nextInt(1, 4) + "}")
                                .expect(200).array();
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
                            String lease = "{\"leaseToken\":\"" + job.getString("leaseToken") + "\"}";
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
            System.out.printf("two-node race: %d jobs in %d ms (%.0f jobs/s), claims A=%d B=%d, %d live samples%n",
                    JOBS, millis, JOBS * 1000.0 / millis, claimsPerNode.get("A").get(), claimsPerNode.get("B").get(), samples);

            assertTrue(duplicates.isEmpty(), "jobs handed out twice: " + duplicates);
            assertEquals(JOBS, completed.get());
            assertEquals(JOBS, claimedBy.size());
            assertTrue(claimsPerNode.get("A").get() > 0 && claimsPerNode.get("B").get() > 0, "both nodes claimed");
            assertTrue(liveViolations.isEmpty(), "limits exceeded at some moment: " + liveViolations);
            assertTrue(samples > 10, "the sampler ran");
            replayAuditLog(q1, q2, limits, baseline, globalLimit);
            JsonObject recount = adminB.post("admin/recount", null).expect(200).json();
            assertEquals(0, recount.getJsonArray("drift").size(), recount.toString());
        } finally {
            admin.put("admin/settings", "{\"globalSlots\":null}").expect(200);
        }
    }

    void submitAll(List<Account> users, String q1, String q2) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            Account u = users.get(i % USERS);
            String q = i % 3 == 0 ? q2 : q1;
            int priority = ThreadLocalRandom.current().nextInt(-2, 3);
            done.add(pool.submit(() -> u.api().post("jobs", "{\"queue\":\"" + q + "\",\"type\":\"race\",\"priority\":"
                    + priority + "}").expect(201)));
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
    static int sample(String q1, String q2, Map<String, Integer> limits, int globalLimit, AtomicBoolean running,
            List<String> violations) throws Exception {
        int n = 0;
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement("""
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
                            case "queue" -> key.equals(q1) ? Integer.valueOf(Q1_LIMIT) : key.equals(q2) ? Integer.valueOf(Q2_LIMIT) : null;
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
     * Replays the test's transitions in id order. Ids are taken after the counter locks (the job
     * update comes first), so for each user, queue and the pool they follow the order in which
     * slots were taken and given back.
     */
    static void replayAuditLog(String q1, String q2, Map<String, Integer> limits, int baseline, int globalLimit)
            throws Exception {
        Map<String, Integer> user = new HashMap<>();
        Map<String, Integer> queue = new HashMap<>();
        int global = baseline;
        int dispatched = 0;
        int completedRows = 0;
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement("""
                SELECT t.job_id, t.from_status, t.to_status, j.user_id, j.queue, j.status
                  FROM job_transition t JOIN job j ON j.id = t.job_id
                 WHERE j.queue IN (?, ?) ORDER BY t.id""")) {
            ps.setString(1, q1);
            ps.setString(2, q2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String to = rs.getString(3);
                    String u = rs.getString(4);
                    String q = rs.getString(5);
                    assertEquals("COMPLETED", rs.getString(6), "every job ends COMPLETED");
                    if (to.equals("DISPATCHED")) {
                        dispatched++;
                        int ur = user.merge(u, 1, Integer::sum);
                        int qr = queue.merge(q, 1, Integer::sum);
                        global++;
                        assertTrue(ur <= limits.get(u), "user " + u + " ran " + ur + " > " + limits.get(u) + " at job " + rs.getLong(1));
                        assertTrue(qr <= (q.equals(q1) ? Q1_LIMIT : Q2_LIMIT), "queue " + q + " ran " + qr);
                        assertTrue(global <= globalLimit, "the pool ran " + global + " > " + globalLimit);
                    } else if (to.equals("COMPLETED")) {
                        completedRows++;
                        user.merge(u, -1, Integer::sum);
                        queue.merge(q, -1, Integer::sum);
                        global--;
                    }
                }
            }
        }
        assertEquals(JOBS, dispatched, "exactly one claim per job");
        assertEquals(JOBS, completedRows, "exactly one completion per job");
    }
}
