package io.fairqueue.it.support;

import static io.fairqueue.it.support.TestData.*;

import jakarta.json.JsonObject;
import java.util.UUID;

/** Test data over the API. Every name is unique, so tests never depend on each other or on order. */
public final class Fixtures {

    private final Api admin;

    public Fixtures(Api admin) {
        this.admin = admin;
    }

    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A user of the given role; answers {id, token}. */
    public Account user(String role) {
        return user(role, 1);
    }

    public Account user(String role, int maxConcurrent) {
        String id = unique(role.toLowerCase());
        JsonObject r = admin.post(
                        "admin/users",
                        aUser().withId(id).withDisplayName(id).withRole(role).withMaxConcurrent(maxConcurrent))
                .expect(201)
                .json();
        return new Account(id, r.getString("token"), admin.as(r.getString("token")));
    }

    /** A queue with the defaults. */
    public String queue() {
        return queue(aQueue());
    }

    /** A queue with the given settings, e.g. {@code queue(aQueue().withMaxRetries(2))}; the name is set here. */
    public String queue(TestData.Queue settings) {
        String name = unique("q");
        admin.post("queues", settings.withName(name)).expect(201);
        return name;
    }

    /** A WORKER account with one registered worker. */
    public WorkerAccount worker() {
        Account acc = user("WORKER");
        String id = acc.api()
                .post("workers", aWorker(acc.id() + "-w").withCapacity(4))
                .expect(201)
                .json()
                .getString("id");
        return new WorkerAccount(acc, id);
    }

    public record Account(String id, String token, Api api) {}

    public record WorkerAccount(Account account, String workerId) {

        public Api api() {
            return account.api();
        }

        /**
         * Claims up to {@code limit} jobs of one queue, waiting up to 5 s (a long poll): jobs that
         * became due (a moved clock, an elapsed backoff) turn PENDING at the Promoter timer's next
         * tick, which wakes the claim.
         */
        public jakarta.json.JsonArray claimWithin(String queue, int limit) {
            return api().post(
                            "claims",
                            aClaim(workerId).withQueues(queue).withLimit(limit).withWaitSeconds(5))
                    .expect(200)
                    .array();
        }

        /** Claims up to {@code limit} jobs of one queue. */
        public jakarta.json.JsonArray claim(String queue, int limit) {
            return api().post("claims", aClaim(workerId).withQueues(queue).withLimit(limit))
                    .expect(200)
                    .array();
        }
    }
}
