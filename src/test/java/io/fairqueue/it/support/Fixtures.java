package io.fairqueue.it.support;

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
                        "{\"id\":\"" + id + "\",\"displayName\":\"" + id + "\",\"role\":\"" + role
                                + "\",\"maxConcurrent\":" + maxConcurrent + "}")
                .expect(201)
                .json();
        return new Account(id, r.getString("token"), admin.as(r.getString("token")));
    }

    /** A queue with the given extra settings (a JSON fragment such as {@code "maxRetries":2}). */
    public String queue(String settings) {
        String name = unique("q");
        admin.post("queues", "{\"name\":\"" + name + "\"" + (settings.isEmpty() ? "" : "," + settings) + "}")
                .expect(201);
        return name;
    }

    /** A WORKER account with one registered worker. */
    public WorkerAccount worker() {
        Account acc = user("WORKER");
        String id = acc.api()
                .post("workers", "{\"name\":\"" + acc.id() + "-w\",\"capacity\":4}")
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
                            "{\"workerId\":\"" + workerId + "\",\"queues\":[\"" + queue + "\"],\"limit\":" + limit
                                    + ",\"waitSeconds\":5}")
                    .expect(200)
                    .array();
        }

        /** Claims up to {@code limit} jobs of one queue. */
        public jakarta.json.JsonArray claim(String queue, int limit) {
            return api().post(
                            "claims",
                            "{\"workerId\":\"" + workerId + "\",\"queues\":[\"" + queue + "\"],\"limit\":" + limit
                                    + "}")
                    .expect(200)
                    .array();
        }
    }
}
