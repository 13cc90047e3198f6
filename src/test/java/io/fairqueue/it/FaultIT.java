package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.AnswerDroppingProxy;
import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.AuditTrail;
import io.fairqueue.it.support.AuditTrail.Step;
import io.fairqueue.it.support.Calls;
import io.fairqueue.it.support.Deployments;
import io.fairqueue.it.support.Fixtures;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import io.fairqueue.it.support.JmxPortExtension;
import io.fairqueue.it.support.Load;
import io.fairqueue.it.support.PostgresOutage;
import io.fairqueue.it.support.SecondNode;
import io.fairqueue.it.support.Submitter;
import io.fairqueue.it.support.WorkerLoop;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Faults with real processes and real PostgreSQL (SPEC §7, "faults survived with nothing lost" and
 * "recovery"). Arquillian's Payara Micro is node A and survives every fault; the tests start their
 * own second node ({@link SecondNode}) where a node must die or freeze, and read the outcome from
 * the database directly: the job table and the audit rows ({@link AuditTrail}).
 *
 * <p>After every fault: each job ends in exactly one state, none completes twice, replaying the
 * audit rows never finds a user or the queue above its limit, no job leaves a state it was not in,
 * and the derived counters equal a recount. The figures go to the output as lines starting with
 * {@code FAULT-FIGURES}.
 */
@ExtendWith({JmxPortExtension.class, FaultIT.DatabaseOpen.class, ArquillianExtension.class})
@RunAsClient
class FaultIT {

    /** The fault queues' leaseSeconds (the smallest allowed): a lost lease comes back within seconds. */
    static final int LEASE_SECONDS = 5;
    /** The LeaseReaper timer's period. */
    static final double REAPER_PERIOD = 1.0;
    /** What a measured bound allows beyond it: the timers' own run, HTTP, a busy machine. */
    static final double SLACK = 0.5;

    static final PostgresOutage DATABASE = PostgresOutage.of(System.getProperty("fairqueue.it.dbUrl"));

    @Deployment(testable = false)
    public static WebArchive deployment() {
        return Deployments.fairQueue();
    }

    @ArquillianResource
    URL url;

    Api admin;
    Fixtures fx;

    @BeforeEach
    void connect() {
        admin = Api.admin(url);
        fx = new Fixtures(admin);
    }

    @Test
    void
            a_node_killed_mid_claim_loses_no_job_completes_none_twice_and_its_leases_come_back_within_a_lease_and_a_reaper_period()
                    throws Exception {
        Workload w = workload(12, 6, 400);
        Calls onA = new Calls();
        Calls onB = new Calls();
        Set<String> workersOnB = new HashSet<>();
        Map<Long, OffsetDateTime> leasedThroughB;
        OffsetDateTime killedAt;
        try (SecondNode nodeB = SecondNode.start("fault-node-b");
                Load load = new Load()) {
            Api b = nodeB.admin();
            for (int t = 0; t < 8; t++) { // 8 claimers, 4 through each node
                WorkerAccount worker = fx.worker();
                boolean throughB = t % 2 == 1;
                if (throughB) {
                    workersOnB.add(worker.workerId());
                }
                load.worker(
                        (throughB ? "B" : "A") + t,
                        throughB ? b : admin,
                        worker,
                        List.of(w.queue()),
                        3,
                        50,
                        250,
                        throughB ? onB : onA);
            }
            assertTrue(
                    await(Duration.ofSeconds(90), () -> completed(w.queue()) >= w.jobs() * 2 / 5),
                    "the load got going: " + AuditTrail.statuses(w.queue()));
            assertTrue(
                    await(
                            Duration.ofSeconds(10),
                            () -> heldBy(w.queue(), workersOnB).size() >= 2),
                    "workers on node B hold jobs");
            nodeB.kill();
            killedAt = OffsetDateTime.now();
            Thread.sleep(300); // the killed node's backends have rolled back what was in flight
            leasedThroughB = heldBy(w.queue(), workersOnB);
            boolean done = await(Duration.ofSeconds(90), () -> completed(w.queue()) == w.jobs());
            load.stop();
            assertTrue(done, "every job completed after the kill: " + AuditTrail.statuses(w.queue()));
        }

        AuditTrail audit = assertNothingLostOrDoubled(w);
        assertFalse(leasedThroughB.isEmpty(), "jobs were leased through node B when it died");
        double worst = 0;
        double worstAfterLease = 0;
        for (Map.Entry<Long, OffsetDateTime> lease : leasedThroughB.entrySet()) {
            Step back = audit.backToPendingAfter(lease.getKey(), killedAt);
            assertNotNull(back, "job " + lease.getKey() + " came back");
            worst = Math.max(worst, seconds(killedAt, back.at()));
            worstAfterLease = Math.max(worstAfterLease, seconds(lease.getValue(), back.at()));
        }
        assertTrue(
                worstAfterLease <= REAPER_PERIOD + SLACK,
                "claimable again within a reaper period of the lease's end: " + worstAfterLease + " s after it");
        assertTrue(
                worst <= LEASE_SECONDS + REAPER_PERIOD + SLACK,
                "jobs leased through the dead node were claimable again " + worst + " s after the kill (lease "
                        + LEASE_SECONDS + " s + reaper " + REAPER_PERIOD + " s)");
        assertEquals(0, onA.failed(), "node A answered every call: " + onA.byStatus() + " " + onA.improperFailures());
        figures(
                "node killed mid-claim",
                "jobs=%d lost=%d duplicates=%d leasedThroughDeadNode=%d secondsFromKillToClaimable=%.2f"
                        + " secondsFromLeaseEndToClaimable=%.2f (lease %d s, reaper %.0f s) callsNodeA=%s callsNodeB=%s",
                w.jobs(),
                lost(w),
                audit.jobsNotCompletedExactlyOnce().size(),
                leasedThroughB.size(),
                worst,
                worstAfterLease,
                LEASE_SECONDS,
                REAPER_PERIOD,
                onA.byStatus(),
                onB.byStatus());
    }

    @Test
    void a_dead_workers_job_is_claimable_again_within_two_heartbeat_intervals_and_a_reaper_period() throws Exception {
        int lease = 6; // a worker heartbeats every leaseSeconds / 2 = 3 s (README), so two intervals are the lease
        String q = fx.queue(aQueue().withLeaseSeconds(lease));
        Account alice = fx.user("USER", 3);
        Map<Long, String> leases = new LinkedHashMap<>();
        Map<Long, WorkerAccount> dead = new HashMap<>();
        for (int i = 0; i < 3; i++) { // three workers claim and start a job each
            alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201);
            WorkerAccount worker = fx.worker();
            JsonObject job = worker.claim(q, 1).getJsonObject(0);
            long id = job.getJsonNumber("id").longValue();
            worker.api()
                    .post("jobs/" + id + "/start", aLease(job.getString("leaseToken")))
                    .expect(200);
            leases.put(id, job.getString("leaseToken"));
            dead.put(id, worker);
        }
        Map<Long, Long> lastBeat = new HashMap<>();
        Map<Long, OffsetDateTime> leaseEnd = new HashMap<>();
        List<Future<long[]>> claimedAgain = new ArrayList<>(); // {job, when}
        ExecutorService rescuers = Executors.newFixedThreadPool(leases.size());
        try {
            for (Map.Entry<Long, String> job : leases.entrySet()) {
                Thread.sleep(350); // they die at different phases of the reaper's second
                lastBeat.put(job.getKey(), System.nanoTime());
                leaseEnd.put(
                        job.getKey(),
                        OffsetDateTime.parse(dead.get(job.getKey())
                                .api()
                                .post("jobs/" + job.getKey() + "/heartbeat", aLease(job.getValue()))
                                .expect(200)
                                .json()
                                .getString("leaseExpiresAt")));
                WorkerAccount rescuer = fx.worker(); // waits in a long poll for what comes back
                claimedAgain.add(rescuers.submit(() -> new long[] {
                    rescuer.api()
                            .post(
                                    "claims",
                                    aClaim(rescuer.workerId()).withQueues(q).withWaitSeconds(15))
                            .expect(200)
                            .array()
                            .getJsonObject(0)
                            .getJsonNumber("id")
                            .longValue(),
                    System.nanoTime()
                }));
            }
            List<Double> sinceLastBeat = new ArrayList<>(); // the last heartbeat's call to a waiting claim's answer
            List<Double> afterLeaseEnd = new ArrayList<>(); // the lease's end to the job's row back to PENDING
            for (Future<long[]> rescue : claimedAgain) {
                long[] got = rescue.get(30, TimeUnit.SECONDS);
                long job = got[0];
                assertTrue(leases.containsKey(job), "a waiting claim got a dead worker's job: " + job);
                sinceLastBeat.add((got[1] - lastBeat.get(job)) / 1e9);
                Step back = AuditTrail.of(q)
                        .backToPendingAfter(job, leaseEnd.get(job).minusSeconds(lease));
                assertNotNull(back, "job " + job + " is PENDING again");
                afterLeaseEnd.add(seconds(leaseEnd.get(job), back.at()));
                assertEquals(
                        409,
                        dead.get(job)
                                .api()
                                .post("jobs/" + job + "/complete", aLease(leases.get(job)))
                                .status(),
                        "a dead worker's late complete is fenced");
            }
            figures(
                    "dead worker",
                    "leaseSeconds=%d heartbeatInterval=%.1fs (leaseSeconds/2) secondsFromLastHeartbeatToClaimedAgain=%s"
                            + " secondsFromLeaseEndToPending=%s",
                    lease,
                    lease / 2.0,
                    twoDigits(sinceLastBeat),
                    twoDigits(afterLeaseEnd));
            assertTrue(
                    sinceLastBeat.stream().allMatch(s -> s >= lease),
                    "a lease is never taken before it runs out: " + sinceLastBeat);
            assertTrue(
                    afterLeaseEnd.stream().allMatch(s -> s <= REAPER_PERIOD + SLACK),
                    "PENDING again within a reaper" + " period of the lease's end: " + afterLeaseEnd);
            assertTrue(
                    sinceLastBeat.stream().allMatch(s -> s <= lease + REAPER_PERIOD + 2 * SLACK),
                    "claimed again " + sinceLastBeat + " s after the last heartbeat (two heartbeat intervals = " + lease
                            + " s)");
        } finally {
            rescuers.shutdownNow();
        }
    }

    static List<String> twoDigits(List<Double> seconds) {
        return seconds.stream().map(s -> String.format("%.2f", s)).toList();
    }

    @Test
    void a_frozen_node_past_its_leases_has_its_late_writes_fenced_and_its_jobs_run_elsewhere_exactly_once()
            throws Exception {
        Workload w = workload(9, 6, 240);
        Calls onA = new Calls();
        Calls onC = new Calls();
        Set<String> workersOnC = new HashSet<>();
        Set<String> accountsOnC = new HashSet<>();
        Map<Long, OffsetDateTime> leasedThroughC;
        List<String> frozenTransactions;
        boolean reRunWhileFrozen;
        double frozenSeconds;
        Api.Res frozenComplete;
        List<Integer> lateHeartbeats = Collections.synchronizedList(new ArrayList<>());
        List<Integer> lateCompletes = new ArrayList<>();
        List<WorkerLoop> loopsOnC = new ArrayList<>();
        OffsetDateTime frozenAt;
        try (SecondNode nodeC = SecondNode.start("fault-node-c");
                Load load = new Load()) {
            Api c = nodeC.admin();
            // a worker holds three jobs (two started) and heartbeats them through node C
            WorkerAccount holder = fx.worker();
            workersOnC.add(holder.workerId());
            accountsOnC.add(holder.account().id());
            Api holderApi = c.as(holder.account().token());
            Map<Long, String> holderLeases = claimAndStartTwo(holderApi, holder.workerId(), w.queue());
            Heartbeats heartbeats = new Heartbeats(holderApi, holderLeases, load.stopFlag(), lateHeartbeats);
            load.start(heartbeats);
            for (int t = 0; t < 6; t++) { // 6 claimers, 3 through each node
                WorkerAccount worker = fx.worker();
                boolean throughC = t % 2 == 1;
                if (throughC) {
                    workersOnC.add(worker.workerId());
                    accountsOnC.add(worker.account().id());
                }
                WorkerLoop loop = load.worker(
                        (throughC ? "C" : "A") + t,
                        throughC ? c : admin,
                        worker,
                        List.of(w.queue()),
                        2,
                        50,
                        200,
                        throughC ? onC : onA);
                if (throughC) {
                    loopsOnC.add(loop);
                }
            }
            Thread.sleep(2000);
            heartbeats.awaitRound(); // the holder sleeps now: none of its heartbeats is half done in C
            Map.Entry<Long, String> first = holderLeases.entrySet().iterator().next();
            heartbeats.completing(first.getKey());
            Future<Api.Res> inFlight =
                    freezeInsideATransaction(nodeC, load, holderApi, first.getKey(), first.getValue());
            frozenAt = OffsetDateTime.now();
            try {
                Thread.sleep(300);
                leasedThroughC = heldBy(w.queue(), workersOnC);
                Thread.sleep(1200);
                frozenTransactions = openTransactions(Duration.ofSeconds(1));
                // past every lease taken through C: node A re-runs those jobs meanwhile
                reRunWhileFrozen = await(
                        Duration.ofSeconds(LEASE_SECONDS + 10),
                        () -> completedBy(w.queue(), leasedThroughC.keySet(), accountsOnC) == leasedThroughC.size());
                long left = TimeUnit.SECONDS.toMillis(LEASE_SECONDS + 3)
                        - Duration.between(frozenAt, OffsetDateTime.now()).toMillis();
                Thread.sleep(Math.max(0, left));
            } finally {
                heartbeats.thawed();
                nodeC.thaw();
                frozenSeconds = seconds(frozenAt, OffsetDateTime.now());
            }
            frozenComplete = inFlight.get(30, TimeUnit.SECONDS);
            for (Map.Entry<Long, String> job : holderLeases.entrySet()) {
                lateCompletes.add(holderApi
                        .post("jobs/" + job.getKey() + "/complete", aLease(job.getValue()))
                        .status());
            }
            boolean done = await(Duration.ofSeconds(90), () -> completed(w.queue()) == w.jobs());
            load.stop();
            assertTrue(done, "every job completed after the thaw: " + AuditTrail.statuses(w.queue()));
        }

        AuditTrail audit = AuditTrail.of(w.queue());
        List<Long> reRunOnce = leasedThroughC.keySet().stream()
                .filter(job -> audit.dispatchesAfterLeaseLoss(job) == 1
                        && !accountsOnC.contains(audit.completion(job).by()))
                .toList();
        Map<String, Integer> fenced = new java.util.TreeMap<>();
        loopsOnC.forEach(l -> l.fenced.forEach((type, n) -> fenced.merge(type, n.get(), Integer::sum)));
        figures(
                "frozen node",
                "jobs=%d lost=%d duplicates=%d frozenSeconds=%.1f (lease %d s) leasedThroughFrozenNode=%d"
                        + " reRunElsewhereExactlyOnce=%d completeFrozenInItsTransaction=%d lateCompletes=%s lateHeartbeats=%s"
                        + " fencedBatchItemsOnC=%s sessionsInATransactionWhileFrozen=%d callsNodeA=%s callsNodeC=%s",
                w.jobs(),
                lost(w),
                audit.jobsNotCompletedExactlyOnce().size(),
                frozenSeconds,
                LEASE_SECONDS,
                leasedThroughC.size(),
                reRunOnce.size(),
                frozenComplete.status(),
                lateCompletes,
                lateHeartbeats,
                fenced,
                frozenTransactions.size(),
                onA.byStatus(),
                onC.byStatus());

        assertTrue(
                reRunWhileFrozen,
                "node A re-ran every job leased through node C while C was frozen; sessions in a"
                        + " transaction for more than 1 s while C was frozen: " + frozenTransactions);
        assertEquals(
                leasedThroughC.keySet().stream().toList(),
                reRunOnce,
                "each job leased through C was handed out once"
                        + " more after its lease was lost, and completed by a worker on A");
        assertTrue(
                frozenComplete.status() >= 400,
                "the complete frozen inside its transaction did not go through: " + frozenComplete.status());
        // fenced: 409 from the lease check; a call that met a connection PostgreSQL ended during the freeze
        // answers 503 before it reaches the check (nothing applied; sent again, it gets the 409)
        assertTrue(fenced(lateCompletes), "the frozen worker's late completes are fenced: " + lateCompletes);
        assertTrue(fenced(lateHeartbeats), "late heartbeats are fenced: " + lateHeartbeats);
        assertNothingLostOrDoubled(w);
        assertTrue(
                Calls.isServiceUnavailable(frozenComplete),
                "the complete frozen inside its transaction failed" + " (its session ended), as a 503 problem: "
                        + frozenComplete.status() + " " + frozenComplete.body());
    }

    @Test
    void a_postgresql_outage_under_load_answers_503_problems_loses_no_acknowledged_job_and_wakeups_come_back()
            throws Exception {
        Workload w = workload(6, 8, 0);
        List<Double> wakeupsBefore = submitToClaimMillis(7);
        List<Api> users =
                w.userLimits().keySet().stream().map(id -> admin.as(token(id))).toList();
        Calls calls = new Calls();
        AtomicBoolean stopSubmitting = new AtomicBoolean();
        List<long[]> health = Collections.synchronizedList(new ArrayList<>()); // {time, status}
        List<Submitter> submitters = new ArrayList<>();
        long outageStart;
        long outageEnd;
        int terminated;
        try (Load load = new Load()) {
            for (int t = 0; t < 3; t++) {
                load.worker("A" + t, admin, fx.worker(), List.of(w.queue()), 3, 5, 30, calls);
                Submitter s = new Submitter(
                        Fixtures.unique("key"), users.subList(2 * t, 2 * t + 2), w.queue(), stopSubmitting, 60, calls);
                submitters.add(s);
                load.start(s);
            }
            load.start(() -> pollReadiness(load.stopFlag(), health));
            Thread.sleep(2000);
            outageStart = System.nanoTime();
            terminated = DATABASE.run(Duration.ofSeconds(3), Duration.ofMillis(100));
            outageEnd = System.nanoTime();
            Thread.sleep(3000);
            stopSubmitting.set(true);
            Map<String, Long> acknowledged = new HashMap<>();
            boolean done = await(Duration.ofSeconds(60), () -> {
                submitters.forEach(s -> acknowledged.putAll(s.acknowledged));
                return submitters.stream().allMatch(s -> s.unacknowledged.isEmpty())
                        && completed(w.queue()) >= acknowledged.size()
                        && acknowledged.size()
                                == AuditTrail.statuses(w.queue()).values().stream()
                                        .mapToInt(n -> n)
                                        .sum();
            });
            load.stop();
            assertTrue(done, "every acknowledged job completed: " + AuditTrail.statuses(w.queue()));
        }
        List<Double> wakeupsAfter = submitToClaimMillis(7);

        Map<String, Long> acknowledged = new HashMap<>();
        submitters.forEach(s -> acknowledged.putAll(s.acknowledged));
        Set<String> failedAfterCommit = new HashSet<>();
        submitters.forEach(s -> failedAfterCommit.addAll(s.failedAfterCommit));
        long downDuring = health.stream()
                .filter(h -> h[0] >= outageStart && h[0] <= outageEnd && h[1] != 200)
                .count();
        long firstUpAfter = health.stream()
                .filter(h -> h[0] > outageEnd && h[1] == 200)
                .mapToLong(h -> h[0])
                .min()
                .orElse(-1);
        double readyAfter = (firstUpAfter - outageEnd) / 1e9;
        double median = wakeupsAfter.get(wakeupsAfter.size() / 2);
        figures(
                "postgresql outage",
                "outageSeconds=%.1f backendsTerminated=%d acknowledgedJobs=%d lost=%d duplicates=%d"
                        + " failedAfterCommit=%d callsByStatus=%s slowestCallMsByStatus=%s readyDownSamples=%d readyAgainAfterSeconds=%.2f"
                        + " submitToClaimMs before=%s after=%s",
                (outageEnd - outageStart) / 1e9,
                terminated,
                acknowledged.size(),
                acknowledged.size() - completed(w.queue()),
                jobsByKey(w.queue()).size() - acknowledged.size(),
                failedAfterCommit.size(),
                calls.byStatus(),
                calls.slowestMillis(),
                downDuring,
                readyAfter,
                rounded(wakeupsBefore),
                rounded(wakeupsAfter));

        assertTrue(
                terminated > 0 && calls.failed() > 0,
                "the outage was real: " + terminated + " backends terminated, calls " + calls.byStatus());
        assertEquals(0, calls.count("io"), "every call got an answer");
        assertEquals(
                acknowledged,
                jobsByKey(w.queue()),
                "each acknowledged submit is exactly one job, and no other job exists");
        assertEquals(Set.of(), failedAfterCommit, "no submit answered an error after its job was committed");
        assertNothingLostOrDoubled(new Workload(w.queue(), w.queueLimit(), w.userLimits(), acknowledged.size()));
        assertTrue(downDuring > 0, "/health/ready was DOWN during the outage");
        assertTrue(firstUpAfter > 0 && health.get(health.size() - 1)[1] == 200, "/health/ready is UP after the outage");
        assertTrue(readyAfter < 10, "ready again " + readyAfter + " s after the outage");
        assertTrue(
                listeners() >= 1,
                "node A LISTENs again: the outage ended every session, so a fairqueue-wakeups"
                        + " session now is a new one");
        // With the 1 s poll alone the median would be about 500 ms; woken by the submit it is what it
        // was before the outage (on a loaded machine both are slower: compare with before, not a constant)
        double medianBefore = wakeupsBefore.get(wakeupsBefore.size() / 2);
        assertTrue(
                median < Math.min(450, Math.max(250, 1.5 * medianBefore))
                        && wakeupsAfter.get(wakeupsAfter.size() - 1) < 1000,
                "a waiting claim is woken by"
                        + " the submit again, not by the 1 s poll: submit-to-claim " + wakeupsAfter
                        + " ms (before the outage "
                        + wakeupsBefore + ")");
        assertEquals(
                List.of(),
                calls.improperFailures(),
                "every failed call is a 503 problem with Retry-After; statuses " + calls.byStatus());
    }

    /** Late writes of a frozen worker: some answered, none went through, at least one refused by the lease check. */
    static boolean fenced(List<Integer> statuses) {
        return statuses.contains(409) && statuses.stream().allMatch(s -> s == 409 || s == 503);
    }

    static List<Long> rounded(List<Double> millis) {
        return millis.stream().map(Math::round).toList();
    }

    // ---- the workload and what every fault test asserts ---------------------------------------

    /** A queue with short leases, a limit and room for retries, users with limits 1 to 3, and its jobs. */
    record Workload(String queue, int queueLimit, Map<String, Integer> userLimits, int jobs) {}

    Workload workload(int users, int queueLimit, int jobs) {
        String q = fx.queue(aQueue().withLeaseSeconds(LEASE_SECONDS)
                .withMaxConcurrent(queueLimit)
                .withMaxRetries(10));
        Map<String, Integer> limits = new LinkedHashMap<>();
        for (int i = 0; i < users; i++) {
            Account user = fx.user("USER", 1 + i % 3);
            limits.put(user.id(), 1 + i % 3);
            tokens.put(user.id(), user.token());
        }
        List<String> ids = new ArrayList<>(limits.keySet());
        for (int from = 0; from < jobs; from += 500) {
            admin.post(
                            "jobs/batch",
                            aBatch(IntStream.range(from, Math.min(jobs, from + 500))
                                    .mapToObj(i -> aJob().withQueue(q)
                                            .withType("fault")
                                            .withUserId(ids.get(i % ids.size())))
                                    .toList()))
                    .expect(201);
        }
        return new Workload(q, queueLimit, limits, jobs);
    }

    private final Map<String, String> tokens = new HashMap<>();

    String token(String userId) {
        return tokens.get(userId);
    }

    /**
     * Every job COMPLETED (one state each), one move to COMPLETED per job, no move out of a state the
     * job was not in, no user or queue ever above its limit, and no counter drift.
     */
    AuditTrail assertNothingLostOrDoubled(Workload w) throws Exception {
        AuditTrail audit = AuditTrail.of(w.queue());
        assertEquals(Map.of("COMPLETED", w.jobs()), AuditTrail.statuses(w.queue()), "every job ends COMPLETED");
        assertEquals(Map.of(), audit.jobsNotCompletedExactlyOnce(), "jobs not completed exactly once");
        assertEquals(List.of(), audit.brokenChains(), "moves out of a state the job was not in");
        assertEquals(List.of(), audit.limitViolations(w.userLimits(), w.queueLimit()), "limits exceeded");
        JsonObject recount = admin.post("admin/recount").expect(200).json();
        assertEquals(0, recount.getJsonArray("drift").size(), "counters equal a recount: " + recount);
        return audit;
    }

    int lost(Workload w) throws Exception {
        return w.jobs() - AuditTrail.statuses(w.queue()).getOrDefault("COMPLETED", 0);
    }

    static void figures(String scenario, String format, Object... args) {
        System.out.println("FAULT-FIGURES " + scenario + ": " + String.format(format, args));
    }

    /**
     * The connection breaks after PostgreSQL committed a submit but before the answer to the
     * commit arrived (a proxy between node B and PostgreSQL drops that one answer and cuts the
     * connection). The job exists, so the submit answers it (201), with or without an
     * Idempotency-Key, single or batch: never a 503 that a client would send again into a
     * duplicate. A replay of an Idempotency-Key whose commit's answer is lost answers its job (it
     * created nothing, so nothing depended on the commit). A submit whose connection breaks before
     * its commit (the audit row's INSERT, flushed at commit, loses its answer) created nothing and
     * answers 503; sent again it creates the job.
     */
    @Test
    void a_submit_whose_commit_answer_is_lost_answers_the_job_it_committed_and_one_that_aborted_answers_503()
            throws Exception {
        String dbUrl = System.getProperty("fairqueue.it.dbUrl");
        String q = fx.queue();
        Account alice = fx.user("USER", 1);
        try (AnswerDroppingProxy proxy = AnswerDroppingProxy.to(dbUrl);
                SecondNode nodeB =
                        SecondNode.start("lost-answers-node", Map.of("FAIRQUEUE_DB_URL", proxy.jdbcUrl(dbUrl)))) {
            Api b = nodeB.admin().as(alice.token());

            String key = Fixtures.unique("lost-commit-key");
            proxy.dropAnswer(key, "COMMIT", 1);
            Api.Res keyed = sent(
                    proxy, () -> b.post("jobs", aJob().withQueue(q).withType("keyed"), Map.of("Idempotency-Key", key)));
            assertEquals(1, proxy.dropped(), "the answer to the keyed submit's COMMIT was dropped");
            assertEquals(201, keyed.status(), "the committed keyed submit answers its job: " + keyed.body());
            long keyedId = keyed.json().getJsonNumber("id").longValue();
            Api.Res replay = b.post("jobs", aJob().withQueue(q).withType("keyed"), Map.of("Idempotency-Key", key));
            assertEquals(200, replay.status(), replay.body());
            assertEquals(keyedId, replay.json().getJsonNumber("id").longValue(), "sent again: the same job");

            String type = Fixtures.unique("lost-commit-type");
            proxy.dropAnswer(type, "COMMIT", 1);
            Api.Res single =
                    sent(proxy, () -> b.post("jobs", aJob().withQueue(q).withType(type)));
            assertEquals(2, proxy.dropped(), "the answer to the unkeyed submit's COMMIT was dropped");
            assertEquals(201, single.status(), "the committed submit answers its job: " + single.body());
            assertEquals(
                    List.of(single.json().getJsonNumber("id").longValue()),
                    jobIdsOfType(q, type),
                    "the answered job is the one job of its type");

            String batchType = Fixtures.unique("lost-commit-batch");
            proxy.dropAnswer(batchType, "COMMIT", 1);
            Api.Res batch = sent(
                    proxy,
                    () -> b.post(
                            "jobs/batch",
                            aBatch(
                                    aJob().withQueue(q).withType(batchType),
                                    aJob().withQueue(q).withType(batchType))));
            assertEquals(3, proxy.dropped(), "the answer to the batch's COMMIT was dropped");
            assertEquals(201, batch.status(), "the committed batch answers its jobs: " + batch.body());
            assertEquals(batchIds(batch), jobIdsOfType(q, batchType), "the answered jobs are the batch's jobs");

            String itemKey = Fixtures.unique("lost-commit-item");
            proxy.dropAnswer(itemKey, "COMMIT", 1);
            Api.Res keyedBatch = sent(
                    proxy,
                    () -> b.post(
                            "jobs/batch",
                            aBatch(
                                    aJob().withQueue(q).withType("keyed-batch").withIdempotencyKey(itemKey),
                                    aJob().withQueue(q).withType("keyed-batch").withIdempotencyKey(itemKey + "-2"))));
            assertEquals(4, proxy.dropped(), "the answer to the keyed batch's COMMIT was dropped");
            assertEquals(201, keyedBatch.status(), "the committed keyed batch answers its jobs: " + keyedBatch.body());
            assertEquals(batchIds(keyedBatch), jobIdsOfType(q, "keyed-batch"));

            proxy.dropAnswer(key, "COMMIT", 1); // a replay creates nothing: its answer does not depend on its commit
            Api.Res lostReplay = sent(
                    proxy, () -> b.post("jobs", aJob().withQueue(q).withType("keyed"), Map.of("Idempotency-Key", key)));
            assertEquals(5, proxy.dropped(), "the answer to the replay's COMMIT was dropped");
            assertEquals(200, lostReplay.status(), lostReplay.body());
            assertEquals(keyedId, lostReplay.json().getJsonNumber("id").longValue());

            String abortedKey = Fixtures.unique("lost-insert-key");
            proxy.dropAnswer(abortedKey, "INSERT", 2);
            Api.Res aborted = sent(
                    proxy,
                    () -> b.post(
                            "jobs", aJob().withQueue(q).withType("aborted"), Map.of("Idempotency-Key", abortedKey)));
            assertEquals(6, proxy.dropped(), "the answer to the audit row's INSERT was dropped");
            assertTrue(
                    Calls.isServiceUnavailable(aborted),
                    "a submit cut before its commit answers 503: " + aborted.status() + " " + aborted.body());
            assertFalse(jobsByKey(q).containsKey(abortedKey), "and created nothing");
            Api.Res resent =
                    b.post("jobs", aJob().withQueue(q).withType("aborted"), Map.of("Idempotency-Key", abortedKey));
            assertEquals(201, resent.status(), "sent again, it creates the job: " + resent.body());
        }
        assertEquals(7, jobsByKey(q).size(), "seven jobs in all: " + jobsByKey(q));
    }

    /**
     * Sends a request whose answer the proxy is armed to drop, again while it answers 503 without
     * reaching the armed point (as a client would): the node's pool may hand out a connection that
     * died with the one cut just before (Payara drops the pool's connections after a broken one),
     * and a request that fails on it never reached its commit.
     */
    static Api.Res sent(AnswerDroppingProxy proxy, Supplier<Api.Res> request) throws InterruptedException {
        int before = proxy.dropped();
        Api.Res r = request.get();
        for (int i = 0; i < 5 && proxy.dropped() == before && Calls.isServiceUnavailable(r); i++) {
            Thread.sleep(500);
            r = request.get();
        }
        return r;
    }

    /** The ids of a batch submit's answer, in request order. */
    static List<Long> batchIds(Api.Res batch) {
        return batch.array().stream()
                .map(v -> v.asJsonObject()
                        .getJsonObject("job")
                        .getJsonNumber("id")
                        .longValue())
                .toList();
    }

    static List<Long> jobIdsOfType(String queue, String type) throws Exception {
        List<Long> out = new ArrayList<>();
        try (Connection c = AuditTrail.db();
                PreparedStatement ps =
                        c.prepareStatement("SELECT id FROM job WHERE queue = ? AND type = ? ORDER BY id")) {
            ps.setString(1, queue);
            ps.setString(2, type);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    // ---- load helpers -------------------------------------------------------------------------

    /**
     * A worker's heartbeats: every held job, every 1.5 s (leases of 5 s), through one node. The
     * answers that arrive after the thaw are collected; then it stops.
     */
    static final class Heartbeats implements java.util.concurrent.Callable<Void> {

        private final Api api;
        private final Map<Long, String> leases;
        private final AtomicBoolean stop;
        private final List<Integer> late;
        private final AtomicBoolean thawed = new AtomicBoolean();
        private final java.util.concurrent.Semaphore rounds = new java.util.concurrent.Semaphore(0);
        private final Set<Long> completing = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Heartbeats(Api api, Map<Long, String> leases, AtomicBoolean stop, List<Integer> late) {
            this.api = api;
            this.leases = leases;
            this.stop = stop;
            this.late = late;
        }

        /** Waits for the end of a round of heartbeats (the next is 1.5 s away). */
        void awaitRound() throws InterruptedException {
            rounds.drainPermits();
            assertTrue(rounds.tryAcquire(10, TimeUnit.SECONDS), "the heartbeats go on");
        }

        /** The worker completes this job now: no more heartbeats for it (none can meet its complete in PostgreSQL). */
        void completing(long job) {
            completing.add(job);
        }

        /** Answers from now on are late: they come from the node after its freeze. */
        void thawed() {
            thawed.set(true);
        }

        @Override
        public Void call() throws InterruptedException {
            while (!stop.get()) {
                boolean after = thawed.get();
                for (Map.Entry<Long, String> job : leases.entrySet()) {
                    if (completing.contains(job.getKey())) {
                        continue;
                    }
                    int status = api.post("jobs/" + job.getKey() + "/heartbeat", aLease(job.getValue()))
                            .status();
                    if (thawed.get()) {
                        late.add(status);
                    }
                }
                if (after) {
                    return null;
                }
                rounds.release();
                Thread.sleep(1500);
            }
            return null;
        }
    }

    /** Claims three jobs of the queue through the given node and starts two of them; answers id -> lease token. */
    static Map<Long, String> claimAndStartTwo(Api worker, String workerId, String queue) {
        JsonArray held = worker.post(
                        "claims", aClaim(workerId).withQueues(queue).withLimit(3))
                .expect(200)
                .array();
        assertEquals(3, held.size());
        Map<Long, String> leases = new LinkedHashMap<>();
        held.forEach(v -> leases.put(
                v.asJsonObject().getJsonNumber("id").longValue(),
                v.asJsonObject().getString("leaseToken")));
        leases.entrySet().stream()
                .limit(2)
                .forEach(job -> worker.post("jobs/" + job.getKey() + "/start", aLease(job.getValue()))
                        .expect(200));
        return leases;
    }

    /**
     * Freezes the node while one of its requests is inside its transaction: this test holds the
     * job's row, the node's complete of that job waits for it in PostgreSQL, the node freezes, the
     * test lets go. The frozen node's transaction now holds the job's row (as it would any row it
     * had locked when it stopped). Answers the complete, which returns after the thaw.
     */
    static Future<Api.Res> freezeInsideATransaction(SecondNode node, Load load, Api worker, long job, String token)
            throws Exception {
        try (Connection c = AuditTrail.db()) {
            c.setAutoCommit(false);
            int pid;
            try (PreparedStatement lock =
                    c.prepareStatement("SELECT pg_backend_pid() FROM job WHERE id = ? FOR UPDATE")) {
                lock.setLong(1, job);
                try (ResultSet rs = lock.executeQuery()) {
                    rs.next();
                    pid = rs.getInt(1);
                }
            }
            Future<Api.Res> complete = load.start(() -> worker.post("jobs/" + job + "/complete", aLease(token)));
            try {
                assertTrue(
                        await(
                                Duration.ofSeconds(10),
                                () -> blockedBy(pid).stream()
                                        .anyMatch(q -> q.contains("FROM job") && q.contains("FOR UPDATE"))),
                        "the node's complete waits for the row: " + blockedBy(pid));
                node.freeze();
            } finally {
                c.rollback();
            }
            assertTrue(
                    await(Duration.ofSeconds(5), () -> locked(job)),
                    "the frozen node's transaction holds the job's row; the complete answered "
                            + (complete.isDone() ? complete.get().status() : "nothing yet"));
            return complete;
        }
    }

    /** Samples {@code /health/ready} every 100 ms: {nanoTime, HTTP status (-1: no answer)}. */
    Void pollReadiness(AtomicBoolean stop, List<long[]> samples) throws InterruptedException {
        Api anonymous = admin.as(null);
        while (!stop.get()) {
            int status;
            try {
                status = anonymous.get("/health/ready").status();
            } catch (RuntimeException e) {
                status = -1;
            }
            samples.add(new long[] {System.nanoTime(), status});
            Thread.sleep(100);
        }
        return null;
    }

    /**
     * Submit-to-claim with a worker waiting in a long poll, in ms, sorted: each round sends a submit
     * and times it until the waiting claim answers with the job.
     */
    List<Double> submitToClaimMillis(int rounds) throws Exception {
        String q = fx.queue();
        Account user = fx.user("USER", 1);
        WorkerAccount worker = fx.worker();
        List<Double> out = new ArrayList<>();
        ExecutorService waiter = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < rounds; i++) {
                Future<Api.Res> waiting = waiter.submit(() -> worker.api()
                        .post("claims", aClaim(worker.workerId()).withQueues(q).withWaitSeconds(10)));
                Thread.sleep(300); // the claim waits now
                assertFalse(waiting.isDone(), "the claim waits");
                long sent = System.nanoTime();
                user.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201);
                JsonObject job =
                        waiting.get(15, TimeUnit.SECONDS).expect(200).array().getJsonObject(0);
                out.add((System.nanoTime() - sent) / 1e6);
                String id = job.getJsonNumber("id").toString();
                worker.api()
                        .post("jobs/" + id + "/start", aLease(job.getString("leaseToken")))
                        .expect(200);
                worker.api()
                        .post("jobs/" + id + "/complete", aLease(job.getString("leaseToken")))
                        .expect(200);
            }
        } finally {
            waiter.shutdownNow();
        }
        Collections.sort(out);
        return out;
    }

    // ---- the database, read directly ------------------------------------------------------------

    static int completed(String queue) throws Exception {
        return AuditTrail.statuses(queue).getOrDefault("COMPLETED", 0);
    }

    /** Jobs of the queue that these workers hold right now, with their lease's end. */
    static Map<Long, OffsetDateTime> heldBy(String queue, Collection<String> workerIds) throws Exception {
        Map<Long, OffsetDateTime> out = new LinkedHashMap<>();
        try (Connection c = AuditTrail.db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT id, lease_expires_at FROM job
                 WHERE queue = ? AND status IN ('DISPATCHED', 'RUNNING') AND worker_id = ANY (?) ORDER BY id""")) {
            ps.setString(1, queue);
            ps.setArray(2, c.createArrayOf("text", workerIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getObject(2, OffsetDateTime.class));
                }
            }
        }
        return out;
    }

    /** How many of these jobs some worker other than these accounts has completed. */
    static int completedBy(String queue, Collection<Long> jobs, Collection<String> notBy) throws Exception {
        try (Connection c = AuditTrail.db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT count(*) FROM job_transition t JOIN job j ON j.id = t.job_id
                 WHERE j.queue = ? AND t.job_id = ANY (?) AND t.to_status = 'COMPLETED' AND NOT t.triggered_by = ANY (?)""")) {
            ps.setString(1, queue);
            ps.setArray(2, c.createArrayOf("bigint", jobs.toArray()));
            ps.setArray(3, c.createArrayOf("text", notBy.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Sessions of this database that listen for claim wake-ups ({@code ClaimWakeups}), one per live node. */
    static int listeners() throws Exception {
        try (Connection c = AuditTrail.db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'fairqueue-wakeups'""")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** What the sessions that wait for a lock this session holds are running. */
    static List<String> blockedBy(int pid) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = AuditTrail.db();
                PreparedStatement ps =
                        c.prepareStatement("SELECT application_name || ': ' || query FROM pg_stat_activity"
                                + " WHERE ? = ANY (pg_blocking_pids(pid))")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** True when another transaction holds this job's row. */
    static boolean locked(long job) throws Exception {
        try (Connection c = AuditTrail.db()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM job WHERE id = ? FOR UPDATE SKIP LOCKED")) {
                ps.setLong(1, job);
                try (ResultSet rs = ps.executeQuery()) {
                    return !rs.next();
                }
            } finally {
                c.rollback();
            }
        }
    }

    /** Sessions of this database inside a transaction that began more than {@code age} ago (a frozen node's). */
    static List<String> openTransactions(Duration age) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = AuditTrail.db();
                PreparedStatement ps = c.prepareStatement("""
                SELECT pid, state, coalesce(wait_event_type, '-'), left(query, 80) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start < now() - make_interval(secs => ?)""")) {
            ps.setDouble(1, age.toMillis() / 1000.0);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getInt(1) + " " + rs.getString(2) + " wait=" + rs.getString(3) + ": " + rs.getString(4));
                }
            }
        }
        return out;
    }

    /** The jobs of the queue by idempotency key. */
    static Map<String, Long> jobsByKey(String queue) throws Exception {
        Map<String, Long> out = new HashMap<>();
        try (Connection c = AuditTrail.db();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT coalesce(idempotency_key, 'none-' || id), id FROM job WHERE queue = ?")) {
            ps.setString(1, queue);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    static double seconds(OffsetDateTime from, OffsetDateTime to) {
        return Duration.between(from, to).toMillis() / 1000.0;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** Polls every 100 ms until the check holds; false at the deadline. */
    static boolean await(Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return true;
            }
            Thread.sleep(100);
        }
        return check.ok();
    }

    /**
     * Before Arquillian deploys: the test database accepts connections (a run killed inside an
     * outage window would leave it closed, and the node could not start).
     */
    static final class DatabaseOpen implements BeforeAllCallback {

        @Override
        public void beforeAll(ExtensionContext context) throws Exception {
            DATABASE.ensureOpen();
        }
    }
}
