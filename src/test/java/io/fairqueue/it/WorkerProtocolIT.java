package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.aBatch;
import static io.fairqueue.it.support.TestData.aClaim;
import static io.fairqueue.it.support.TestData.aJob;
import static io.fairqueue.it.support.TestData.aQueue;
import static io.fairqueue.it.support.TestData.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.AuditTrail;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import io.fairqueue.it.support.TestData.Claim;
import io.fairqueue.it.support.TestData.Job;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The one-call worker protocol over HTTP: {@code POST /claims} with {@code start} claims straight
 * into RUNNING, and with {@code complete} / {@code fail} carries the previous batch's outcomes,
 * each fenced on its own, applied before the claim.
 */
class WorkerProtocolIT extends ApiTestBase {

    /** A claim of up to {@code limit} jobs of one queue, straight into RUNNING. */
    static Claim claim(WorkerAccount w, String queue, int limit) {
        return aClaim(w.workerId()).withQueues(queue).withLimit(limit).withStart(true);
    }

    /** A start claim without outcomes: its answer is the list of RUNNING jobs. */
    static JsonArray claimRunning(WorkerAccount w, String queue, int limit) {
        return w.api().post("claims", claim(w, queue, limit)).expect(200).array();
    }

    /** A start claim that carries outcomes ({@code POST /claims/next}): its answer is {completed, failed, jobs}. */
    static JsonObject claimCarrying(WorkerAccount w, String queue, Claim body) {
        return w.api().post("claims/next", body).expect(200).json();
    }

    /** A claim with outcomes refused with 400: the field its problem names. */
    static String refusedField(WorkerAccount w, Claim body) {
        return w.api().post("claims/next", body).expect(400).json().getString("field");
    }

    static JsonObject done(JsonObject job, String lease) {
        return object("id", job.getJsonNumber("id"), "leaseToken", lease, "result", object("frames", 240));
    }

    static JsonObject failed(JsonObject job, String error, boolean retryable) {
        return object(
                "id",
                job.getJsonNumber("id"),
                "leaseToken",
                job.getString("leaseToken"),
                "error",
                error,
                "retryable",
                retryable);
    }

    List<String> moves(long id) {
        return admin.get("jobs/" + id + "/transitions").expect(200).array().stream()
                .map(t -> t.asJsonObject().getString("to"))
                .toList();
    }

    String status(JsonObject job) {
        return admin.get("jobs/" + job.getJsonNumber("id")).expect(200).json().getString("status");
    }

    void submit(Account who, String queue, int n) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(aJob().withQueue(queue).withType("render"));
        }
        who.api().post("jobs/batch", aBatch(jobs)).expect(201);
    }

    @Test
    void a_claim_with_start_hands_out_running_jobs_with_both_audit_rows() {
        String q = fx.queue();
        Account alice = fx.user("USER", 3);
        submit(alice, q, 3);
        WorkerAccount w = fx.worker();
        JsonArray claimed = claimRunning(w, q, 3);
        assertEquals(3, claimed.size());
        for (JsonValue v : claimed) {
            JsonObject j = v.asJsonObject();
            assertEquals("RUNNING", j.getString("status"));
            assertEquals(j.getString("claimedAt"), j.getString("startedAt"), "started as it was claimed");
            assertEquals("RUNNING", status(j));
            assertEquals(
                    List.of("PENDING", "DISPATCHED", "RUNNING"),
                    moves(j.getJsonNumber("id").longValue()));
        }
        // the slots are taken once, as for a claim: alice runs 3 of 3, and a recount finds no drift
        assertEquals(
                3,
                admin.get("queue?queue=" + q)
                        .expect(200)
                        .json()
                        .getJsonObject("active")
                        .getInt("slotsUsed"));
        JsonObject recount = admin.post("admin/recount").expect(200).json();
        assertEquals(0, recount.getJsonArray("drift").size(), recount.toString());
    }

    @Test
    void the_next_claim_carries_the_outcomes_each_fenced_on_its_own_and_then_claims() {
        String q = fx.queue(aQueue().withMaxRetries(1));
        Account bob = fx.user("USER", 4);
        submit(bob, q, 4);
        WorkerAccount w = fx.worker();
        JsonArray first = claimRunning(w, q, 3);
        assertEquals(3, first.size());
        JsonObject a = first.getJsonObject(0);
        JsonObject b = first.getJsonObject(1);
        JsonObject c = first.getJsonObject(2);

        JsonObject answer = claimCarrying(
                w,
                q,
                claim(w, q, 5)
                        .withComplete(done(a, a.getString("leaseToken")), done(b, "not-the-lease"))
                        .withFail(failed(c, "GPU fell off the bus", true)));

        JsonArray completed = answer.getJsonArray("completed");
        assertEquals(2, completed.size());
        assertEquals("COMPLETED", completed.getJsonObject(0).getString("status"));
        assertFalse(completed.getJsonObject(0).containsKey("problem"));
        assertEquals("RUNNING", completed.getJsonObject(1).getString("status"), "the stale item changed nothing");
        assertTrue(completed
                .getJsonObject(1)
                .getJsonObject("problem")
                .getString("type")
                .endsWith("/stale-lease"));
        assertEquals(
                "RETRY_WAIT", answer.getJsonArray("failed").getJsonObject(0).getString("status"));
        assertFalse(answer.containsKey("claimProblem"));

        // the claim ran after the outcomes: the fourth job, and it started with the claim
        JsonArray next = answer.getJsonArray("jobs");
        assertEquals(1, next.size(), answer.toString());
        assertEquals("RUNNING", next.getJsonObject(0).getString("status"));

        assertEquals("COMPLETED", status(a));
        assertEquals(
                240,
                admin.get("jobs/" + a.getJsonNumber("id"))
                        .expect(200)
                        .json()
                        .getJsonObject("result")
                        .getInt("frames"));
        assertEquals(
                List.of("PENDING", "DISPATCHED", "RUNNING", "COMPLETED"),
                moves(a.getJsonNumber("id").longValue()));
        assertEquals("RUNNING", status(b));
        assertEquals("RETRY_WAIT", status(c));
        assertEquals(
                "GPU fell off the bus",
                admin.get("jobs/" + c.getJsonNumber("id")).expect(200).json().getString("lastError"));
    }

    @Test
    void a_limit_one_user_runs_its_next_job_in_the_same_call_that_completes_the_last() {
        String q = fx.queue();
        Account carol = fx.user("USER", 1);
        submit(carol, q, 3);
        WorkerAccount w = fx.worker();
        JsonArray got = claimRunning(w, q, 5);
        assertEquals(1, got.size(), "carol may run one job at a time");
        for (int step = 0; step < 2; step++) {
            JsonObject running = got.getJsonObject(0);
            JsonObject answer =
                    claimCarrying(w, q, claim(w, q, 5).withComplete(done(running, running.getString("leaseToken"))));
            assertEquals(
                    "COMPLETED",
                    answer.getJsonArray("completed").getJsonObject(0).getString("status"));
            got = answer.getJsonArray("jobs");
            assertEquals(1, got.size(), "the slot the completion freed is claimed in the same call: " + answer);
        }
        JsonObject last = got.getJsonObject(0);
        JsonObject answer = claimCarrying(w, q, claim(w, q, 5).withComplete(done(last, last.getString("leaseToken"))));
        assertEquals(0, answer.getJsonArray("jobs").size(), "nothing left");
        assertEquals(
                0,
                admin.get("queue?queue=" + q)
                        .expect(200)
                        .json()
                        .getJsonObject("counts")
                        .getInt("RUNNING"));
    }

    @Test
    void a_bad_claim_applies_no_outcome_and_names_the_field() {
        String q = fx.queue();
        Account dave = fx.user("USER", 2);
        submit(dave, q, 1);
        WorkerAccount w = fx.worker();
        JsonObject job = claimRunning(w, q, 1).getJsonObject(0);
        JsonObject completion = done(job, job.getString("leaseToken"));

        String unknownWorker =
                refusedField(w, claim(w, q, 1).withWorkerId("no-such-worker").withComplete(completion));
        assertEquals("workerId", unknownWorker);
        String missingLease = refusedField(w, claim(w, q, 1).withComplete(completion, object("id", 1)));
        assertEquals("complete[1].leaseToken", missingLease);
        String missingError = refusedField(
                w,
                claim(w, q, 1)
                        .withFail(object("id", job.getJsonNumber("id"), "leaseToken", job.getString("leaseToken"))));
        assertEquals("fail[0].error", missingError);
        assertEquals(
                "complete",
                w.api()
                        .post("claims", claim(w, q, 1).withComplete(completion))
                        .expect(400)
                        .json()
                        .getString("field"),
                "outcomes go to POST /claims/next, whose answer reports them");
        assertEquals("RUNNING", status(job), "no outcome of a refused claim was applied");
        assertEquals(
                List.of("PENDING", "DISPATCHED", "RUNNING"),
                moves(job.getJsonNumber("id").longValue()));
        assertNotNull(job.getString("leaseToken"));
    }

    /**
     * A claim carrying a completion of one user's job and a failure of another's writes them in two
     * statements. A batch submit, the promoter and the bulk moves lock their users in id order;
     * here a connection does the same with a pause between the two users, and the outcomes must
     * wait for it instead of closing a cycle (a deadlock, answered 409). Both orders of the two
     * statements are covered: the completion of the lower user's job and the failure of the
     * higher's, then the other way round.
     */
    @Test
    void outcomes_of_two_users_wait_for_a_transaction_that_locks_those_users_in_id_order() throws Exception {
        for (boolean completeTheLower : new boolean[] {true, false}) {
            String q = fx.queue(aQueue().withMaxRetries(1));
            Account one = fx.user("USER", 1);
            Account two = fx.user("USER", 1);
            submit(one, q, 1);
            submit(two, q, 1);
            WorkerAccount w = fx.worker();
            JsonArray running = claimRunning(w, q, 2);
            assertEquals(2, running.size());
            String lower = one.id().compareTo(two.id()) < 0 ? one.id() : two.id();
            String higher = lower.equals(one.id()) ? two.id() : one.id();
            JsonObject lowerJob = jobOf(running, lower);
            JsonObject higherJob = jobOf(running, higher);
            JsonObject completing = completeTheLower ? lowerJob : higherJob;
            JsonObject failing = completeTheLower ? higherJob : lowerJob;
            Claim outcomes = claim(w, q, 1)
                    .withComplete(done(completing, completing.getString("leaseToken")))
                    .withFail(failed(failing, "out of memory", true));

            CompletableFuture<JsonObject> answer;
            try (Connection batch = AuditTrail.db()) {
                batch.setAutoCommit(false);
                lockUser(batch, lower);
                answer = CompletableFuture.supplyAsync(() -> claimCarrying(w, q, outcomes));
                awaitBlockedBy(batch);
                lockUser(batch, higher);
                batch.commit();
            }
            JsonObject got = answer.get(30, TimeUnit.SECONDS);
            assertEquals(
                    "COMPLETED",
                    got.getJsonArray("completed").getJsonObject(0).getString("status"),
                    "completing the lower user's job: " + completeTheLower);
            assertEquals(
                    "RETRY_WAIT", got.getJsonArray("failed").getJsonObject(0).getString("status"));
            assertEquals("COMPLETED", status(completing));
            assertEquals("RETRY_WAIT", status(failing));
        }
    }

    /**
     * A batch of one INSERT does not hide its users from claims while it waits: it takes their
     * gates, not their rows, and claims take no gate. Here the batch waits for the gate of one of
     * its users, which another transaction holds exclusively (as a keyed batch, a bulk move or a
     * claim's outcomes with a failure of that user do), and a worker's claim meanwhile gets the
     * other user's job that was already waiting. When the batch held its users' rows the claim
     * skipped that user and answered nothing; in the benchmark a claim then got through only
     * between two batches.
     */
    @Test
    void a_batch_in_flight_does_not_hide_its_users_from_claims() throws Exception {
        TwoUsers t = twoUsersOneWaiting();
        CompletableFuture<JsonArray> batch;
        JsonArray claimed;
        try (Connection mover = holding("SELECT fq_user_gates(ARRAY[?], false)", t.two())) {
            batch = CompletableFuture.supplyAsync(() -> batchOf(t.queue(), t.one(), t.two()));
            awaitBlockedBy(mover);
            claimed = claimRunning(t.worker(), t.queue(), 5);
            mover.commit();
        }
        assertEquals(1, claimed.size(), "the first user's waiting job, while the batch is in flight: " + claimed);
        assertEquals(t.waiting(), claimed.getJsonObject(0).getJsonNumber("id").longValue());
        assertEquals(2, batch.get(30, TimeUnit.SECONDS).size(), "the batch then commits");
        assertEquals(2, claimRunning(t.worker(), t.queue(), 5).size(), "and its jobs are claimed");
    }

    /**
     * An admin's edit of a user ({@code PUT /admin/users/{id}} locks the row FOR UPDATE) does not
     * hold up a batch that gives that user a new lane, nor the claims of the batch's other users.
     * The lane's key check used to wait for the edit inside the job trigger, after the trigger had
     * taken the users' lane guards, so every claim skipped the batch's users until the edit
     * committed. A submit waits for no user row now.
     */
    @Test
    void an_admin_edit_of_a_user_holds_up_neither_a_batch_nor_the_claims_of_its_other_users() throws Exception {
        TwoUsers t = twoUsersOneWaiting();
        JsonArray created;
        try (Connection edit = holding("SELECT 1 FROM fq_user WHERE id = ? FOR UPDATE", t.two())) {
            // the edited user's first job in the queue: its lane is new
            created = CompletableFuture.supplyAsync(() -> batchOf(t.queue(), t.one(), t.two()))
                    .get(20, TimeUnit.SECONDS);
            assertEquals(2, created.size(), "the batch commits while the edit is open");
            // the edited user's row is locked, so claims skip that user (as always) but not the other
            JsonArray claimed = claimRunning(t.worker(), t.queue(), 5);
            assertEquals(
                    List.of(t.waiting(), createdIds(created).get(0)),
                    ids(claimed).stream().sorted().toList(),
                    "the other user's two jobs, while the edit is open: " + claimed);
            edit.commit();
        }
        assertEquals(
                List.of(createdIds(created).get(1)),
                ids(claimRunning(t.worker(), t.queue(), 5)),
                "then the edited user's job");
    }

    /** A fresh queue, two users of limit 2, the first with one job waiting, and a worker. */
    private record TwoUsers(String queue, String one, String two, long waiting, WorkerAccount worker) {}

    private TwoUsers twoUsersOneWaiting() {
        String q = fx.queue();
        String one = fx.user("USER", 2).id();
        String two = fx.user("USER", 2).id();
        return new TwoUsers(q, one, two, submit(q, one), fx.worker());
    }

    /** A connection in a transaction that ran {@code sql} with {@code user} and holds its locks. */
    private static Connection holding(String sql, String user) throws SQLException {
        Connection c = AuditTrail.db();
        c.setAutoCommit(false);
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, user);
            s.executeQuery().close();
        }
        return c;
    }

    private long submit(String q, String user) {
        return admin.post("jobs", aJob().withQueue(q).withType("render").withUserId(user))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
    }

    private JsonArray batchOf(String q, String... users) {
        List<Job> jobs = new ArrayList<>();
        for (String u : users) {
            jobs.add(aJob().withQueue(q).withType("render").withUserId(u));
        }
        return admin.post("jobs/batch", aBatch(jobs)).expect(201).array();
    }

    /** The jobs' ids of a batch answer ({@code [{job, created}]}), in request order. */
    private static List<Long> createdIds(JsonArray answer) {
        return answer.stream()
                .map(a -> a.asJsonObject()
                        .getJsonObject("job")
                        .getJsonNumber("id")
                        .longValue())
                .toList();
    }

    private static List<Long> ids(JsonArray jobs) {
        return jobs.stream()
                .map(j -> j.asJsonObject().getJsonNumber("id").longValue())
                .toList();
    }

    static JsonObject jobOf(JsonArray jobs, String user) {
        return jobs.stream()
                .map(JsonValue::asJsonObject)
                .filter(j -> j.getString("userId").equals(user))
                .findFirst()
                .orElseThrow();
    }

    static void lockUser(Connection c, String user) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM fq_user WHERE id = ? FOR NO KEY UPDATE")) {
            s.setString(1, user);
            try (ResultSet rs = s.executeQuery()) {
                assertTrue(rs.next(), user);
            }
        }
    }

    /** Until another backend waits for a lock that {@code holder} holds (at most 20 s). */
    static void awaitBlockedBy(Connection holder) throws SQLException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try (Connection watch = AuditTrail.db();
                PreparedStatement s = watch.prepareStatement(
                        "SELECT count(*) FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid))")) {
            s.setInt(1, holder.unwrap(org.postgresql.PGConnection.class).getBackendPID());
            while (true) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        return;
                    }
                }
                assertTrue(System.nanoTime() < until, "nothing waited for a lock that the holding connection took");
                Thread.sleep(20);
            }
        }
    }
}
