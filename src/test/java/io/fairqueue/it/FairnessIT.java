package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Fairness (SPEC §3, §7): a light user's job starts within one job-duration however long a heavy
 * user's backlog is, and saturating users share the slots evenly (Jain's index >= 0.99). Real
 * workers run real (sleeping) jobs against the real claim.
 */
class FairnessIT extends ApiTestBase {

    static final long JOB_MILLIS = 400;

    @Test
    void a_light_users_job_is_claimed_within_one_job_duration_whatever_the_heavy_backlog() throws Exception {
        for (int backlog : new int[] {10, 1000}) {
            long waited = lightUserWait(backlog);
            System.out.printf(
                    "fairness: light user's wait with a backlog of %d: %d ms (job duration %d ms)%n",
                    backlog, waited, JOB_MILLIS);
            assertTrue(waited <= JOB_MILLIS + 250, "waited " + waited + " ms behind a backlog of " + backlog);
        }
    }

    long lightUserWait(int backlog) throws Exception {
        String q = fx.queue(aQueue().withMaxConcurrent(2));
        Account heavy = fx.user("USER", 2);
        Account light = fx.user("USER", 2);
        submitMany(heavy, q, backlog);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong lightClaimedAt = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            WorkerAccount w = fx.worker();
            workers.add(pool.submit(() -> {
                while (!stop.get()) {
                    JsonArray batch = w.claim(q, 1);
                    if (batch.isEmpty()) {
                        Thread.sleep(5);
                        continue;
                    }
                    JsonObject job = batch.getJsonObject(0);
                    if (job.getString("userId").equals(light.id())) {
                        lightClaimedAt.set(System.nanoTime());
                    }
                    Lease lease = aLease(job.getString("leaseToken"));
                    w.api()
                            .post("jobs/" + job.getJsonNumber("id") + "/start", lease)
                            .expect(200);
                    Thread.sleep(JOB_MILLIS);
                    w.api()
                            .post("jobs/" + job.getJsonNumber("id") + "/complete", lease)
                            .expect(200);
                }
                return null;
            }));
        }
        Thread.sleep(JOB_MILLIS + 200); // both slots busy with the heavy user's jobs
        long submitted = System.nanoTime();
        light.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201);
        long deadline = submitted + TimeUnit.SECONDS.toNanos(10);
        while (lightClaimedAt.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        stop.set(true);
        for (Future<?> f : workers) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(lightClaimedAt.get() != 0, "the light user's job was never claimed");
        admin.delete("queues/" + q + "/jobs").expect(200);
        return TimeUnit.NANOSECONDS.toMillis(lightClaimedAt.get() - submitted);
    }

    @Test
    void saturating_users_share_the_slots_evenly() throws Exception {
        String q = fx.queue(aQueue().withMaxConcurrent(4));
        List<Account> users = new ArrayList<>();
        for (int u = 0; u < 4; u++) {
            users.add(fx.user("USER", 4));
        }
        for (Account u : users) { // the first user's backlog is oldest: FIFO would give it every slot
            submitMany(u, q, 40);
        }
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            WorkerAccount w = fx.worker();
            workers.add(pool.submit(() -> {
                while (!stop.get()) {
                    JsonArray batch = w.claim(q, 1);
                    for (var v : batch) {
                        Lease lease = aLease(v.asJsonObject().getString("leaseToken"));
                        String id = v.asJsonObject().getJsonNumber("id").toString();
                        w.api().post("jobs/" + id + "/start", lease).expect(200);
                        Thread.sleep(150);
                        w.api().post("jobs/" + id + "/complete", lease).expect(200);
                    }
                }
                return null;
            }));
        }
        Map<String, Long> slotSamples = new HashMap<>();
        int samples = 0;
        Thread.sleep(500);
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                PreparedStatement ps = c.prepareStatement(
                        "SELECT user_id, count(*) FROM job WHERE queue = ? AND status IN ('DISPATCHED', 'RUNNING') GROUP BY user_id")) {
            ps.setString(1, q);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            while (System.nanoTime() < end) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        slotSamples.merge(rs.getString(1), rs.getLong(2), Long::sum);
                    }
                }
                samples++;
                Thread.sleep(20);
            }
        }
        stop.set(true);
        for (Future<?> f : workers) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        double sum = 0;
        double squares = 0;
        for (Account u : users) {
            double x = slotSamples.getOrDefault(u.id(), 0L) / (double) samples;
            sum += x;
            squares += x * x;
        }
        double jain = sum * sum / (users.size() * squares);
        System.out.printf(
                "fairness: Jain's index over running slots of 4 saturating users: %.4f (%d samples, %s)%n",
                jain, samples, slotSamples);
        assertTrue(jain >= 0.99, "Jain's index " + jain);
        assertEquals(4, slotSamples.size(), "every user ran");
        admin.delete("queues/" + q + "/jobs").expect(200);
    }

    void submitMany(Account user, String queue, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            done.add(pool.submit(() -> user.api()
                    .post("jobs", aJob().withQueue(queue).withType("t"))
                    .expect(201)));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
    }
}
