package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The operators' console API (issue 17): search filters on jobs and dead letters, bulk actions,
 * workers' running jobs, a project's quota, and the per-minute history.
 */
class OperatorApiIT extends ApiTestBase {

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static long id(Api.Res r) {
        return r.json().getJsonNumber("id").longValue();
    }

    static Set<Long> ids(JsonArray jobs) {
        Set<Long> out = new TreeSet<>();
        jobs.forEach(j -> out.add(j.asJsonObject().getJsonNumber("id").longValue()));
        return out;
    }

    Set<Long> search(Api api, String query) {
        return ids(api.get("jobs?limit=500&" + query).expect(200).json().getJsonArray("items"));
    }

    static void badRequest(Api.Res r, String field) {
        r.expect(400);
        assertEquals(field, r.json().getString("field"), r.body());
    }

    /** Submits a job of {@code owner} and lets a worker fail it for good (the queue allows no retry). */
    long deadLetter(Account owner, WorkerAccount w, String q, String type, String error) {
        long id =
                id(owner.api().post("jobs", aJob().withQueue(q).withType(type)).expect(201));
        JsonArray claimed = w.claim(q, 1);
        assertEquals(1, claimed.size());
        JsonObject job = claimed.getJsonObject(0);
        assertEquals(id, job.getJsonNumber("id").longValue(), "the queue holds this job only");
        w.api()
                .post(
                        "jobs/" + id + "/fail",
                        aFailure(job.getString("leaseToken")).withError(error))
                .expect(200);
        return id;
    }

    @Test
    void jobs_are_found_by_type_payload_containment_error_text_and_creation_time() {
        String q = fx.queue(aQueue().withMaxRetries(0));
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount w = fx.worker();

        OffsetDateTime before = advance(0);
        long intro = id(alice.api()
                .post(
                        "jobs",
                        aJob().withQueue(q).withType("render").withPayload(object("scene", "intro", "frames", 240)))
                .expect(201));
        long outro = id(alice.api()
                .post("jobs", aJob().withQueue(q).withType("render").withPayload(object("scene", "outro")))
                .expect(201));
        OffsetDateTime later = advance(60);
        long encode = id(bob.api()
                .post(
                        "jobs",
                        aJob().withQueue(q)
                                .withType("encode")
                                .withPayload(object("scene", "intro", "meta", object("codec", "av1"))))
                .expect(201));

        String introScene = "payload=" + enc("{\"scene\":\"intro\"}");
        assertEquals(Set.of(intro, encode), search(admin, "queue=" + q + "&" + introScene));
        assertEquals(Set.of(intro), search(admin, "queue=" + q + "&type=render&" + introScene));
        assertEquals(Set.of(encode), search(admin, "queue=" + q + "&payload=" + enc("{\"meta\":{\"codec\":\"av1\"}}")));
        assertEquals(Set.of(intro, outro), search(admin, "queue=" + q + "&type=render"));
        assertEquals(Set.of(intro), search(alice.api(), introScene), "a USER searches its own jobs only");
        assertEquals(
                Set.of(intro, outro, encode), search(admin, "queue=" + q + "&createdFrom=" + enc(before.toString())));
        assertEquals(Set.of(encode), search(admin, "queue=" + q + "&createdFrom=" + enc(later.toString())));
        assertEquals(
                Set.of(intro, outro),
                search(
                        admin,
                        "queue=" + q + "&createdFrom=" + enc(before.toString()) + "&createdTo="
                                + enc(later.toString())));

        badRequest(admin.get("jobs?payload=" + enc("[1,2]")), "payload");
        badRequest(admin.get("jobs?payload=" + enc("\"intro\"")), "payload");
        badRequest(admin.get("jobs?payload=" + enc("{scene")), "payload");
        badRequest(admin.get("jobs?createdFrom=yesterday"), "createdFrom");
        badRequest(admin.get("jobs?createdTo=2026-01-01"), "createdTo");
        alice.api().get("jobs?userId=" + bob.id()).expect(403);

        // the dead letters of the queue, by error text (any case) and user
        String dq = fx.queue(aQueue().withMaxRetries(0));
        long oom = deadLetter(alice, w, dq, "render", "CUDA error: out of memory (100%)");
        long timeout = deadLetter(bob, w, dq, "render", "timed out after 600 s");
        assertEquals(
                Set.of(oom),
                ids(admin.get("dead-letter?queue=" + dq + "&error=cuda%20ERROR")
                        .expect(200)
                        .array()));
        assertEquals(
                Set.of(oom),
                ids(admin.get("dead-letter?queue=" + dq + "&error=" + enc("100%"))
                        .expect(200)
                        .array()));
        assertEquals(
                Set.of(),
                ids(admin.get("dead-letter?queue=" + dq + "&error=" + enc("_"))
                        .expect(200)
                        .array()));
        assertEquals(
                Set.of(timeout),
                ids(admin.get("dead-letter?queue=" + dq + "&userId=" + bob.id())
                        .expect(200)
                        .array()));
        assertEquals(
                Set.of(oom, timeout),
                ids(admin.get("dead-letter?queue=" + dq + "&type=render")
                        .expect(200)
                        .array()));
        assertEquals(
                Set.of(oom),
                ids(alice.api().get("dead-letter?queue=" + dq).expect(200).array()));
        alice.api().get("dead-letter?userId=" + bob.id()).expect(403);
        badRequest(admin.get("dead-letter?payload=x"), "payload");
        assertEquals(Set.of(oom), search(admin, "queue=" + dq + "&status=FAILED&error=memory"));
    }

    static List<Long> longs(JsonArray a) {
        List<Long> out = new ArrayList<>();
        a.forEach(v -> out.add(((jakarta.json.JsonNumber) v).longValue()));
        return out;
    }

    /** {@code n} dead letters of {@code owner} in {@code q} (a queue without retries). */
    List<Long> deadLetters(Account owner, WorkerAccount w, String q, int n, String error) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(deadLetter(owner, w, q, "render", error));
        }
        return out;
    }

    static JsonObject lastTransition(Api api, long id) {
        JsonArray t = api.get("jobs/" + id + "/transitions").expect(200).array();
        return t.getJsonObject(t.size() - 1);
    }

    void noDrift() {
        JsonObject recount = admin.post("admin/recount").expect(200).json();
        assertEquals(0, recount.getJsonArray("drift").size(), "counters equal a recount: " + recount);
    }

    @Test
    void a_bulk_retry_by_filter_retries_each_dead_letter_once_capped_per_call_and_audited() {
        String q = fx.queue(aQueue().withMaxRetries(0));
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        List<Long> dead = deadLetters(alice, w, q, 12, "CUDA out of memory");
        long other = deadLetter(alice, w, q, "render", "disk full");
        Account ops = fx.user("ADMIN");
        JsonObject filter = object("queue", q, "error", "cuda");

        JsonObject dry = admin.post(
                        "admin/jobs/bulk",
                        aBulk("retry", "driver fixed").withFilter(filter).withDryRun(true))
                .expect(200)
                .json();
        assertEquals(12, dry.getJsonNumber("matched").longValue());
        assertEquals(0, dry.getJsonArray("applied").size(), "a dry run changes nothing");
        assertEquals(12, dry.getJsonNumber("remaining").longValue());
        assertEquals(13, search(admin, "queue=" + q).size(), "nothing was created");

        List<Long> created = new ArrayList<>();
        List<Long> applied = new ArrayList<>();
        for (long expectRemaining : new long[] {7, 2, 0}) {
            JsonObject r = ops.api()
                    .post(
                            "admin/jobs/bulk",
                            aBulk("retry", "driver fixed").withFilter(filter).withMax(5))
                    .expect(200)
                    .json();
            assertEquals(expectRemaining, r.getJsonNumber("remaining").longValue(), r.toString());
            assertEquals(0, r.getJsonArray("skipped").size(), r.toString());
            applied.addAll(longs(r.getJsonArray("applied")));
            created.addAll(longs(r.getJsonArray("created")));
        }
        assertEquals(dead, applied, "oldest first, each once");
        assertEquals(12, created.size());
        for (int i = 0; i < created.size(); i++) {
            JsonObject copy = admin.get("jobs/" + created.get(i)).expect(200).json();
            assertEquals("PENDING", copy.getString("status"));
            assertEquals(dead.get(i), copy.getJsonNumber("retryOf").longValue());
            JsonObject first = lastTransition(admin, created.get(i));
            assertEquals(ops.id(), first.getString("triggeredBy"));
            assertEquals("driver fixed", first.getString("reason"));
        }
        JsonObject again = admin.post("admin/jobs/bulk", aBulk("retry", "again").withFilter(filter))
                .expect(200)
                .json();
        assertEquals(0, again.getJsonNumber("matched").longValue(), "a dead letter is retried once");
        assertEquals(25, search(admin, "queue=" + q).size(), "12 new jobs and nothing else");
        assertEquals("FAILED", admin.get("jobs/" + other).expect(200).json().getString("status"));

        // a selection reports what it cannot retry
        JsonObject sel = admin.post(
                        "admin/jobs/bulk",
                        aBulk("retry", "by hand").withIds(dead.get(0), other, created.get(0), 999999999L))
                .expect(200)
                .json();
        assertEquals(4, sel.getJsonNumber("matched").longValue());
        assertEquals(List.of(other), longs(sel.getJsonArray("applied")));
        assertEquals(3, sel.getJsonArray("skipped").size(), sel.toString());
        assertEquals(0, sel.getJsonNumber("remaining").longValue());
        noDrift();
    }

    @Test
    void bulk_cancel_and_reprioritize_move_waiting_jobs_skip_the_others_and_keep_the_counters() throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        long running =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        assertEquals(1, w.claim(q, 1).size());
        List<Long> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiting.add(id(alice.api()
                    .post("jobs", aJob().withQueue(q).withType("t").withPayload(object("batch", i % 2)))
                    .expect(201)));
        }
        alice.api().post("jobs/" + waiting.get(3) + "/pause").expect(200);

        // reprioritize by filter: the payload's batch 1 jobs
        JsonObject re = admin.post(
                        "admin/jobs/bulk",
                        aBulk("reprioritize", "customer escalation")
                                .withPriority(50)
                                .withFilter(object("queue", q, "payload", object("batch", 1))))
                .expect(200)
                .json();
        assertEquals(List.of(waiting.get(1), waiting.get(3)), longs(re.getJsonArray("applied")));
        JsonObject boosted = admin.get("jobs/" + waiting.get(1)).expect(200).json();
        assertEquals(50, boosted.getInt("priority"));
        JsonObject row = lastTransition(admin, waiting.get(1));
        assertEquals("PENDING", row.getString("from"));
        assertEquals("PENDING", row.getString("to"));
        assertEquals("customer escalation", row.getString("reason"));
        noDrift();

        // a job another transaction holds right now is skipped, not waited for
        try (java.sql.Connection c = io.fairqueue.it.support.AuditTrail.db()) {
            c.setAutoCommit(false);
            c.createStatement().execute("SELECT 1 FROM job WHERE id = " + waiting.get(2) + " FOR UPDATE");
            JsonObject held = admin.post(
                            "admin/jobs/bulk", aBulk("cancel", "tidy up").withIds(waiting.get(2), waiting.get(0)))
                    .expect(200)
                    .json();
            assertEquals(List.of(waiting.get(0)), longs(held.getJsonArray("applied")));
            assertEquals(
                    waiting.get(2),
                    held.getJsonArray("skipped")
                            .getJsonObject(0)
                            .getJsonNumber("id")
                            .longValue());
            assertTrue(held.getJsonArray("skipped")
                    .getJsonObject(0)
                    .getString("reason")
                    .contains("held"));
            c.rollback();
        }

        // cancel by selection: waiting ones move; the running one, a cancelled one and an unknown id are skipped
        JsonObject cancel = admin.post(
                        "admin/jobs/bulk",
                        aBulk("cancel", "queue retired")
                                .withIds(
                                        running,
                                        waiting.get(0),
                                        waiting.get(1),
                                        waiting.get(2),
                                        waiting.get(3),
                                        999999999L))
                .expect(200)
                .json();
        assertEquals(List.of(waiting.get(1), waiting.get(2), waiting.get(3)), longs(cancel.getJsonArray("applied")));
        assertEquals(3, cancel.getJsonArray("skipped").size(), cancel.toString());
        assertEquals(0, cancel.getJsonArray("created").size());
        for (long id : waiting) {
            assertEquals("CANCELLED", admin.get("jobs/" + id).expect(200).json().getString("status"));
        }
        JsonObject paused = lastTransition(admin, waiting.get(3));
        assertEquals("PAUSED", paused.getString("from"));
        assertEquals("queue retired", paused.getString("reason"));
        assertEquals(admin.get("me").expect(200).json().getString("id"), paused.getString("triggeredBy"));
        assertEquals(
                "DISPATCHED", admin.get("jobs/" + running).expect(200).json().getString("status"));
        noDrift();
    }

    @Test
    void bulk_input_is_checked_and_only_an_admin_may_act() {
        String q = fx.queue();
        JsonObject f = object("queue", q);
        badRequest(admin.post("admin/jobs/bulk", aBulk("cancel", "x")), "ids");
        badRequest(admin.post("admin/jobs/bulk", aBulk("cancel", "x").withIds(1).withFilter(f)), "filter");
        badRequest(admin.post("admin/jobs/bulk", aBulk("reprioritize", "x").withFilter(f)), "priority");
        badRequest(
                admin.post(
                        "admin/jobs/bulk",
                        aBulk("reprioritize", "x").withPriority(101).withFilter(f)),
                "priority");
        badRequest(
                admin.post(
                        "admin/jobs/bulk", aBulk("cancel", "x").withPriority(5).withFilter(f)),
                "priority");
        badRequest(admin.post("admin/jobs/bulk", aBulk("cancel", " ").withFilter(f)), "reason");
        badRequest(
                admin.post("admin/jobs/bulk", aBulk("cancel", "x").withFilter(f).without("reason")), "reason");
        badRequest(admin.post("admin/jobs/bulk", aBulk("delete", "x").withFilter(f)), "action");
        badRequest(
                admin.post("admin/jobs/bulk", aBulk("cancel", "x").withFilter(f).withMax(0)), "max");
        badRequest(
                admin.post("admin/jobs/bulk", aBulk("cancel", "x").withFilter(f).withMax(1001)), "max");
        badRequest(
                admin.post("admin/jobs/bulk", aBulk("cancel", "x").withFilter(object("queue", q, "status", "RUNNING"))),
                "filter.status");
        badRequest(
                admin.post("admin/jobs/bulk", aBulk("cancel", "x").withFilter(object("payload", array(1)))),
                "filter.payload");
        badRequest(
                admin.post("admin/jobs/bulk", aBulk("cancel", "x").withFilter(object("colour", "red"))),
                "filter.colour");
        for (String role : List.of("VIEWER", "USER", "WORKER")) {
            fx.user(role)
                    .api()
                    .post("admin/jobs/bulk", aBulk("cancel", "x").withFilter(f))
                    .expect(403);
        }
    }

    @Test
    void workers_show_the_jobs_they_run_now_to_an_admin_and_a_viewer() {
        String q = fx.queue();
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        List<Long> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(id(
                    alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201)));
        }
        JsonArray claimed = w.claim(q, 2);
        assertEquals(2, claimed.size());
        JsonObject first = claimed.getJsonObject(0);
        w.api()
                .post("jobs/" + first.getJsonNumber("id") + "/start", aLease(first.getString("leaseToken")))
                .expect(200);
        List<Long> running = new ArrayList<>(ids(claimed));

        Account viewer = fx.user("VIEWER");
        for (Api api : List.of(admin, viewer.api(), w.api())) {
            JsonObject mine = null;
            for (JsonValue v : api.get("workers").expect(200).array()) {
                if (v.asJsonObject().getString("id").equals(w.workerId())) {
                    mine = v.asJsonObject();
                }
            }
            assertEquals(2, mine.getInt("running"), mine.toString());
            assertEquals(running, longs(mine.getJsonArray("runningJobIds")));
            assertTrue(mine.getBoolean("online"));
        }
        JsonObject one = admin.get("workers/" + w.workerId()).expect(200).json();
        assertEquals(2, one.getInt("running"));
        w.api()
                .post("jobs/" + first.getJsonNumber("id") + "/complete", aCompletion(first.getString("leaseToken")))
                .expect(200);
        assertEquals(
                1,
                viewer.api().get("workers/" + w.workerId()).expect(200).json().getInt("running"));
    }

    @Test
    void a_projects_quota_shows_its_limits_and_usage_to_an_admin_and_a_viewer() {
        String project = io.fairqueue.it.support.Fixtures.unique("proj");
        JsonObject none =
                admin.get("admin/projects/" + project + "/quota").expect(200).json();
        assertEquals(project, none.getString("projectId"));
        assertTrue(!none.containsKey("dailyLimitSecs"), "no quota: unlimited");
        assertEquals(0.0, none.getJsonObject("day").getJsonNumber("usedSecs").doubleValue());

        admin.put(
                        "admin/projects/" + project + "/quota",
                        aQuota().withDailyLimitSecs(100).withWeeklyLimitSecs(1000))
                .expect(200);
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        long id = id(alice.api()
                .post("jobs", aJob().withQueue(q).withType("t").withProjectId(project))
                .expect(201));
        JsonObject job = w.claim(q, 1).getJsonObject(0);
        assertEquals(id, job.getJsonNumber("id").longValue());
        w.api()
                .post("jobs/" + id + "/start", aLease(job.getString("leaseToken")))
                .expect(200);
        advance(85);
        w.api()
                .post("jobs/" + id + "/complete", aCompletion(job.getString("leaseToken")))
                .expect(200);

        Account viewer = fx.user("VIEWER");
        JsonObject st = viewer.api()
                .get("admin/projects/" + project + "/quota")
                .expect(200)
                .json();
        assertEquals(100, st.getJsonNumber("dailyLimitSecs").longValue());
        assertEquals(1000, st.getJsonNumber("weeklyLimitSecs").longValue());
        double used = st.getJsonObject("day").getJsonNumber("usedSecs").doubleValue();
        assertTrue(used >= 85 && used < 90, st.toString());
        assertEquals(100, st.getJsonObject("day").getJsonNumber("limitSecs").longValue());
        assertTrue(st.getBoolean("warning"), "85 % of the daily limit");
        assertTrue(!st.getBoolean("exhausted"));
        assertTrue(!st.getJsonObject("month").containsKey("limitSecs"), "projects have no monthly plan");
        badRequest(admin.get("admin/projects/-x/quota"), "id");
        alice.api().get("admin/projects/" + project + "/quota").expect(403);
    }

    @Test
    void the_history_shows_the_jobs_a_test_ran_in_the_minute_they_ended() throws Exception {
        String q = fx.queue(aQueue().withMaxRetries(0));
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        for (int i = 0; i < 3; i++) {
            alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201);
        }
        advance(30);
        JsonArray claimed = w.claim(q, 3);
        assertEquals(3, claimed.size());
        for (int i = 0; i < 2; i++) {
            JsonObject j = claimed.getJsonObject(i);
            w.api()
                    .post("jobs/" + j.getJsonNumber("id") + "/start", aLease(j.getString("leaseToken")))
                    .expect(200);
        }
        advance(10);
        OffsetDateTime ended = null;
        for (int i = 0; i < 2; i++) {
            JsonObject j = claimed.getJsonObject(i);
            ended = OffsetDateTime.parse(w.api()
                    .post("jobs/" + j.getJsonNumber("id") + "/complete", aCompletion(j.getString("leaseToken")))
                    .expect(200)
                    .json()
                    .getString("finishedAt"));
        }
        JsonObject third = claimed.getJsonObject(2);
        w.api()
                .post(
                        "jobs/" + third.getJsonNumber("id") + "/fail",
                        aFailure(third.getString("leaseToken")).withError("boom"))
                .expect(200);
        alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201);
        advance(120);
        try (javax.management.remote.JMXConnector c = javax.management.remote.JMXConnectorFactory.connect(
                new javax.management.remote.JMXServiceURL(io.fairqueue.it.support.JmxPort.url()))) {
            c.getMBeanServerConnection()
                    .invoke(new javax.management.ObjectName("fairqueue:type=Timer,name=History"), "runNow", null, null);
        }

        OffsetDateTime minute = ended.withOffsetSameInstant(java.time.ZoneOffset.UTC)
                .truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        Account viewer = fx.user("VIEWER");
        JsonObject h = viewer.api()
                .get("admin/history?queue=" + q + "&range=hour")
                .expect(200)
                .json();
        assertEquals(60, h.getInt("bucketSeconds"));
        JsonArray points = h.getJsonArray("points");
        assertEquals(60, points.size());
        JsonObject p = null;
        long completed = 0;
        Long depth = null;
        for (JsonValue v : points) {
            JsonObject o = v.asJsonObject();
            if (OffsetDateTime.parse(o.getString("at")).isEqual(minute)) {
                p = o;
            }
            completed += o.getJsonNumber("completed").longValue();
            if (o.containsKey("pendingDepth")) {
                depth = o.getJsonNumber("pendingDepth").longValue();
            }
        }
        assertTrue(p != null, "a point for " + minute + " in " + h);
        assertEquals(2, p.getJsonNumber("completed").longValue(), p.toString());
        assertEquals(1, p.getJsonNumber("failed").longValue(), p.toString());
        assertEquals(2, completed, "nothing else completed in the queue");
        long wait = p.getJsonNumber("waitP50Ms").longValue();
        assertTrue(wait >= 30_000 && wait < 32_000, p.toString());
        long run = p.getJsonNumber("runP50Ms").longValue();
        assertTrue(run >= 10_000 && run < 12_000, p.toString());
        assertEquals(1L, depth, "the job still pending");

        advance(300); // the day's points end with the last whole five minutes
        JsonObject day =
                admin.get("admin/history?queue=" + q + "&range=day").expect(200).json();
        assertEquals(288, day.getJsonArray("points").size());
        long dayCompleted = 0;
        for (JsonValue v : day.getJsonArray("points")) {
            dayCompleted += v.asJsonObject().getJsonNumber("completed").longValue();
        }
        assertEquals(2, dayCompleted);
        JsonObject all = admin.get("admin/history").expect(200).json();
        assertEquals(60, all.getJsonArray("points").size());
        badRequest(admin.get("admin/history?range=week"), "range");
        admin.get("admin/history?queue=no-such-queue-" + q).expect(404);
        alice.api().get("admin/history").expect(403);
    }
}
