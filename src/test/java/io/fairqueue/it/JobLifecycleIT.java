package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The whole job lifecycle over HTTP against Payara Micro and PostgreSQL. */
class JobLifecycleIT extends ApiTestBase {

    static String submit(Account user, String queue) {
        return submit(user, queue, aJob());
    }

    /** Submits {@code job} as a render job of {@code queue}. */
    static String submit(Account user, String queue, Job job) {
        return user.api()
                .post("jobs", job.withQueue(queue).withType("render"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
    }

    static List<String> statuses(JsonArray transitions) {
        return transitions.stream()
                .map(v -> v.asJsonObject())
                .map(t -> (t.containsKey("from") ? t.getString("from") : "") + ">" + t.getString("to"))
                .toList();
    }

    @Test
    void a_job_is_submitted_claimed_started_heartbeated_and_completed_with_every_step_audited() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();

        JsonObject submitted = alice.api()
                .post(
                        "jobs",
                        aJob().withQueue(q)
                                .withType("render")
                                .withPayload(object("frames", 24))
                                .withPriority(URGENT))
                .expect(201)
                .json();
        String id = submitted.getJsonNumber("id").toString();
        assertEquals("PENDING", submitted.getString("status"));
        assertEquals(10, submitted.getInt("priority"));
        assertEquals(1, submitted.getInt("userPosition"));
        assertTrue(submitted.getInt("position") >= 1);
        assertNotNull(submitted.getString("estimatedStartAt"));
        assertEquals("AHEAD_IN_QUEUE", submitted.getString("waitingReason"));

        JsonArray claimed = w.claim(q, 5);
        assertEquals(1, claimed.size());
        JsonObject job = claimed.getJsonObject(0);
        assertEquals(id, job.getJsonNumber("id").toString());
        assertEquals("DISPATCHED", job.getString("status"));
        assertEquals(24, job.getJsonObject("payload").getInt("frames"));
        assertEquals(1, job.getInt("attempts"));
        String lease = job.getString("leaseToken");
        OffsetDateTime expires = OffsetDateTime.parse(job.getString("leaseExpiresAt"));

        assertEquals(
                "RUNNING",
                w.api()
                        .post("jobs/" + id + "/start", aLease(lease))
                        .expect(200)
                        .json()
                        .getString("status"));
        JsonObject hb = w.api()
                .post("jobs/" + id + "/heartbeat", aLease(lease))
                .expect(200)
                .json();
        assertFalse(hb.getBoolean("pauseRequested"));
        assertFalse(hb.getBoolean("cancelRequested"));
        assertFalse(OffsetDateTime.parse(hb.getString("leaseExpiresAt")).isBefore(expires));

        JsonObject done = w.api()
                .post("jobs/" + id + "/complete", aCompletion(lease).withResult(object("url", "s3://x")))
                .expect(200)
                .json();
        assertEquals("COMPLETED", done.getString("status"));
        assertEquals("s3://x", done.getJsonObject("result").getString("url"));
        assertTrue(done.getJsonNumber("actualDurationSecs").doubleValue() >= 0);
        assertNotNull(done.getString("finishedAt"));

        JsonArray log =
                alice.api().get("jobs/" + id + "/transitions").expect(200).array();
        assertEquals(
                List.of(">PENDING", "PENDING>DISPATCHED", "DISPATCHED>RUNNING", "RUNNING>COMPLETED"), statuses(log));
        assertEquals(alice.id(), log.getJsonObject(0).getString("triggeredBy"));
        assertEquals(w.account().id(), log.getJsonObject(1).getString("triggeredBy"));

        JsonObject stats = admin.get("queues/" + q + "/stats").expect(200).json();
        assertEquals(1, stats.getJsonObject("counts").getInt("COMPLETED"));
        assertEquals(1, stats.getInt("completedLastHour"));
        assertEquals(0, stats.getInt("deadLetter"));
        assertTrue(stats.containsKey("avgWaitSecs"));
        assertTrue(stats.containsKey("avgDurationSecs"));

        assertEquals(
                409, w.api().post("jobs/" + id + "/complete", aLease(lease)).status());
    }

    @Test
    void failed_attempts_back_off_exponentially_then_dead_letter_and_retry_as_a_new_job() {
        String q = fx.queue(aQueue().withMaxRetries(2).withRetryBaseDelaySeconds(30));
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String id = submit(alice, q);

        for (int attempt = 1; attempt <= 3; attempt++) {
            JsonArray claimed = w.claimWithin(q, 1);
            assertEquals(1, claimed.size(), "attempt " + attempt + " is claimable");
            assertEquals(attempt, claimed.getJsonObject(0).getInt("attempts"));
            String lease = claimed.getJsonObject(0).getString("leaseToken");
            JsonObject failed = w.api()
                    .post("jobs/" + id + "/fail", aFailure(lease).withError("GPU fell over"))
                    .expect(200)
                    .json();
            assertEquals("GPU fell over", failed.getString("lastError"));
            if (attempt < 3) {
                assertEquals("RETRY_WAIT", failed.getString("status"));
                long delay = Duration.between(
                                OffsetDateTime.parse(lastTransitionAt(alice, id)),
                                OffsetDateTime.parse(failed.getString("nextRetryAt")))
                        .toSeconds();
                assertEquals(30L << (attempt - 1), delay, "backoff of attempt " + attempt);
                JsonObject waiting = alice.api().get("jobs/" + id).expect(200).json();
                assertEquals("RETRY_BACKOFF", waiting.getString("waitingReason"));
                assertEquals(0, w.claim(q, 1).size(), "not claimable during backoff");
                admin.post("test/clock/advance?seconds=" + delay).expect(200);
            } else {
                assertEquals("FAILED", failed.getString("status"));
            }
        }

        JsonArray dead = alice.api().get("dead-letter?queue=" + q).expect(200).array();
        assertEquals(1, dead.size());
        assertEquals(id, dead.getJsonObject(0).getJsonNumber("id").toString());
        assertEquals(1, admin.get("queues/" + q + "/stats").json().getInt("deadLetter"));

        JsonObject copy = alice.api().post("jobs/" + id + "/retry").expect(201).json();
        assertNotEquals(id, copy.getJsonNumber("id").toString());
        assertEquals(id, copy.getJsonNumber("retryOf").toString());
        assertEquals("PENDING", copy.getString("status"));
        assertEquals(0, copy.getInt("attempts"));
        assertEquals("FAILED", alice.api().get("jobs/" + id).json().getString("status"), "the old job stays dead");

        JsonObject notDead = alice.api()
                .post("jobs/" + copy.getJsonNumber("id") + "/retry")
                .expect(409)
                .json();
        assertEquals("PENDING", notDead.getString("currentState"));
    }

    private static String lastTransitionAt(Account user, String id) {
        JsonArray log = user.api().get("jobs/" + id + "/transitions").array();
        return log.getJsonObject(log.size() - 1).getString("at");
    }

    @Test
    void a_failure_marked_not_retryable_goes_straight_to_the_dead_letter_queue() {
        String q = fx.queue(aQueue().withMaxRetries(5));
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String id = submit(alice, q);
        String lease = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        w.api().post("jobs/" + id + "/start", aLease(lease)).expect(200);
        JsonObject failed = w.api()
                .post(
                        "jobs/" + id + "/fail",
                        aFailure(lease).withError("bad input").withRetryable(false))
                .expect(200)
                .json();
        assertEquals("FAILED", failed.getString("status"));
        assertEquals(
                List.of(">PENDING", "PENDING>DISPATCHED", "DISPATCHED>RUNNING", "RUNNING>FAILED"),
                statuses(alice.api().get("jobs/" + id + "/transitions").array()));
    }

    @Test
    void a_stale_lease_is_fenced_after_pause_and_after_the_job_is_claimed_again() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String id = submit(alice, q);
        String first = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        w.api().post("jobs/" + id + "/start", aLease(first)).expect(200);

        assertEquals(
                "PAUSED",
                alice.api()
                        .post("jobs/" + id + "/pause", aReason("need the GPU"))
                        .expect(200)
                        .json()
                        .getString("status"));
        JsonObject hb = w.api()
                .post("jobs/" + id + "/heartbeat", aLease(first))
                .expect(200)
                .json();
        assertTrue(hb.getBoolean("pauseRequested"));
        JsonObject refused = w.api()
                .post("jobs/" + id + "/complete", aLease(first))
                .expect(409)
                .json();
        assertEquals("PAUSED", refused.getString("currentState"));
        assertEquals("PAUSED", alice.api().get("jobs/" + id).json().getString("status"));

        assertEquals(
                "PENDING",
                alice.api().post("jobs/" + id + "/resume").expect(200).json().getString("status"));
        JsonObject again = w.claim(q, 1).getJsonObject(0);
        String second = again.getString("leaseToken");
        assertNotEquals(first, second);
        assertEquals(2, again.getInt("attempts"));

        JsonObject stale = w.api()
                .post("jobs/" + id + "/complete", aLease(first))
                .expect(409)
                .json();
        assertTrue(stale.getString("type").endsWith("/stale-lease"), stale.toString());
        assertEquals(
                409,
                w.api()
                        .post("jobs/" + id + "/fail", aFailure(first).withError("late"))
                        .status());
        assertEquals(
                409, w.api().post("jobs/" + id + "/heartbeat", aLease(first)).status());
        assertEquals(
                "DISPATCHED",
                alice.api().get("jobs/" + id).json().getString("status"),
                "the stale calls changed nothing");

        w.api().post("jobs/" + id + "/start", aLease(second)).expect(200);
        assertEquals(
                "COMPLETED",
                w.api()
                        .post("jobs/" + id + "/complete", aLease(second))
                        .expect(200)
                        .json()
                        .getString("status"));
        JsonObject pause =
                alice.api().get("jobs/" + id + "/transitions").array().getJsonObject(3);
        assertEquals("need the GPU", pause.getString("reason"));
        assertEquals(alice.id(), pause.getString("triggeredBy"));
    }

    @Test
    void cancelling_a_running_job_tells_its_worker_and_refuses_its_completion() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String id = submit(alice, q);
        String lease = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        w.api().post("jobs/" + id + "/start", aLease(lease)).expect(200);
        assertEquals(
                "CANCELLED",
                alice.api().post("jobs/" + id + "/cancel").expect(200).json().getString("status"));
        assertTrue(w.api()
                .post("jobs/" + id + "/heartbeat", aLease(lease))
                .expect(200)
                .json()
                .getBoolean("cancelRequested"));
        assertEquals(
                409, w.api().post("jobs/" + id + "/complete", aLease(lease)).status());
        JsonObject again =
                alice.api().post("jobs/" + id + "/resume").expect(409).json();
        assertEquals("CANCELLED", again.getString("currentState"));
        assertEquals(0, again.getJsonArray("allowedTargets").size());
    }

    @Test
    void the_same_idempotency_key_from_the_same_user_returns_the_first_job_and_creates_nothing() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        String body = aJob().withQueue(q).withType("render").toString();
        Api.Res first = alice.api()
                .post("jobs", body, java.util.Map.of("Idempotency-Key", "order-42"))
                .expect(201);
        Api.Res second = alice.api()
                .post("jobs", body, java.util.Map.of("Idempotency-Key", "order-42"))
                .expect(200);
        assertEquals(first.json().getJsonNumber("id"), second.json().getJsonNumber("id"));
        assertEquals("true", second.header("Idempotent-Replayed"));
        Api.Res others = bob.api()
                .post("jobs", body, java.util.Map.of("Idempotency-Key", "order-42"))
                .expect(201);
        assertNotEquals(first.json().getJsonNumber("id"), others.json().getJsonNumber("id"));
        assertEquals(
                1,
                alice.api().get("jobs?queue=" + q).json().getJsonArray("items").size());
    }

    @Test
    void concurrent_submits_with_one_idempotency_key_create_exactly_one_job() throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER");
        String body = aJob().withQueue(q).withType("render").toString();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Api.Res>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(
                        pool.submit(() -> alice.api().post("jobs", body, java.util.Map.of("Idempotency-Key", "same"))));
            }
            java.util.Set<String> ids = new java.util.HashSet<>();
            int created = 0;
            for (var f : answers) {
                Api.Res r = f.get();
                assertTrue(r.status() == 201 || r.status() == 200, r.body());
                created += r.status() == 201 ? 1 : 0;
                ids.add(r.json().getJsonNumber("id").toString());
            }
            assertEquals(1, created);
            assertEquals(1, ids.size());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(
                1,
                alice.api().get("jobs?queue=" + q).json().getJsonArray("items").size());
    }

    @Test
    void a_scheduled_job_waits_for_its_start_time_then_becomes_claimable() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String start = OffsetDateTime.now().plusDays(3).toString();
        JsonObject job = alice.api()
                .post("jobs", aJob().withQueue(q).withType("render").withScheduledStartAt(start))
                .expect(201)
                .json();
        assertEquals("SCHEDULED", job.getString("status"));
        assertEquals("SCHEDULED", job.getString("waitingReason"));
        assertEquals(0, w.claim(q, 1).size());
        admin.post("test/clock/advance?seconds="
                        + Duration.ofDays(3).plusMinutes(1).toSeconds())
                .expect(200);
        JsonArray claimed = w.claimWithin(q, 1);
        assertEquals(1, claimed.size());
        assertEquals(
                List.of(">SCHEDULED", "SCHEDULED>PENDING", "PENDING>DISPATCHED"),
                statuses(alice.api()
                        .get("jobs/" + job.getJsonNumber("id") + "/transitions")
                        .array()));
    }

    @Test
    void claims_follow_priority_then_age_and_a_user_filter_claims_that_users_next_job() {
        String q = fx.queue();
        Account alice = fx.user("USER", 10);
        Account bob = fx.user("USER");
        WorkerAccount w = fx.worker();
        String background = submit(alice, q, aJob().withPriority(BACKGROUND));
        String normal1 = submit(alice, q);
        String urgent = submit(alice, q, aJob().withPriority("urgent"));
        String five = submit(alice, q, aJob().withPriority(5));
        String normal2 = submit(alice, q, aJob().withPriority(0));
        String bobs = submit(bob, q, aJob().withPriority(-50));

        JsonObject view = alice.api().get("jobs/" + normal2).json();
        assertEquals(4, view.getInt("userPosition"), "urgent, 5 and the older normal are ahead");

        JsonArray forBob = w.api()
                .post(
                        "claims",
                        aClaim(w.workerId()).withQueues(q).withUserId(bob.id()).withLimit(5))
                .expect(200)
                .array();
        assertEquals(1, forBob.size());
        assertEquals(bobs, forBob.getJsonObject(0).getJsonNumber("id").toString());

        JsonArray claimed = w.claim(q, 10);
        assertEquals(
                List.of(urgent, five, normal1, normal2, background),
                claimed.stream()
                        .map(v -> v.asJsonObject().getJsonNumber("id").toString())
                        .toList());
        assertEquals(0, w.claim(q, 10).size());
    }

    @Test
    void queues_are_created_configured_paused_resumed_and_cleared_without_deleting_jobs() {
        String q = fx.queue(aQueue().withDescription("renders").withMaxConcurrent(3));
        assertEquals(409, admin.post("queues", aQueue().withName(q)).status());
        assertTrue(admin.get("queues").array().stream()
                .anyMatch(v -> v.asJsonObject().getString("name").equals(q)));
        JsonObject patched = admin.patch(
                        "queues/" + q,
                        aQueue().withLeaseSeconds(120).withMaxConcurrent(null).withMaxRetries(7))
                .expect(200)
                .json();
        assertEquals(120, patched.getInt("leaseSeconds"));
        assertEquals(7, patched.getInt("maxRetries"));
        assertFalse(patched.containsKey("maxConcurrent"));
        assertEquals("renders", admin.get("queues/" + q).expect(200).json().getString("description"));
        assertFalse(admin.patch("queues/" + q, aQueue().withDescription(null))
                .expect(200)
                .json()
                .containsKey("description"));

        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String a = submit(alice, q);
        assertEquals(7, alice.api().get("jobs/" + a).json().getInt("maxRetries"), "queue default applies");
        assertTrue(admin.post("queues/" + q + "/pause").expect(200).json().getBoolean("paused"));
        assertEquals("QUEUE_PAUSED", alice.api().get("jobs/" + a).json().getString("waitingReason"));
        assertEquals(0, w.claim(q, 1).size(), "a paused queue hands out nothing");
        admin.post("queues/" + q + "/resume").expect(200);
        assertEquals(1, w.claim(q, 1).size());

        String b = submit(alice, q);
        admin.post("queues/" + q + "/pause").expect(200);
        assertEquals(
                List.of("QUEUE_PAUSED", "USER_LIMIT"),
                alice.api()
                        .get("jobs/" + b)
                        .json()
                        .getJsonArray("waitingReasons")
                        .getValuesAs(jakarta.json.JsonString::getString),
                "every reason, in the claim's order: a paused queue, alice at her limit");
        admin.post("queues/" + q + "/resume").expect(200);
        String c = submit(alice, q);
        alice.api().post("jobs/" + c + "/pause").expect(200);
        String later = submit(
                alice, q, aJob().withScheduledStartAt(OffsetDateTime.now().plusDays(30)));
        JsonObject cleared =
                alice.api().delete("queues/" + q + "/jobs").expect(200).json();
        assertEquals(3, cleared.getInt("cancelled"));
        for (String id : List.of(b, c, later)) {
            JsonObject job = alice.api().get("jobs/" + id).expect(200).json();
            assertEquals("CANCELLED", job.getString("status"));
            JsonArray log = alice.api().get("jobs/" + id + "/transitions").array();
            assertEquals("queue cleared", log.getJsonObject(log.size() - 1).getString("reason"));
        }
        assertEquals(
                "DISPATCHED", alice.api().get("jobs/" + a).json().getString("status"), "claimed jobs are not cleared");
        assertEquals(404, admin.get("queues/nope-" + q).status());
    }

    @Test
    void jobs_are_listed_newest_first_in_pages_with_filters() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(submit(alice, q));
        }
        alice.api().post("jobs/" + ids.get(0) + "/cancel").expect(200);
        List<String> seen = new java.util.ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonObject page = alice.api()
                    .get("jobs?queue=" + q + "&limit=2" + (cursor == null ? "" : "&cursor=" + cursor))
                    .expect(200)
                    .json();
            page.getJsonArray("items")
                    .forEach(v -> seen.add(v.asJsonObject().getJsonNumber("id").toString()));
            cursor = page.containsKey("nextCursor") ? page.getString("nextCursor") : null;
            pages++;
        } while (cursor != null);
        assertEquals(3, pages);
        List<String> newestFirst = new java.util.ArrayList<>(ids);
        java.util.Collections.reverse(newestFirst);
        assertEquals(newestFirst, seen);
        JsonArray cancelled =
                alice.api().get("jobs?queue=" + q + "&status=cancelled").json().getJsonArray("items");
        assertEquals(1, cancelled.size());
        assertEquals(ids.get(0), cancelled.getJsonObject(0).getJsonNumber("id").toString());
        assertEquals(
                5,
                admin.get("jobs?queue=" + q + "&userId=" + alice.id())
                        .json()
                        .getJsonArray("items")
                        .size());
    }

    @Test
    void admins_manage_users_limits_and_tokens() {
        Account carol = fx.user("USER");
        assertEquals(
                409,
                admin.post(
                                "admin/users",
                                aUser().withId(carol.id()).withDisplayName("x").withRole("USER"))
                        .status());
        JsonObject patched = admin.patch(
                        "admin/users/" + carol.id(),
                        aUser().withMaxConcurrent(3).withMonthlyHoursLimit(12.5).withDisplayName("Carol"))
                .expect(200)
                .json();
        assertEquals(3, patched.getInt("maxConcurrent"));
        assertEquals(12.5, patched.getJsonNumber("monthlyHoursLimit").doubleValue());
        assertEquals(
                "Carol",
                admin.get("admin/users/" + carol.id()).expect(200).json().getString("displayName"));
        assertFalse(admin.patch("admin/users/" + carol.id(), aUser().withMonthlyHoursLimit(null))
                .expect(200)
                .json()
                .containsKey("monthlyHoursLimit"));
        assertTrue(admin.get("admin/users").expect(200).array().stream()
                .anyMatch(v -> v.asJsonObject().getString("id").equals(carol.id())));
        String second = admin.post("admin/users/" + carol.id() + "/tokens")
                .expect(201)
                .json()
                .getString("token");
        assertNotEquals(carol.token(), second);
        assertEquals(200, admin.as(second).get("queues").status(), "the new token works");
        assertEquals(200, carol.api().get("queues").status(), "and the old one still does");
        assertEquals(404, admin.get("admin/users/nobody-" + carol.id()).status());
    }

    @Test
    void workers_register_heartbeat_and_are_listed() {
        WorkerAccount w = fx.worker();
        JsonObject beat = w.api()
                .post("workers/" + w.workerId() + "/heartbeat")
                .expect(200)
                .json();
        assertEquals(w.workerId(), beat.getString("id"));
        assertEquals(4, beat.getInt("capacity"));
        JsonArray mine = w.api().get("workers").expect(200).array();
        assertEquals(1, mine.size());
        assertTrue(admin.get("workers").array().size() >= 1);
        String q = fx.queue();
        JsonObject withQueues = w.api()
                .post("workers", aWorker("gpu").withQueues(q).withCallbackUrl("http://127.0.0.1:9/jobs"))
                .expect(201)
                .json();
        assertEquals(List.of(q), withQueues.getJsonArray("queues").getValuesAs(jakarta.json.JsonString::getString));
        assertEquals(
                404,
                w.api()
                        .post("workers/" + java.util.UUID.randomUUID() + "/heartbeat")
                        .status());
    }
}
