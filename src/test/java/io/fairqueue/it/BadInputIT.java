package io.fairqueue.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input answers a 4xx problem document naming the field, never a 500, and changes nothing.
 */
class BadInputIT extends ApiTestBase {

    record Case(
            String name,
            String method,
            String path,
            String body,
            Map<String, String> headers,
            int status,
            String field) {}

    static Case c(String name, String method, String path, String body, int status, String field) {
        return new Case(name, method, path, body, Map.of(), status, field);
    }

    static Executable check(Api api, Case c) {
        return () -> {
            Api.Res r = api.send(c.method(), c.path(), c.body(), c.headers());
            assertEquals(c.status(), r.status(), c.name() + ": " + r.body());
            assertTrue(r.contentType().startsWith("application/problem+json"), c.name() + ": " + r.contentType());
            JsonObject p = r.json();
            assertTrue(p.getString("type").startsWith("https://fairqueue.io/problems/"), c.name());
            assertEquals(c.status(), p.getInt("status"), c.name());
            if (c.field() != null) {
                assertEquals(c.field(), p.getString("field", null), c.name() + ": " + r.body());
            }
        };
    }

    @Test
    void bad_job_submissions_name_the_field_and_create_nothing() {
        Account alice = fx.user("USER");
        String q = fx.queue();
        String big = "\"" + "x".repeat(1024 * 1024) + "\"";
        String ok = "\"queue\":\"" + q + "\",\"type\":\"render\"";
        List<Case> cases = List.of(
                c("malformed JSON", "POST", "jobs", "{\"type\": \"x\",", 400, "body"),
                c("array body", "POST", "jobs", "[{\"type\":\"x\"}]", 400, "body"),
                c("string body", "POST", "jobs", "\"render\"", 400, "body"),
                c("no body", "POST", "jobs", null, 400, "type"),
                c("type missing", "POST", "jobs", "{\"queue\":\"" + q + "\"}", 400, "type"),
                c("type of wrong type", "POST", "jobs", "{\"queue\":\"" + q + "\",\"type\":7}", 400, "type"),
                c("type with spaces", "POST", "jobs", "{\"queue\":\"" + q + "\",\"type\":\"a b\"}", 400, "type"),
                c("type with NUL", "POST", "jobs", "{\"queue\":\"" + q + "\",\"type\":\"a\\u0000\"}", 400, "type"),
                c("unknown tier", "POST", "jobs", "{" + ok + ",\"priority\":\"HIGH\"}", 400, "priority"),
                c("priority above 100", "POST", "jobs", "{" + ok + ",\"priority\":101}", 400, "priority"),
                c("priority below -100", "POST", "jobs", "{" + ok + ",\"priority\":-101}", 400, "priority"),
                c("fractional priority", "POST", "jobs", "{" + ok + ",\"priority\":1.5}", 400, "priority"),
                c("priority as object", "POST", "jobs", "{" + ok + ",\"priority\":{}}", 400, "priority"),
                c(
                        "timestamp without offset",
                        "POST",
                        "jobs",
                        "{" + ok + ",\"scheduledStartAt\":\"2030-01-01T00:00:00\"}",
                        400,
                        "scheduledStartAt"),
                c(
                        "timestamp nonsense",
                        "POST",
                        "jobs",
                        "{" + ok + ",\"scheduledStartAt\":\"tomorrow\"}",
                        400,
                        "scheduledStartAt"),
                c(
                        "timestamp as number",
                        "POST",
                        "jobs",
                        "{" + ok + ",\"scheduledStartAt\":1700000000}",
                        400,
                        "scheduledStartAt"),
                c("offPeakOnly as string", "POST", "jobs", "{" + ok + ",\"offPeakOnly\":\"yes\"}", 400, "offPeakOnly"),
                c("maxRetries negative", "POST", "jobs", "{" + ok + ",\"maxRetries\":-1}", 400, "maxRetries"),
                c("maxRetries huge", "POST", "jobs", "{" + ok + ",\"maxRetries\":1000}", 400, "maxRetries"),
                c("unknown queue", "POST", "jobs", "{\"queue\":\"no-such-" + q + "\",\"type\":\"x\"}", 400, "queue"),
                c("unknown field", "POST", "jobs", "{" + ok + ",\"prioirty\":1}", 400, "prioirty"),
                c("payload over 1 MiB", "POST", "jobs", "{" + ok + ",\"payload\":" + big + "}", 413, "payload"),
                c(
                        "body far over the limit",
                        "POST",
                        "jobs",
                        "{" + ok + ",\"payload\":" + big + big.substring(1) + "}",
                        413,
                        "body"),
                new Case(
                        "idempotency key too long",
                        "POST",
                        "jobs",
                        "{" + ok + "}",
                        Map.of("Idempotency-Key", "k".repeat(201)),
                        400,
                        "Idempotency-Key"));
        List<Executable> checks = new ArrayList<>();
        cases.forEach(c -> checks.add(check(alice.api(), c)));
        assertAll(checks);
        assertEquals(
                0,
                alice.api().get("jobs?queue=" + q).json().getJsonArray("items").size(),
                "nothing was created");
    }

    @Test
    void bad_admin_queue_worker_and_claim_input_names_the_field() {
        WorkerAccount w = fx.worker();
        String q = fx.queue();
        List<Executable> checks = new ArrayList<>();
        for (Case c : List.of(
                c(
                        "user id with spaces",
                        "POST",
                        "admin/users",
                        "{\"id\":\"a b\",\"displayName\":\"x\",\"role\":\"USER\"}",
                        400,
                        "id"),
                c(
                        "unknown role",
                        "POST",
                        "admin/users",
                        "{\"id\":\"" + q + "\",\"displayName\":\"x\",\"role\":\"ROOT\"}",
                        400,
                        "role"),
                c(
                        "display name missing",
                        "POST",
                        "admin/users",
                        "{\"id\":\"" + q + "\",\"role\":\"USER\"}",
                        400,
                        "displayName"),
                c(
                        "maxConcurrent zero",
                        "POST",
                        "admin/users",
                        "{\"id\":\"" + q + "\",\"displayName\":\"x\",\"role\":\"USER\",\"maxConcurrent\":0}",
                        400,
                        "maxConcurrent"),
                c(
                        "monthly hours too large",
                        "PATCH",
                        "admin/users/" + w.account().id(),
                        "{\"monthlyHoursLimit\":1e12}",
                        400,
                        "monthlyHoursLimit"),
                c(
                        "monthly hours too precise",
                        "PATCH",
                        "admin/users/" + w.account().id(),
                        "{\"monthlyHoursLimit\":1.005}",
                        400,
                        "monthlyHoursLimit"),
                c(
                        "blank display name",
                        "PATCH",
                        "admin/users/" + w.account().id(),
                        "{\"displayName\":\"   \"}",
                        400,
                        "displayName"),
                c(
                        "negative monthly hours",
                        "PATCH",
                        "admin/users/" + w.account().id(),
                        "{\"monthlyHoursLimit\":-1}",
                        400,
                        "monthlyHoursLimit"),
                c("unknown user", "GET", "admin/users/nobody-" + q, null, 404, null),
                c("queue name with capitals", "POST", "queues", "{\"name\":\"Bad Name\"}", 400, "name"),
                c(
                        "queue lease too short",
                        "POST",
                        "queues",
                        "{\"name\":\"x-" + q + "\",\"leaseSeconds\":1}",
                        400,
                        "leaseSeconds"),
                c("queue maxConcurrent zero", "PATCH", "queues/" + q, "{\"maxConcurrent\":0}", 400, "maxConcurrent"),
                c(
                        "queue base delay too long",
                        "PATCH",
                        "queues/" + q,
                        "{\"retryBaseDelaySeconds\":3601}",
                        400,
                        "retryBaseDelaySeconds"),
                c("unknown queue", "GET", "queues/no-such-" + q, null, 404, null),
                c("unknown queue stats", "GET", "queues/no-such-" + q + "/stats", null, 404, null),
                c("worker capacity zero", "POST", "workers", "{\"name\":\"w\",\"capacity\":0}", 400, "capacity"),
                c(
                        "worker callback not a URL",
                        "POST",
                        "workers",
                        "{\"name\":\"w\",\"callbackUrl\":\"ftp://x\"}",
                        400,
                        "callbackUrl"),
                c(
                        "worker unknown queue",
                        "POST",
                        "workers",
                        "{\"name\":\"w\",\"queues\":[\"no-such-" + q + "\"]}",
                        400,
                        "queues"),
                c("worker queues not strings", "POST", "workers", "{\"name\":\"w\",\"queues\":[1]}", 400, "queues"),
                c("claim without worker", "POST", "claims", "{}", 400, "workerId"),
                c("claim unknown worker", "POST", "claims", "{\"workerId\":\"nope\"}", 400, "workerId"),
                c(
                        "claim limit zero",
                        "POST",
                        "claims",
                        "{\"workerId\":\"" + w.workerId() + "\",\"limit\":0}",
                        400,
                        "limit"),
                c(
                        "claim limit 101",
                        "POST",
                        "claims",
                        "{\"workerId\":\"" + w.workerId() + "\",\"limit\":101}",
                        400,
                        "limit"),
                c(
                        "claim unknown user",
                        "POST",
                        "claims",
                        "{\"workerId\":\"" + w.workerId() + "\",\"userId\":\"nobody-" + q + "\"}",
                        400,
                        "userId"),
                c(
                        "claim unknown queue",
                        "POST",
                        "claims",
                        "{\"workerId\":\"" + w.workerId() + "\",\"queues\":[\"no-such-" + q + "\"]}",
                        400,
                        "queues"),
                c("list limit not a number", "GET", "jobs?limit=abc", null, 400, "limit"),
                c("list limit too big", "GET", "jobs?limit=501", null, 400, "limit"),
                c("list unknown status", "GET", "jobs?status=DONE", null, 400, "status"),
                c("list bad cursor", "GET", "jobs?cursor=!!!", null, 400, "cursor"),
                c("NUL in a query", "GET", "jobs?queue=a%00b", null, 400, "queue"),
                c("unknown job", "GET", "jobs/999999999999", null, 404, null),
                c("job id not a number", "GET", "jobs/abc", null, 404, null),
                c("unknown path", "GET", "nothing-here", null, 404, null),
                c("wrong method", "DELETE", "jobs", null, 405, null))) {
            checks.add(check(c.path().startsWith("workers") || c.path().startsWith("claims") ? w.api() : admin, c));
        }
        assertAll(checks);
    }

    @Test
    void bad_worker_reports_name_the_field_and_leave_the_job_alone() {
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String q = fx.queue();
        String id = alice.api()
                .post("jobs", "{\"queue\":\"" + q + "\",\"type\":\"t\"}")
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
        String lease = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        w.api()
                .post("jobs/" + id + "/start", "{\"leaseToken\":\"" + lease + "\"}")
                .expect(200);
        List<Executable> checks = new ArrayList<>();
        for (Case c : List.of(
                c("start without token", "POST", "jobs/" + id + "/start", "{}", 400, "leaseToken"),
                c(
                        "heartbeat token not a string",
                        "POST",
                        "jobs/" + id + "/heartbeat",
                        "{\"leaseToken\":1}",
                        400,
                        "leaseToken"),
                c(
                        "fail without error",
                        "POST",
                        "jobs/" + id + "/fail",
                        "{\"leaseToken\":\"" + lease + "\"}",
                        400,
                        "error"),
                c(
                        "fail retryable not boolean",
                        "POST",
                        "jobs/" + id + "/fail",
                        "{\"leaseToken\":\"" + lease + "\",\"error\":\"x\",\"retryable\":\"no\"}",
                        400,
                        "retryable"),
                c(
                        "complete result over 1 MiB",
                        "POST",
                        "jobs/" + id + "/complete",
                        "{\"leaseToken\":\"" + lease + "\",\"result\":\"" + "r".repeat(1024 * 1024) + "\"}",
                        413,
                        "result"),
                c(
                        "complete with a made-up token",
                        "POST",
                        "jobs/" + id + "/complete",
                        "{\"leaseToken\":\"made-up\"}",
                        409,
                        null),
                c("start again", "POST", "jobs/" + id + "/start", "{\"leaseToken\":\"" + lease + "\"}", 409, null))) {
            checks.add(check(w.api(), c));
        }
        assertAll(checks);
        JsonObject job = alice.api().get("jobs/" + id).json();
        assertEquals("RUNNING", job.getString("status"));
        assertEquals(3, alice.api().get("jobs/" + id + "/transitions").array().size(), "no transition was added");
    }

    @Test
    void an_invalid_transition_answers_409_with_the_current_state_and_the_allowed_targets() {
        Account alice = fx.user("USER");
        String q = fx.queue();
        String id = alice.api()
                .post("jobs", "{\"queue\":\"" + q + "\",\"type\":\"t\"}")
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
        Api.Res r = alice.api().post("jobs/" + id + "/resume");
        check(alice.api(), c("resume a pending job", "POST", "jobs/" + id + "/resume", null, 409, null));
        JsonObject p = r.json();
        assertEquals("PENDING", p.getString("currentState"));
        assertEquals(
                List.of("CANCELLED", "DISPATCHED", "PAUSED"),
                p.getJsonArray("allowedTargets").getValuesAs(jakarta.json.JsonString::getString));
        assertTrue(p.getString("type").endsWith("/invalid-transition"));
    }
}
