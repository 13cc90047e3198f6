package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
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
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Each intent endpoint acts on exactly its SPEC §2 source states: from any other state it answers
 * 409 with the current state and changes nothing (status, audit rows, jobs). And a lease belongs
 * to the account whose worker took it.
 */
class IntentSourcesIT extends ApiTestBase {

    static final List<String> STATES = List.of(
            "SCHEDULED",
            "PENDING",
            "DISPATCHED",
            "RUNNING",
            "RETRY_WAIT",
            "PAUSED",
            "COMPLETED",
            "FAILED",
            "CANCELLED");

    /** A job in {@code state}, made through the API; {@code lease} is set for jobs that were claimed. */
    record Made(String id, String lease) {}

    Account owner;
    WorkerAccount worker;

    Made make(String state) {
        String q = fx.queue(aQueue().withMaxRetries(2).withRetryBaseDelaySeconds(3600));
        Job job = aJob().withQueue(q).withType("t");
        if (state.equals("SCHEDULED")) {
            job.withScheduledStartAt("2099-01-01T00:00:00Z");
        }
        String id = owner.api()
                .post("jobs", job)
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
        switch (state) {
            case "SCHEDULED", "PENDING":
                return new Made(id, null);
            case "PAUSED":
                owner.api().post("jobs/" + id + "/pause").expect(200);
                return new Made(id, null);
            case "CANCELLED":
                owner.api().post("jobs/" + id + "/cancel").expect(200);
                return new Made(id, null);
            default:
                break;
        }
        String lease = worker.claim(q, 1).getJsonObject(0).getString("leaseToken");
        switch (state) {
            case "DISPATCHED" -> {}
            case "RUNNING" ->
                worker.api().post("jobs/" + id + "/start", aLease(lease)).expect(200);
            case "RETRY_WAIT" ->
                worker.api()
                        .post("jobs/" + id + "/fail", aFailure(lease).withError("e"))
                        .expect(200);
            case "FAILED" ->
                worker.api()
                        .post(
                                "jobs/" + id + "/fail",
                                aFailure(lease).withError("e").withRetryable(false))
                        .expect(200);
            case "COMPLETED" -> {
                worker.api().post("jobs/" + id + "/start", aLease(lease)).expect(200);
                worker.api().post("jobs/" + id + "/complete", aLease(lease)).expect(200);
            }
            default -> throw new IllegalArgumentException(state);
        }
        assertEquals(state, owner.api().get("jobs/" + id).json().getString("status"));
        return new Made(id, lease);
    }

    /** Sends the intent to a fresh job in each state; 2xx exactly from {@code sources}, else 409 and nothing changed. */
    Executable intent(Api api, String name, Set<String> sources, String state, boolean leased) {
        Made job = make(state);
        return () -> {
            String before = owner.api().get("jobs/" + job.id()).json().getString("status");
            int transitions =
                    owner.api().get("jobs/" + job.id() + "/transitions").array().size();
            int jobs = owner.api()
                    .get("jobs?limit=500")
                    .json()
                    .getJsonArray("items")
                    .size();
            String body = !leased
                    ? null
                    : name.equals("fail")
                            ? aFailure(job.lease()).withError("e").toString()
                            : aLease(job.lease()).toString();
            Api.Res r = api.post("jobs/" + job.id() + "/" + name, body);
            String what = name + " from " + state + ": " + r.body();
            if (sources.contains(state)) {
                assertTrue(r.status() == 200 || r.status() == 201, what);
                return;
            }
            assertEquals(409, r.status(), what);
            assertTrue(r.contentType().startsWith("application/problem+json"), what);
            JsonObject p = r.json();
            assertEquals(state, p.getString("currentState"), what);
            assertEquals(before, owner.api().get("jobs/" + job.id()).json().getString("status"), what);
            assertEquals(
                    transitions,
                    owner.api().get("jobs/" + job.id() + "/transitions").array().size(),
                    what);
            assertEquals(
                    jobs,
                    owner.api()
                            .get("jobs?limit=500")
                            .json()
                            .getJsonArray("items")
                            .size(),
                    what + ": no job created");
        };
    }

    @Test
    void owner_intents_act_only_from_their_source_states() {
        owner = fx.user("USER", 50);
        worker = fx.worker();
        Map<String, Set<String>> sources = Map.of(
                "pause", Set.of("SCHEDULED", "PENDING", "DISPATCHED", "RUNNING", "RETRY_WAIT"),
                "resume", Set.of("PAUSED"),
                "cancel", Set.of("SCHEDULED", "PENDING", "DISPATCHED", "RUNNING", "RETRY_WAIT", "PAUSED"),
                "retry", Set.of("FAILED"));
        List<Executable> checks = new ArrayList<>();
        sources.forEach(
                (name, from) -> STATES.forEach(state -> checks.add(intent(owner.api(), name, from, state, false))));
        assertAll(checks);
    }

    @Test
    void worker_intents_act_only_from_their_source_states() {
        owner = fx.user("USER", 50);
        worker = fx.worker();
        List<String> claimed = List.of("DISPATCHED", "RUNNING", "RETRY_WAIT", "COMPLETED", "FAILED");
        Map<String, Set<String>> sources = Map.of(
                "start", Set.of("DISPATCHED"),
                "complete", Set.of("RUNNING"),
                "fail", Set.of("DISPATCHED", "RUNNING"));
        List<Executable> checks = new ArrayList<>();
        sources.forEach(
                (name, from) -> claimed.forEach(state -> checks.add(intent(worker.api(), name, from, state, true))));
        assertAll(checks);
    }

    @Test
    void a_lease_taken_by_another_accounts_worker_is_refused_and_the_job_is_left_alone() {
        owner = fx.user("USER", 5);
        worker = fx.worker();
        WorkerAccount other = fx.worker();
        Made running = make("RUNNING");
        String lease = aLease(running.lease()).toString();
        List<Executable> checks = new ArrayList<>();
        for (String[] call : List.of(
                new String[] {"jobs/" + running.id() + "/heartbeat", lease},
                new String[] {"jobs/" + running.id() + "/complete", lease},
                new String[] {
                    "jobs/" + running.id() + "/fail",
                    aFailure(running.lease()).withError("stolen").toString()
                })) {
            checks.add(() -> {
                Api.Res r = other.api().post(call[0], call[1]);
                assertEquals(403, r.status(), call[0] + ": " + r.body());
                assertTrue(r.contentType().startsWith("application/problem+json"));
            });
        }
        checks.add(() -> {
            var items = other.api()
                    .post("jobs/complete", aLeaseBatch().withJob(Long.parseLong(running.id()), running.lease()))
                    .expect(200)
                    .array();
            assertEquals(403, items.getJsonObject(0).getJsonObject("problem").getInt("status"), items.toString());
        });
        assertAll(checks);
        assertEquals("RUNNING", owner.api().get("jobs/" + running.id()).json().getString("status"));
        assertEquals(
                3,
                owner.api().get("jobs/" + running.id() + "/transitions").array().size());
        worker.api().post("jobs/" + running.id() + "/complete", lease).expect(200);
        Made other2 = make("RUNNING");
        admin.post("jobs/" + other2.id() + "/complete", aLease(other2.lease())).expect(200);
    }
}
