package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who may do what: no token 401, wrong role 403, someone else's job 404. */
class SecurityIT extends ApiTestBase {

    static void assertProblem(Api.Res r, int status) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        assertEquals(status, r.json().getInt("status"));
        assertTrue(r.json().getString("type").startsWith("https://fairqueue.io/problems/"));
    }

    @Test
    void calls_without_a_token_or_with_an_unknown_token_answer_401() {
        for (Api anonymous : List.of(admin.as(null), admin.as("fq_not-a-real-token"), admin.as(""))) {
            for (String path : List.of("jobs", "queues", "admin/users", "dead-letter", "workers")) {
                Api.Res r = anonymous.get(path);
                assertProblem(r, 401);
                assertTrue(r.header("WWW-Authenticate").startsWith("Bearer"));
            }
            assertProblem(anonymous.post("jobs", aJob().withType("x")), 401);
            assertProblem(anonymous.post("claims", aClaim("x")), 401);
        }
    }

    @Test
    void a_user_on_admin_routes_is_refused_with_403() {
        Account user = fx.user("USER");
        String q = fx.queue();
        assertProblem(user.api().get("admin/users"), 403);
        assertProblem(
                user.api()
                        .post(
                                "admin/users",
                                aUser().withId("x").withDisplayName("x").withRole("ADMIN")),
                403);
        assertProblem(user.api().patch("admin/users/" + user.id(), aUser().withRole("ADMIN")), 403);
        assertProblem(user.api().post("admin/users/" + user.id() + "/tokens"), 403);
        assertProblem(user.api().post("queues", aQueue().withName("mine")), 403);
        assertProblem(user.api().patch("queues/" + q, aQueue().withMaxRetries(1)), 403);
        assertProblem(user.api().post("queues/" + q + "/pause"), 403);
        assertEquals("USER", admin.get("admin/users/" + user.id()).json().getString("role"), "nothing changed");
    }

    @Test
    void a_viewer_reads_what_an_admin_reads_and_changes_nothing() {
        Account alice = fx.user("USER");
        Account viewer = fx.user("VIEWER");
        WorkerAccount worker = fx.worker();
        String q = fx.queue(aQueue().withMaxRetries(2));
        long job = alice.api()
                .post("jobs", aJob().withQueue(q).withType("render"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
        Api v = viewer.api();

        // reads: every user's jobs, the queue view, users, tokens' names, workers, settings, locks, quotas
        assertEquals(
                1,
                v.get("queue?queue=" + q)
                        .expect(200)
                        .json()
                        .getJsonArray("jobs")
                        .size());
        assertEquals(alice.id(), v.get("jobs/" + job).expect(200).json().getString("userId"));
        assertEquals(
                1, v.get("jobs/" + job + "/transitions").expect(200).array().size());
        v.get("admin/users").expect(200);
        assertFalse(v.get("admin/users/" + alice.id() + "/tokens")
                .expect(200)
                .array()
                .isEmpty());
        assertTrue(v.get("workers").expect(200).array().stream()
                .anyMatch(w -> w.asJsonObject().getString("id").equals(worker.workerId())));
        v.get("admin/settings").expect(200);
        v.get("admin/locks").expect(200);
        v.get("quota/status?userId=" + alice.id()).expect(200);
        v.get("queues/" + q + "/stats").expect(200);

        // writes: every one refused, whatever the resource admits, the viewer's own job and tokens included
        JsonObject settings = admin.get("admin/settings").expect(200).json();
        List<Api.Res> refused = List.of(
                v.post("jobs", aJob().withQueue(q).withType("mine")),
                v.post("jobs/" + job + "/pause"),
                v.post("jobs/" + job + "/cancel"),
                v.post(
                        "admin/users",
                        aUser().withId("x-" + viewer.id()).withDisplayName("x").withRole("ADMIN")),
                v.patch("admin/users/" + viewer.id(), aUser().withRole("ADMIN")),
                v.post("admin/users/" + viewer.id() + "/tokens"),
                v.patch("queues/" + q, aQueue().withMaxRetries(5)),
                v.post("queues/" + q + "/pause"),
                v.put("admin/settings", theSettings().withGlobalSlots(1)),
                v.post("admin/recount"),
                v.post("claims", aClaim(worker.workerId())),
                v.post("workers", aWorker("w").withCapacity(1)));
        for (Api.Res r : refused) {
            assertProblem(r, 403);
            assertTrue(r.json().getString("detail").contains("VIEWER"), r.body());
        }
        long viewerToken = v.get("admin/users/" + viewer.id() + "/tokens")
                .expect(200)
                .array()
                .getJsonObject(0)
                .getJsonNumber("id")
                .longValue();
        assertProblem(v.delete("admin/users/" + viewer.id() + "/tokens/" + viewerToken), 403);

        JsonObject after = admin.get("jobs/" + job).expect(200).json();
        assertEquals("PENDING", after.getString("status"));
        assertEquals(
                1, admin.get("jobs/" + job + "/transitions").expect(200).array().size());
        assertEquals(2, admin.get("queues/" + q).expect(200).json().getInt("maxRetries"));
        assertFalse(admin.get("queues/" + q).expect(200).json().getBoolean("paused"));
        assertEquals(
                "VIEWER",
                admin.get("admin/users/" + viewer.id()).expect(200).json().getString("role"));
        admin.get("admin/users/x-" + viewer.id()).expect(404);
        assertEquals(settings, admin.get("admin/settings").expect(200).json());
        assertEquals(
                1,
                admin.get("jobs?queue=" + q)
                        .expect(200)
                        .json()
                        .getJsonArray("items")
                        .size());
    }

    @Test
    void users_may_not_claim_or_report_or_register_workers() {
        Account user = fx.user("USER");
        WorkerAccount w = fx.worker();
        String q = fx.queue();
        String id = user.api()
                .post("jobs", aJob().withQueue(q).withType("t"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
        assertProblem(user.api().post("claims", aClaim(w.workerId())), 403);
        assertProblem(user.api().post("workers", aWorker("mine")), 403);
        String lease = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        for (String action : List.of("start", "heartbeat", "complete")) {
            assertProblem(user.api().post("jobs/" + id + "/" + action, aLease(lease)), 403);
        }
        assertProblem(user.api().post("jobs/" + id + "/fail", aFailure(lease).withError("x")), 403);
        assertEquals("DISPATCHED", user.api().get("jobs/" + id).json().getString("status"));
    }

    @Test
    void a_worker_sees_jobs_but_may_not_manage_another_users_job() {
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String q = fx.queue();
        String id = alice.api()
                .post("jobs", aJob().withQueue(q).withType("t"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
        assertEquals(200, w.api().get("jobs/" + id).status());
        assertEquals(200, w.api().get("jobs/" + id + "/transitions").status());
        for (String action : List.of("pause", "cancel", "resume", "retry")) {
            assertProblem(w.api().post("jobs/" + id + "/" + action), 403);
        }
        assertEquals("PENDING", alice.api().get("jobs/" + id).json().getString("status"));
        assertProblem(w.api().delete("queues/" + q + "/jobs"), 403);
    }

    @Test
    void a_worker_may_not_claim_through_another_accounts_worker() {
        WorkerAccount mine = fx.worker();
        WorkerAccount theirs = fx.worker();
        assertProblem(mine.api().post("claims", aClaim(theirs.workerId())), 403);
        assertProblem(mine.api().post("workers/" + theirs.workerId() + "/heartbeat"), 404);
        assertProblem(mine.api().get("workers/" + theirs.workerId()), 404);
        assertEquals(
                theirs.workerId(),
                theirs.api()
                        .get("workers/" + theirs.workerId())
                        .expect(200)
                        .json()
                        .getString("id"));
    }

    @Test
    void another_users_job_answers_404_as_if_it_did_not_exist() {
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        String q = fx.queue();
        String id = alice.api()
                .post("jobs", aJob().withQueue(q).withType("t"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
        assertProblem(bob.api().get("jobs/" + id), 404);
        assertProblem(bob.api().get("jobs/" + id + "/transitions"), 404);
        assertProblem(bob.api().post("jobs/" + id + "/pause"), 404);
        assertProblem(bob.api().post("jobs/" + id + "/cancel"), 404);
        assertProblem(bob.api().post("jobs/" + id + "/resume"), 404);
        assertProblem(bob.api().post("jobs/" + id + "/retry"), 404);
        assertEquals(
                0, bob.api().get("jobs?queue=" + q).json().getJsonArray("items").size());
        assertProblem(bob.api().get("jobs?userId=" + alice.id()), 403);
        assertEquals(
                0, bob.api().delete("queues/" + q + "/jobs").expect(200).json().getInt("cancelled"));
        assertProblem(bob.api().delete("queues/" + q + "/jobs?userId=" + alice.id()), 403);
        assertEquals("PENDING", alice.api().get("jobs/" + id).json().getString("status"));
        assertEquals(200, admin.get("jobs/" + id).status(), "an admin sees every job");
    }

    @Test
    void only_an_admin_submits_on_behalf_of_another_user() {
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        String q = fx.queue();
        assertProblem(bob.api().post("jobs", aJob().withQueue(q).withType("t").withUserId(alice.id())), 403);
        JsonObject job = admin.post("jobs", aJob().withQueue(q).withType("t").withUserId(alice.id()))
                .expect(201)
                .json();
        assertEquals(alice.id(), job.getString("userId"));
        assertEquals(200, alice.api().get("jobs/" + job.getJsonNumber("id")).status());
        assertProblem(admin.post("jobs", aJob().withQueue(q).withType("t").withUserId("ghost-" + q)), 400);
    }

    @Test
    void tokens_are_stored_only_as_sha256_hashes() throws Exception {
        Account user = fx.user("USER");
        String hash = HexFormat.of()
                .formatHex(
                        MessageDigest.getInstance("SHA-256").digest(user.token().getBytes(StandardCharsets.UTF_8)));
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                PreparedStatement ps = c.prepareStatement(
                        "SELECT token_hash, (SELECT count(*) FROM api_token WHERE token_hash = ?) FROM api_token WHERE user_id = ?")) {
            ps.setString(1, user.token());
            ps.setString(2, user.id());
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(hash, rs.getString(1));
                assertEquals(0, rs.getLong(2), "the plain token is nowhere");
                assertFalse(rs.next());
            }
        }
    }

    @Test
    void a_role_change_judges_the_very_next_request() {
        // nodes keep who a token belongs to in memory: the node that changes a role forgets at commit
        Account user = fx.user("USER");
        assertProblem(user.api().get("admin/users"), 403);
        assertEquals(
                200,
                admin.patch("admin/users/" + user.id(), aUser().withRole("ADMIN"))
                        .status());
        assertEquals(200, user.api().get("admin/users").status(), "promoted: at once");
        assertEquals(
                200,
                admin.patch("admin/users/" + user.id(), aUser().withRole("USER"))
                        .status());
        assertProblem(user.api().get("admin/users"), 403);
    }

    @Test
    void a_token_deleted_by_hand_stops_working_within_moments() throws Exception {
        // a change behind the API reaches the node through the table's notification, long before
        // the 5 s a cached owner may be kept at most
        Account user = fx.user("USER");
        assertEquals(200, user.api().get("jobs").status(), "known now, and kept");
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
                PreparedStatement ps = c.prepareStatement("DELETE FROM api_token WHERE user_id = ?")) {
            ps.setString(1, user.id());
            assertEquals(1, ps.executeUpdate());
        }
        long t0 = System.nanoTime();
        Api.Res r = user.api().get("jobs");
        while (r.status() == 200
                && System.nanoTime() - t0 < java.time.Duration.ofMillis(1000).toNanos()) {
            Thread.sleep(20);
            r = user.api().get("jobs");
        }
        assertProblem(r, 401);
    }

    @Test
    void health_metrics_and_openapi_are_served_without_a_token() {
        Api anonymous = admin.as(null);
        Api.Res ready = anonymous.get("/health/ready");
        assertEquals(200, ready.status(), ready.body());
        assertTrue(ready.body().contains("\"database\""), ready.body());
        assertEquals(200, anonymous.get("/health/live").status());
        assertEquals(200, anonymous.get("/metrics").status());
        Api.Res openapi = anonymous.get("/openapi");
        assertEquals(200, openapi.status());
        assertTrue(openapi.body().contains("/api/v1/claims"), "the OpenAPI document lists the API");
    }
}
