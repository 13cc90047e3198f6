package io.fairqueue.client.it;

import io.fairqueue.client.FairQueueClient;
import io.fairqueue.client.Job;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Test data made through the API (users with their tokens, queues with short leases), names
 * unique per call so tests never share state, and bounded waiting.
 */
public final class Fixtures {

    private Fixtures() {}

    /** A user and its bearer token. */
    public record User(String id, String token) {}

    /** A name nobody else in this suite uses. */
    public static String unique(String prefix) {
        return prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36)
                + ThreadLocalRandom.current().nextInt(100, 1000);
    }

    /** A new user of {@code role} with {@code maxConcurrent} running jobs at most. */
    public static User user(String role, int maxConcurrent) {
        String id = unique(role.toLowerCase());
        var answer = FairQueueServer.get().admin().admin().createUser(id, "Test " + id, role, maxConcurrent);
        return new User(id, answer.getString("token"));
    }

    /** A new queue with {@code leaseSeconds} and a 1 s retry base delay. */
    public static String queue(int leaseSeconds) {
        String name = unique("q");
        Map<String, Object> settings = new HashMap<>();
        settings.put("leaseSeconds", leaseSeconds);
        settings.put("retryBaseDelaySeconds", 1);
        FairQueueServer.get().admin().admin().createQueue(name, settings);
        return name;
    }

    /** Waits until {@code condition} holds, polling every 50 ms; fails after {@code max}. */
    public static void await(String what, Duration max, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + max + " waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** The job's status now, as the admin sees it. */
    public static String status(long jobId) {
        return FairQueueServer.get().admin().get(jobId).status();
    }

    /** The job now. */
    public static Job job(FairQueueClient client, long jobId) {
        return client.get(jobId);
    }

    /** How many audit rows of job {@code jobId} lead to {@code toStatus}. */
    public static int transitionsTo(long jobId, String toStatus) throws SQLException {
        try (Connection c = FairQueueServer.get().db();
                PreparedStatement s =
                        c.prepareStatement("SELECT count(*) FROM job_transition WHERE job_id = ? AND to_status = ?")) {
            s.setLong(1, jobId);
            s.setString(2, toStatus);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }

    /** Audit rows per target status over every job of {@code queue}: {COMPLETED: n, RUNNING: m, ...}. */
    public static Map<String, Integer> transitionsOfQueue(String queue) throws SQLException {
        try (Connection c = FairQueueServer.get().db();
                PreparedStatement s = c.prepareStatement("SELECT t.to_status, count(*) FROM job_transition t"
                        + " JOIN job j ON j.id = t.job_id WHERE j.queue = ? GROUP BY t.to_status")) {
            s.setString(1, queue);
            Map<String, Integer> m = new HashMap<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    m.put(r.getString(1), r.getInt(2));
                }
            }
            return m;
        }
    }

    /** Jobs of {@code queue} with more than one audit row to {@code toStatus}. */
    public static int jobsWithRepeated(String queue, String toStatus) throws SQLException {
        try (Connection c = FairQueueServer.get().db();
                PreparedStatement s = c.prepareStatement("SELECT count(*) FROM (SELECT t.job_id FROM job_transition t"
                        + " JOIN job j ON j.id = t.job_id WHERE j.queue = ? AND t.to_status = ?"
                        + " GROUP BY t.job_id HAVING count(*) > 1) x")) {
            s.setString(1, queue);
            s.setString(2, toStatus);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }
}
