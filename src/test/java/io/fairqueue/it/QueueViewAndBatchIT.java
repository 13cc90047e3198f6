package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The queue view ({@code GET /queue}), batch submit/start/complete, and long-poll claims woken by
 * LISTEN/NOTIFY: what the benchmark's workloads rely on, checked for correctness here.
 */
class QueueViewAndBatchIT extends ApiTestBase {

    static Job job(String queue, String type) {
        return aJob().withQueue(queue).withType(type);
    }

    @Test
    void the_queue_view_counts_by_status_and_tier_and_lists_pending_jobs_in_position_order() {
        String q = fx.queue();
        Account alice = fx.user("USER", 1);
        Account bob = fx.user("USER", 1);
        JsonArray created = alice.api()
                .post(
                        "jobs/batch",
                        aBatch(
                                job(q, "bg").withPriority(BACKGROUND),
                                job(q, "n1"),
                                job(q, "urgent").withPriority(URGENT),
                                job(q, "n2").withPriority(5)))
                .expect(201)
                .array();
        bob.api().post("jobs", job(q, "bob")).expect(201);
        assertEquals(4, created.size());
        created.forEach(c -> assertTrue(c.asJsonObject().getBoolean("created")));

        JsonObject view = admin.get("queue?queue=" + q).expect(200).json();
        JsonObject counts = view.getJsonObject("counts");
        assertEquals(5, counts.getJsonNumber("PENDING").longValue());
        assertEquals(0, counts.getJsonNumber("RUNNING").longValue());
        assertEquals(9, counts.size(), "every status is listed: " + counts);
        JsonObject pending = view.getJsonObject("pending");
        assertEquals(1, pending.getInt("urgent"));
        assertEquals(3, pending.getInt("normal"));
        assertEquals(1, pending.getInt("background"));
        assertEquals(5, pending.getInt("total"));
        // the counters agree with a count of the rows (GET /queues/{name}/stats counts them)
        JsonObject stats = admin.get("queues/" + q + "/stats").expect(200).json();
        assertEquals(
                stats.getJsonObject("counts").getJsonNumber("PENDING").longValue(),
                counts.getJsonNumber("PENDING").longValue());

        JsonArray jobs = view.getJsonArray("jobs");
        assertEquals(
                List.of("urgent", "n2", "n1", "bob", "bg"),
                jobs.stream().map(j -> j.asJsonObject().getString("type")).toList());
        for (JsonValue v : jobs) {
            JsonObject j = v.asJsonObject();
            assertFalse(j.containsKey("userPosition"), "a list shows userPosition only when it lists one user's jobs");
            assertEquals("AHEAD_IN_QUEUE", j.getString("waitingReason"));
            assertTrue(j.containsKey("estimatedStartAt"));
        }
        // positions are global: a leftover job of another test class (the database is shared) that moves
        // between the list and GET /jobs/{id} shifts them by one, so a read a move fell between is taken again
        String disagreement = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            disagreement = positionDisagreement(
                    attempt == 0
                            ? jobs
                            : admin.get("queue?queue=" + q).expect(200).json().getJsonArray("jobs"));
            if (disagreement.isEmpty()) {
                break;
            }
        }
        assertEquals("", disagreement, "the list and GET /jobs/{id} agree on positions, which rise down the list");

        // unfiltered, the list is the head of the global order: positions 1, 2, 3, ... The database is
        // shared with other test classes whose leftover jobs may still move (a lease ending, a retry
        // coming due), so a read that a move fell between is taken again, a few times at most.
        String mismatch = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            mismatch =
                    headMismatch(admin.get("queue?limit=20").expect(200).json().getJsonArray("jobs"));
            if (mismatch.isEmpty()) {
                break;
            }
        }
        assertEquals("", mismatch, "the unfiltered list is positions 1, 2, 3, ... as GET /jobs/{id} says");
    }

    /** Empty when every row's position is the one GET /jobs/{id} gives and rises down the list; else what differs. */
    String positionDisagreement(JsonArray list) {
        long previous = 0;
        for (JsonValue v : list) {
            JsonObject j = v.asJsonObject();
            long listed = j.getJsonNumber("position").longValue();
            JsonObject one =
                    admin.get("jobs/" + j.getJsonNumber("id")).expect(200).json();
            long single =
                    one.containsKey("position") ? one.getJsonNumber("position").longValue() : -1;
            if (listed != single || listed <= previous) {
                return j.getString("type") + ": listed " + listed + " after " + previous + ", GET /jobs/{id} " + single;
            }
            previous = listed;
        }
        return "";
    }

    /** Empty when row i of the head has position i + 1, in the list and in GET /jobs/{id}; else what differs. */
    String headMismatch(JsonArray head) {
        for (int i = 0; i < head.size(); i++) {
            JsonObject j = head.getJsonObject(i);
            long listed = j.getJsonNumber("position").longValue();
            JsonObject one =
                    admin.get("jobs/" + j.getJsonNumber("id")).expect(200).json();
            long single =
                    one.containsKey("position") ? one.getJsonNumber("position").longValue() : -1;
            if (listed != i + 1 || single != i + 1) {
                return "row " + (i + 1) + ": listed " + listed + ", GET /jobs/{id} " + single;
            }
        }
        return "";
    }

    @Test
    void a_user_sees_its_own_jobs_in_the_queue_view_and_bad_parameters_name_the_field() {
        String q = fx.queue();
        Account alice = fx.user("USER", 1);
        Account bob = fx.user("USER", 1);
        alice.api().post("jobs", job(q, "a")).expect(201);
        bob.api().post("jobs", job(q, "b")).expect(201);

        alice.api().post("jobs", job(q, "a2")).expect(201);
        JsonArray mine = alice.api().get("queue").expect(200).json().getJsonArray("jobs");
        for (int i = 0; i < mine.size(); i++) {
            JsonObject j = mine.getJsonObject(i);
            JsonObject single =
                    alice.api().get("jobs/" + j.getJsonNumber("id")).expect(200).json();
            assertEquals(i + 1, j.getJsonNumber("userPosition").longValue());
            assertEquals(
                    single.getJsonNumber("userPosition").longValue(),
                    j.getJsonNumber("userPosition").longValue());
            assertEquals(
                    single.getJsonNumber("position").longValue(),
                    j.getJsonNumber("position").longValue());
        }
        JsonObject own = alice.api().get("queue?queue=" + q).expect(200).json();
        assertEquals(alice.id(), own.getString("userId"));
        assertEquals(
                List.of(alice.id(), alice.id()),
                own.getJsonArray("jobs").stream()
                        .map(j -> j.asJsonObject().getString("userId"))
                        .toList());
        assertEquals(2, own.getJsonObject("counts").getJsonNumber("PENDING").longValue());
        assertEquals(403, alice.api().get("queue?userId=" + bob.id()).status());

        assertEquals("limit", admin.get("queue?limit=abc").expect(400).json().getString("field"));
        assertEquals("limit", admin.get("queue?limit=201").expect(400).json().getString("field"));
        assertEquals(
                "queue",
                admin.get("queue?queue=no-such-queue").expect(400).json().getString("field"));
    }

    @Test
    void slots_in_use_and_locks_show_who_runs_what() {
        String q = fx.queue(aQueue().withMaxConcurrent(3));
        Account alice = fx.user("USER", 2);
        alice.api()
                .post("jobs/batch", aBatch(job(q, "t"), job(q, "t"), job(q, "t")))
                .expect(201);
        WorkerAccount w = fx.worker();
        JsonArray claimed = w.claim(q, 3);
        assertEquals(2, claimed.size(), "alice may run 2 at once");
        JsonObject view = admin.get("queue?queue=" + q).expect(200).json();
        JsonObject active = view.getJsonObject("active");
        assertEquals(2, active.getJsonNumber("slotsUsed").longValue());
        assertEquals(3, active.getInt("slotsMax"));
        JsonObject holder = active.getJsonArray("byUser").getJsonObject(0);
        assertEquals(alice.id(), holder.getString("userId"));
        assertEquals(2, holder.getInt("running"));
        assertEquals(2, view.getJsonArray("userLocks").size());
        assertEquals("USER_LIMIT", view.getJsonArray("jobs").getJsonObject(0).getString("waitingReason"));
    }

    @Test
    void the_fairness_read_lists_the_busiest_users_with_their_quotas_in_one_call() {
        String q = fx.queue();
        String prefix = Fixtures.unique("fair");
        List<Account> users = new ArrayList<>();
        for (String suffix : List.of("a", "b", "c")) {
            String id = prefix + "-" + suffix;
            JsonObject created = admin.post(
                            "admin/users",
                            aUser().withId(id)
                                    .withDisplayName(id)
                                    .withRole("USER")
                                    .withMaxConcurrent(suffix.equals("a") ? 2 : 1))
                    .expect(201)
                    .json();
            users.add(new Account(id, created.getString("token"), admin.as(created.getString("token"))));
        }
        Account a = users.get(0);
        Account b = users.get(1);
        Account c = users.get(2);
        a.api()
                .post("jobs/batch", aBatch(job(q, "t"), job(q, "t"), job(q, "t")))
                .expect(201);
        b.api().post("jobs/batch", aBatch(job(q, "t"), job(q, "t"))).expect(201);
        assertEquals(3, fx.worker().claim(q, 5).size(), "a runs 2 of 2, b 1 of 1");

        JsonObject found = admin.get("admin/fairness?user=" + prefix.toUpperCase())
                .expect(200)
                .json();
        assertEquals(3, found.getJsonNumber("matched").longValue(), "every user whose id contains it, in any case");
        assertTrue(found.getJsonNumber("total").longValue() >= 3);
        JsonArray shares = found.getJsonArray("users");
        assertEquals(
                List.of(a.id(), b.id(), c.id()),
                shares.stream()
                        .map(s -> s.asJsonObject().getJsonObject("user").getString("id"))
                        .toList(),
                "running first, then pending, then id");
        JsonObject first = shares.getJsonObject(0);
        assertEquals(2, first.getJsonObject("user").getInt("running"));
        assertEquals(1, first.getJsonObject("user").getJsonNumber("pending").longValue());
        assertEquals(2, first.getJsonObject("user").getInt("maxConcurrent"));
        assertEquals(a.id(), first.getJsonObject("quota").getString("userId"));
        assertEquals(
                a.api().get("quota/status").expect(200).json(),
                first.getJsonObject("quota"),
                "each user's quota as GET /quota/status answers it");
        assertEquals(0, shares.getJsonObject(2).getJsonObject("user").getInt("running"));

        JsonObject two =
                admin.get("admin/fairness?limit=2&user=" + prefix).expect(200).json();
        assertEquals(2, two.getJsonArray("users").size());
        assertEquals(3, two.getJsonNumber("matched").longValue(), "the count is of all that match");

        // without a filter: only users with jobs running or waiting, busiest first
        JsonArray busy =
                admin.get("admin/fairness?limit=200").expect(200).json().getJsonArray("users");
        List<JsonObject> shown =
                busy.stream().map(s -> s.asJsonObject().getJsonObject("user")).toList();
        assertTrue(
                shown.stream()
                        .allMatch(u -> u.getInt("running") > 0
                                || u.getJsonNumber("pending").longValue() > 0),
                shown.toString());
        for (int i = 1; i < shown.size(); i++) {
            JsonObject before = shown.get(i - 1);
            JsonObject after = shown.get(i);
            assertTrue(
                    before.getInt("running") > after.getInt("running")
                            || before.getInt("running") == after.getInt("running")
                                    && before.getJsonNumber("pending").longValue()
                                            >= after.getJsonNumber("pending").longValue(),
                    "busiest first: " + before + " before " + after);
        }
        assertFalse(shown.stream().anyMatch(u -> u.getString("id").equals(c.id())), "c has nothing running or waiting");

        assertEquals(
                "limit", admin.get("admin/fairness?limit=0").expect(400).json().getString("field"));
        assertEquals(
                "limit",
                admin.get("admin/fairness?limit=201").expect(400).json().getString("field"));
        assertEquals(403, a.api().get("admin/fairness").status(), "a USER sees only itself (GET /me, /quota/status)");
        assertEquals(200, fx.user("VIEWER").api().get("admin/fairness").status());
    }

    @Test
    void a_batch_submit_creates_all_jobs_or_none_and_names_the_bad_item() {
        String q = fx.queue();
        Account alice = fx.user("USER", 1);
        String key = Fixtures.unique("k");
        JsonArray first = alice.api()
                .post("jobs/batch", aBatch(job(q, "a").withIdempotencyKey(key), job(q, "b")))
                .expect(201)
                .array();
        JsonArray again = alice.api()
                .post("jobs/batch", aBatch(job(q, "a").withIdempotencyKey(key)))
                .expect(201)
                .array();
        assertFalse(again.getJsonObject(0).getBoolean("created"), "the same key answers the first job");
        assertEquals(
                first.getJsonObject(0).getJsonObject("job").getJsonNumber("id"),
                again.getJsonObject(0).getJsonObject("job").getJsonNumber("id"));

        // the one-statement path (no keys): payloads verbatim, SCHEDULED when the start lies ahead
        JsonArray bulk = alice.api()
                .post(
                        "jobs/batch",
                        aBatch(
                                job(q, "p")
                                        .withPayload(object("s", "a\"b\\c {x,y}", "n", array(1, null)))
                                        .withProjectId("proj-1"),
                                job(q, "later").withScheduledStartAt("2999-01-01T00:00:00Z")))
                .expect(201)
                .array();
        JsonObject p = admin.get(
                        "jobs/" + bulk.getJsonObject(0).getJsonObject("job").getJsonNumber("id"))
                .expect(200)
                .json();
        assertEquals("a\"b\\c {x,y}", p.getJsonObject("payload").getString("s"));
        assertEquals("proj-1", p.getString("projectId"));
        assertEquals("SCHEDULED", bulk.getJsonObject(1).getJsonObject("job").getString("status"));
        assertEquals(
                List.of("PENDING"),
                admin.get("jobs/" + p.getJsonNumber("id") + "/transitions").expect(200).array().stream()
                        .map(t -> t.asJsonObject().getString("to"))
                        .toList());
        admin.post("jobs/" + bulk.getJsonObject(1).getJsonObject("job").getJsonNumber("id") + "/cancel")
                .expect(200);
        admin.post("jobs/" + p.getJsonNumber("id") + "/cancel").expect(200);

        JsonObject badType = alice.api()
                .post("jobs/batch", aBatch(job(q, "ok"), job(q, "not ok!")))
                .expect(400)
                .json();
        assertEquals("jobs[1].type", badType.getString("field"));
        JsonObject badQueue = alice.api()
                .post("jobs/batch", aBatch(job(q, "ok"), job(q, "ok"), job("no-such-queue", "ok")))
                .expect(400)
                .json();
        assertEquals("jobs[2].queue", badQueue.getString("field"));
        JsonObject farFuture = alice.api()
                .post("jobs/batch", aBatch(job(q, "ok").withScheduledStartAt("+10000-01-01T00:00:00Z")))
                .expect(400)
                .json();
        assertEquals("jobs[0].scheduledStartAt", farFuture.getString("field"));
        JsonObject unknown = alice.api()
                .post("jobs/batch", aBatch(job(q, "ok").with("colour", 1)))
                .expect(400)
                .json();
        assertEquals("jobs[0].colour", unknown.getString("field"));
        assertEquals(
                "jobs",
                alice.api().post("jobs/batch", aBatch()).expect(400).json().getString("field"));
        Batch tooMany = aBatch(Collections.nCopies(1001, job(q, "t")));
        assertEquals(
                "jobs",
                alice.api().post("jobs/batch", tooMany).expect(400).json().getString("field"));
        // nothing of the rejected batches was created: only a and b
        assertEquals(
                2,
                admin.get("queue?queue=" + q)
                        .expect(200)
                        .json()
                        .getJsonObject("counts")
                        .getJsonNumber("PENDING")
                        .longValue());
    }

    @Test
    void batch_start_and_complete_move_each_item_on_its_own_with_its_audit_rows() {
        String q = fx.queue();
        Account alice = fx.user("USER", 3);
        alice.api()
                .post("jobs/batch", aBatch(job(q, "t"), job(q, "t"), job(q, "t")))
                .expect(201);
        WorkerAccount w = fx.worker();
        JsonArray claimed = w.claim(q, 3);
        assertEquals(3, claimed.size());
        LeaseBatch items = aLeaseBatch();
        LeaseBatch done = aLeaseBatch();
        for (int i = 0; i < 3; i++) {
            JsonObject j = claimed.getJsonObject(i);
            String token = i == 2 ? "not-the-lease" : j.getString("leaseToken");
            items.withJob(j.getJsonNumber("id").longValue(), token);
            if (i < 2) {
                done.withJob(j.getJsonNumber("id").longValue(), token, object("ok", true));
            }
        }
        JsonArray started = w.api().post("jobs/start", items).expect(200).array();
        assertEquals("RUNNING", started.getJsonObject(0).getString("status"));
        assertEquals("RUNNING", started.getJsonObject(1).getString("status"));
        JsonObject refused = started.getJsonObject(2);
        assertEquals("DISPATCHED", refused.getString("status"));
        assertTrue(refused.getJsonObject("problem").getString("type").endsWith("/stale-lease"), refused.toString());
        assertFalse(started.getJsonObject(0).containsKey("problem"));

        JsonArray completed = w.api().post("jobs/complete", done).expect(200).array();
        completed.forEach(c -> assertEquals("COMPLETED", c.asJsonObject().getString("status")));
        for (int i = 0; i < 2; i++) {
            long id = claimed.getJsonObject(i).getJsonNumber("id").longValue();
            JsonObject j = admin.get("jobs/" + id).expect(200).json();
            assertEquals(true, j.getJsonObject("result").getBoolean("ok"));
            assertEquals(
                    List.of("PENDING", "DISPATCHED", "RUNNING", "COMPLETED"),
                    admin.get("jobs/" + id + "/transitions").expect(200).array().stream()
                            .map(t -> t.asJsonObject().getString("to"))
                            .toList());
        }
        assertEquals(
                "DISPATCHED",
                admin.get("jobs/" + claimed.getJsonObject(2).getJsonNumber("id"))
                        .expect(200)
                        .json()
                        .getString("status"));
        assertEquals(
                "jobs[0].leaseToken",
                w.api()
                        .post("jobs/complete", aLeaseBatch().withItem(object("id", 1)))
                        .expect(400)
                        .json()
                        .getString("field"));
        assertEquals(403, alice.api().post("jobs/start", items).status());
    }

    @Test
    void a_waiting_claim_is_woken_by_the_submit_not_by_the_poll() throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER", 1);
        WorkerAccount w = fx.worker();
        List<Long> latencies = new ArrayList<>();
        for (int round = 0; round < 7; round++) {
            CompletableFuture<Api.Res> waiting = CompletableFuture.supplyAsync(() ->
                    w.api().post("claims", aClaim(w.workerId()).withQueues(q).withWaitSeconds(20)));
            Thread.sleep(300); // the claim is waiting now
            assertFalse(waiting.isDone());
            alice.api().post("jobs", job(q, "t")).expect(201);
            long submitted = System.nanoTime();
            JsonArray got = waiting.get(10, TimeUnit.SECONDS).expect(200).array();
            latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - submitted));
            assertEquals(1, got.size());
            JsonObject j = got.getJsonObject(0);
            Lease lease = aLease(j.getString("leaseToken"));
            w.api().post("jobs/" + j.getJsonNumber("id") + "/start", lease).expect(200);
            w.api().post("jobs/" + j.getJsonNumber("id") + "/complete", lease).expect(200);
        }
        Collections.sort(latencies);
        System.out.println("long poll: submit-to-claim after the submit's answer (ms, sorted): " + latencies);
        // The backup poll runs every second: poll-only wake-ups would have a median near 500 ms.
        assertTrue(latencies.get(3) < 150, "median " + latencies.get(3) + " ms: " + latencies);
    }

    @Test
    void a_waiting_claim_answers_empty_when_its_time_is_up_and_bad_waits_are_refused() {
        String q = fx.queue();
        WorkerAccount w = fx.worker();
        long start = System.nanoTime();
        JsonArray none = w.api()
                .post("claims", aClaim(w.workerId()).withQueues(q).withWaitSeconds(1))
                .expect(200)
                .array();
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(none.isEmpty());
        assertTrue(waited >= 900 && waited < 4000, "waited " + waited + " ms");
        assertEquals(
                "waitSeconds",
                w.api()
                        .post("claims", aClaim(w.workerId()).withWaitSeconds(61))
                        .expect(400)
                        .json()
                        .getString("field"));
        assertEquals(
                "waitSeconds",
                w.api()
                        .post("claims", aClaim(w.workerId()).with("waitSeconds", "soon"))
                        .expect(400)
                        .json()
                        .getString("field"));
        // many waiters, one job: exactly one gets it, the others answer [] at their deadline
        Account alice = fx.user("USER", 1);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<CompletableFuture<JsonArray>> waiters = IntStream.range(0, 6)
                .mapToObj(i -> CompletableFuture.supplyAsync(
                        () -> w.api()
                                .post(
                                        "claims",
                                        aClaim(w.workerId()).withQueues(q).withWaitSeconds(2))
                                .expect(200)
                                .array(),
                        pool))
                .toList();
        sleep(300);
        alice.api().post("jobs", job(q, "t")).expect(201);
        List<Integer> sizes = waiters.stream()
                .map(CompletableFuture::join)
                .map(JsonArray::size)
                .collect(Collectors.toList());
        pool.shutdown();
        assertEquals(1, sizes.stream().mapToInt(Integer::intValue).sum(), "one job, claimed once: " + sizes);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
