package io.fairqueue.it.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The audit rows ({@code job_transition}) of one queue's jobs, read straight from PostgreSQL in
 * id order, and the checks a fault test makes on them. Within one job, ids follow the order of its
 * changes (each is written under the job's row lock); across jobs, they follow the order in which
 * slots were taken and given back (the job's UPDATE, whose trigger takes the counters' locks, is
 * written before its audit row).
 */
public final class AuditTrail {

    /** One audit row, with the job's user. {@code from} is null for the creation. */
    public record Step(
            long id, long jobId, String from, String to, OffsetDateTime at, String by, String reason, String userId) {}

    private final List<Step> steps;

    private AuditTrail(List<Step> steps) {
        this.steps = steps;
    }

    public static Connection db() throws SQLException {
        return DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
    }

    public static AuditTrail of(String queue) throws SQLException {
        List<Step> steps = new ArrayList<>();
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT t.id, t.job_id, t.from_status, t.to_status, t.at, t.triggered_by, t.reason, j.user_id
                  FROM job_transition t JOIN job j ON j.id = t.job_id
                 WHERE j.queue = ? ORDER BY t.id""")) {
            ps.setString(1, queue);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    steps.add(new Step(
                            rs.getLong(1),
                            rs.getLong(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getObject(5, OffsetDateTime.class),
                            rs.getString(6),
                            rs.getString(7),
                            rs.getString(8)));
                }
            }
        }
        return new AuditTrail(steps);
    }

    /** Jobs of the queue by status, straight from the job table. */
    public static Map<String, Integer> statuses(String queue) throws SQLException {
        Map<String, Integer> out = new java.util.TreeMap<>();
        try (Connection c = db();
                PreparedStatement ps =
                        c.prepareStatement("SELECT status, count(*) FROM job WHERE queue = ? GROUP BY status")) {
            ps.setString(1, queue);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return out;
    }

    public List<Step> steps() {
        return steps;
    }

    /** Each job's rows, in order. */
    public Map<Long, List<Step>> byJob() {
        Map<Long, List<Step>> out = new LinkedHashMap<>();
        steps.forEach(
                s -> out.computeIfAbsent(s.jobId(), k -> new ArrayList<>()).add(s));
        return out;
    }

    /** Jobs whose number of moves to COMPLETED is not exactly one, with that number. */
    public Map<Long, Integer> jobsNotCompletedExactlyOnce() {
        Map<Long, Integer> out = new LinkedHashMap<>();
        byJob().forEach((job, rows) -> {
            int n = (int) rows.stream().filter(s -> "COMPLETED".equals(s.to())).count();
            if (n != 1) {
                out.put(job, n);
            }
        });
        return out;
    }

    /**
     * Rows that leave a state the job was not in: each row must start where the one before ended
     * (the first is the creation). Two PENDING -> DISPATCHED without a return in between, a late
     * write that moved a job twice out of one state, a timer that moved it again: all show here.
     */
    public List<String> brokenChains() {
        List<String> out = new ArrayList<>();
        byJob().forEach((job, rows) -> {
            String state = null;
            for (Step s : rows) {
                if (!Objects.equals(s.from(), state)) {
                    out.add("job " + job + ": #" + s.id() + " " + s.from() + "->" + s.to() + " while it was " + state);
                }
                state = s.to();
            }
        });
        return out;
    }

    /**
     * Replays every row in id order, counting DISPATCHED + RUNNING per user and for the queue:
     * every moment at which a count went above its limit.
     */
    public List<String> limitViolations(Map<String, Integer> userLimits, int queueLimit) {
        List<String> out = new ArrayList<>();
        Map<String, Integer> user = new HashMap<>();
        int queue = 0;
        for (Step s : steps) {
            int delta = holding(s.to()) && !holding(s.from()) ? 1 : holding(s.from()) && !holding(s.to()) ? -1 : 0;
            if (delta == 0) {
                continue;
            }
            int u = user.merge(s.userId(), delta, Integer::sum);
            queue += delta;
            if (u > userLimits.get(s.userId())) {
                out.add("user " + s.userId() + " ran " + u + " > " + userLimits.get(s.userId()) + " at #" + s.id());
            }
            if (queue > queueLimit) {
                out.add("the queue ran " + queue + " > " + queueLimit + " at #" + s.id());
            }
        }
        return out;
    }

    /**
     * How many times this job was handed out (moves to DISPATCHED) after it first lost a lease
     * ({@code lease expired}), in row order: row times are the claims' own clocks, read before a
     * claim waits for a lock, so rows of one job may carry times out of order.
     */
    public long dispatchesAfterLeaseLoss(long jobId) {
        List<Step> rows = byJob().getOrDefault(jobId, List.of());
        int loss = -1;
        for (int i = 0; i < rows.size() && loss < 0; i++) {
            if ("lease expired".equals(rows.get(i).reason())) {
                loss = i;
            }
        }
        return loss < 0
                ? 0
                : rows.subList(loss, rows.size()).stream()
                        .filter(s -> "DISPATCHED".equals(s.to()))
                        .count();
    }

    /** The first row of this job after {@code after} that made it PENDING again (claimable), or null. */
    public Step backToPendingAfter(long jobId, OffsetDateTime after) {
        return steps.stream()
                .filter(s -> s.jobId() == jobId && "PENDING".equals(s.to()) && s.at().isAfter(after))
                .findFirst()
                .orElse(null);
    }

    /** The row that completed this job, or null. */
    public Step completion(long jobId) {
        return steps.stream()
                .filter(s -> s.jobId() == jobId && "COMPLETED".equals(s.to()))
                .findFirst()
                .orElse(null);
    }

    private static boolean holding(String status) {
        return "DISPATCHED".equals(status) || "RUNNING".equals(status);
    }
}
