package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Claims racing from 8 threads never hand one job out twice. Two threads share each worker, as
 * a worker process with several slots does.
 */
class ClaimRaceIT extends ApiTestBase {

    static final int JOBS = 400;
    static final int CLAIMERS = 8;

    @Test
    void eight_racing_claimers_get_disjoint_jobs_and_every_job_is_claimed_exactly_once() throws Exception {
        String q = fx.queue();
        List<Account> users = new ArrayList<>();
        for (int u = 0; u < 10; u++) {
            users.add(fx.user("USER", 1000));
        }
        for (int i = 0; i < JOBS; i++) {
            users.get(i % users.size())
                    .api()
                    .post("jobs", aJob().withQueue(q).withType("t").withPriority(i % 7 - 3))
                    .expect(201);
        }
        List<WorkerAccount> workers = new ArrayList<>();
        for (int t = 0; t < CLAIMERS / 2; t++) {
            WorkerAccount w = fx.worker();
            workers.add(w);
            workers.add(w);
        }

        Map<String, String> claimedBy = new ConcurrentHashMap<>();
        List<String> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(CLAIMERS);
        List<Future<Integer>> results = new ArrayList<>();
        for (WorkerAccount w : workers) {
            results.add(pool.submit(() -> {
                start.await();
                int got = 0;
                for (int empty = 0; empty < 3; ) {
                    JsonArray batch = w.claim(q, ThreadLocalRandom.current().nextInt(1, 6));
                    empty = batch.isEmpty() ? empty + 1 : 0;
                    for (var v : batch) {
                        String id = v.asJsonObject().getJsonNumber("id").toString();
                        if (claimedBy.putIfAbsent(id, Thread.currentThread().getName()) != null) {
                            duplicates.add(id);
                        }
                        got++;
                    }
                }
                return got;
            }));
        }
        start.countDown();
        int total = 0;
        for (Future<Integer> f : results) {
            total += f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();

        assertTrue(duplicates.isEmpty(), "jobs handed out twice: " + duplicates);
        assertEquals(JOBS, total);
        assertEquals(JOBS, claimedBy.size());
        assertTrue(
                results.stream()
                                .filter(f -> {
                                    try {
                                        return f.get() > 0;
                                    } catch (Exception e) {
                                        return false;
                                    }
                                })
                                .count()
                        > 1,
                "more than one claimer got work: the race really happened");

        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                PreparedStatement ps = c.prepareStatement("""
                        SELECT count(*) FILTER (WHERE j.status = 'DISPATCHED'),
                               count(*) FILTER (WHERE (SELECT count(*) FROM job_transition t
                                                        WHERE t.job_id = j.id AND t.to_status = 'DISPATCHED') = 1),
                               count(DISTINCT j.lease_token)
                          FROM job j WHERE j.queue = ?""")) {
            ps.setString(1, q);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(JOBS, rs.getInt(1), "every job is DISPATCHED");
                assertEquals(JOBS, rs.getInt(2), "every job has exactly one DISPATCHED audit row");
                assertEquals(JOBS, rs.getInt(3), "every claim has its own lease token");
            }
        }
    }
}
