package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
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
}
