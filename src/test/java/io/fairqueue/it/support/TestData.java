package io.fairqueue.it.support;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Readable builders for the request bodies of the integration tests, instead of escaped JSON strings.
 *
 * <pre>{@code
 * import static io.fairqueue.it.support.TestData.*;
 *
 * api.post("jobs", aJob().withQueue(q).withType("render").withPriority(URGENT).withPayload(object("frames", 24)));
 * api.post("jobs/batch", aBatch(aJob().withQueue(q).withType("a").withIdempotencyKey(key), aJob().withQueue(q)));
 * api.post("claims", aClaim(workerId).withQueues(q).withLimit(5).withWaitSeconds(5));
 * api.post("jobs/" + id + "/fail", aFailure(lease).withError("GPU fell over").withRetryable(false));
 * admin.patch("queues/" + q, aQueue().withMaxConcurrent(null)); // an explicit JSON null: unlimited
 * }</pre>
 *
 * <p>Every body is built with jakarta.json, so strings are escaped properly. A member is sent only when
 * its {@code withX} was called; {@code withX(null)} sends an explicit JSON {@code null} (which means
 * "remove" or "unlimited" on a PATCH or PUT), and {@link Body#without} drops a member again. {@link
 * Body#with(String, Object)} sets any member, also one the API does not know, for the tests of wrong
 * input that still need well-formed JSON. Calling the same {@code withX} twice keeps the last value.
 *
 * <p>{@link Api#post(String, Body)}, {@code put} and {@code patch} take a builder directly; {@link
 * Body#toString()} gives the body text, {@link Body#json()} the object.
 *
 * <p>A builder is mutable: a helper that sets more members on the one it is given (as {@code
 * Fixtures.queue(aQueue().withMaxRetries(2))} sets the name) changes it. Take {@code toString()} for a body
 * that must stay fixed, e.g. one sent from several threads.
 *
 * <p>Bodies that are malformed on purpose (BadInputIT's matrix, HostileInputIT, {@link BadBodies}) stay raw
 * strings: a builder cannot write broken JSON, and should not. The tables of invalid values (TimersIT's
 * policies, TokensIT's token cases, SchedulingIT's settings and quotas) stay raw too: each row reads as the
 * body it sends.
 *
 * <p>Member names follow the request records of the boundaries ({@code JobRequests}, {@code QueueRequests},
 * {@code ClaimRequest}, ...) and SPEC.md.
 */
public final class TestData {

    private TestData() {}

    /** The priority tiers: URGENT = 10, NORMAL = 0, BACKGROUND = -10; sent as the tier name. */
    public enum Priority {
        URGENT,
        NORMAL,
        BACKGROUND
    }

    public static final Priority URGENT = Priority.URGENT;
    public static final Priority NORMAL = Priority.NORMAL;
    public static final Priority BACKGROUND = Priority.BACKGROUND;

    // ---- factories ----

    /** {@code POST /jobs}, or one item of {@code POST /jobs/batch}. */
    public static Job aJob() {
        return new Job();
    }

    /** {@code POST /jobs/batch}: {@code {jobs: [...]}}. */
    public static Batch aBatch(Job... jobs) {
        return aBatch(Arrays.asList(jobs));
    }

    public static Batch aBatch(List<Job> jobs) {
        return new Batch().with("jobs", array(jobs.toArray()));
    }

    /** {@code POST /queues} (give a name) or {@code PATCH /queues/{name}} (leave it out). */
    public static Queue aQueue() {
        return new Queue();
    }

    /** {@code POST /admin/users} (give an id) or {@code PATCH /admin/users/{id}} (leave it out). */
    public static User aUser() {
        return new User();
    }

    /** {@code POST /claims} for one worker. */
    public static Claim aClaim(String workerId) {
        return new Claim().withWorkerId(workerId);
    }

    /** {@code POST /workers}. */
    public static Worker aWorker(String name) {
        return new Worker().withName(name);
    }

    /** {@code POST} or {@code PUT /admin/scheduling-policies}: a policy of the given type. */
    public static Policy aPolicy(String policyType) {
        return new Policy().withPolicyType(policyType);
    }

    /** {@code PUT /admin/users/{id}/quota} and {@code PUT /admin/projects/{id}/quota}. */
    public static Quota aQuota() {
        return new Quota();
    }

    /** {@code PUT /admin/settings}. */
    public static Settings theSettings() {
        return new Settings();
    }

    /** {@code PUT /admin/queue/reorder} of one job. */
    public static Reorder aReorder(long jobId) {
        return new Reorder().with("jobId", jobId);
    }

    /** The job id as the API wrote it ({@code getJsonNumber("id").toString()}); sent as a number. */
    public static Reorder aReorder(String jobId) {
        return aReorder(Long.parseLong(jobId));
    }

    /** {@code {leaseToken}}: the body of start and heartbeat (and of a complete without result). */
    public static Lease aLease(String leaseToken) {
        return new Lease().with("leaseToken", leaseToken);
    }

    /** {@code POST /admin/jobs/bulk}: {@code action} with {@code reason}; add {@code ids} or {@code filter}. */
    public static Bulk aBulk(String action, String reason) {
        return new Bulk().with("action", action).with("reason", reason);
    }

    /** {@code POST /jobs/{id}/complete}. */
    public static Completion aCompletion(String leaseToken) {
        return new Completion().with("leaseToken", leaseToken);
    }

    /** {@code POST /jobs/{id}/fail}. */
    public static Failure aFailure(String leaseToken) {
        return new Failure().with("leaseToken", leaseToken);
    }

    /** The optional body of pause and cancel. */
    public static Reason aReason(String reason) {
        return new Reason().with("reason", reason);
    }

    /** {@code POST /jobs/start} and {@code POST /jobs/complete}: {@code {jobs: [{id, leaseToken, result?}]}}. */
    public static LeaseBatch aLeaseBatch() {
        return new LeaseBatch();
    }

    /** {@code POST /me/tokens} and the token endpoints of the admin. */
    public static Token aToken() {
        return new Token();
    }

    /** A JSON object of name-value pairs, for payloads, results and policy configs: {@code object("frames", 24)}. */
    public static JsonObject object(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must come in pairs");
        }
        JsonObjectBuilder b = Json.createObjectBuilder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            b.add((String) namesAndValues[i], value(namesAndValues[i + 1]));
        }
        return b.build();
    }

    /** A JSON array of the given values (strings, numbers, booleans, null, JSON values or builders). */
    public static jakarta.json.JsonArray array(Object... values) {
        JsonArrayBuilder b = Json.createArrayBuilder();
        for (Object v : values) {
            b.add(value(v));
        }
        return b.build();
    }

    /** The JSON value of a Java value: null, String, Number, Boolean, enum (its name), JsonValue or a builder. */
    public static JsonValue value(Object v) {
        if (v == null) {
            return JsonValue.NULL;
        } else if (v instanceof JsonValue j) {
            return j;
        } else if (v instanceof Body<?> body) {
            return body.json();
        } else if (v instanceof String s) {
            return Json.createValue(s);
        } else if (v instanceof Integer | v instanceof Short | v instanceof Byte) {
            return Json.createValue(((Number) v).intValue());
        } else if (v instanceof Long l) {
            return Json.createValue(l);
        } else if (v instanceof BigDecimal d) {
            return Json.createValue(d);
        } else if (v instanceof Double | v instanceof Float) {
            return Json.createValue(new BigDecimal(v.toString()));
        } else if (v instanceof Number n) {
            return Json.createValue(new BigDecimal(n.toString()));
        } else if (v instanceof Boolean b) {
            return b ? JsonValue.TRUE : JsonValue.FALSE;
        } else if (v instanceof Enum<?> e) {
            return Json.createValue(e.name());
        } else if (v instanceof OffsetDateTime t) {
            return Json.createValue(t.toString());
        } else if (v instanceof List<?> list) {
            return array(list.toArray());
        }
        throw new IllegalArgumentException("no JSON value for " + v.getClass());
    }

    // ---- builders ----

    /** A JSON object body; its members in the order they were first set. */
    public abstract static class Body<B extends Body<B>> {

        private final Map<String, JsonValue> members = new LinkedHashMap<>();

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /** Sets any member (see {@link TestData#value} for the Java values it takes); null sends JSON null. */
        public B with(String member, Object value) {
            members.put(member, value(value));
            return self();
        }

        /** Leaves a member out again. */
        public B without(String member) {
            members.remove(member);
            return self();
        }

        public JsonObject json() {
            JsonObjectBuilder b = Json.createObjectBuilder();
            members.forEach(b::add);
            return b.build();
        }

        /** The body as JSON text. */
        @Override
        public String toString() {
            return json().toString();
        }
    }

    public static final class Job extends Body<Job> {

        public Job withQueue(String queue) {
            return with("queue", queue);
        }

        public Job withType(String type) {
            return with("type", type);
        }

        /** Any JSON value; {@link TestData#object} makes an object. */
        public Job withPayload(Object payload) {
            return with("payload", payload);
        }

        public Job withPriority(Priority tier) {
            return with("priority", tier);
        }

        public Job withPriority(int priority) {
            return with("priority", priority);
        }

        /** A tier name as written, e.g. {@code "urgent"} to check that case does not matter. */
        public Job withPriority(String tierName) {
            return with("priority", tierName);
        }

        public Job withScheduledStartAt(OffsetDateTime at) {
            return with("scheduledStartAt", at);
        }

        /** The timestamp text as written. */
        public Job withScheduledStartAt(String at) {
            return with("scheduledStartAt", at);
        }

        public Job withOffPeakOnly(boolean offPeakOnly) {
            return with("offPeakOnly", offPeakOnly);
        }

        public Job withMaxRetries(int maxRetries) {
            return with("maxRetries", maxRetries);
        }

        public Job withProjectId(String projectId) {
            return with("projectId", projectId);
        }

        /** On behalf of another user (ADMIN only). */
        public Job withUserId(String userId) {
            return with("userId", userId);
        }

        /** Only in a batch item (a single job's key is the {@code Idempotency-Key} header). */
        public Job withIdempotencyKey(String key) {
            return with("idempotencyKey", key);
        }
    }

    public static final class Batch extends Body<Batch> {}

    public static final class Queue extends Body<Queue> {

        public Queue withName(String name) {
            return with("name", name);
        }

        public Queue withDescription(String description) {
            return with("description", description);
        }

        /** Null: unlimited. */
        public Queue withMaxConcurrent(Integer maxConcurrent) {
            return with("maxConcurrent", maxConcurrent);
        }

        public Queue withMaxRetries(int maxRetries) {
            return with("maxRetries", maxRetries);
        }

        public Queue withRetryBaseDelaySeconds(int seconds) {
            return with("retryBaseDelaySeconds", seconds);
        }

        public Queue withLeaseSeconds(int seconds) {
            return with("leaseSeconds", seconds);
        }
    }

    public static final class User extends Body<User> {

        public User withId(String id) {
            return with("id", id);
        }

        public User withDisplayName(String displayName) {
            return with("displayName", displayName);
        }

        /** ADMIN, USER or WORKER. */
        public User withRole(String role) {
            return with("role", role);
        }

        public User withMaxConcurrent(int maxConcurrent) {
            return with("maxConcurrent", maxConcurrent);
        }

        /** Sent as written ({@code 12.5}, {@code 0.01}); null removes the limit. */
        public User withMonthlyHoursLimit(Double hours) {
            return with("monthlyHoursLimit", hours);
        }
    }

    public static final class Claim extends Body<Claim> {

        public Claim withWorkerId(String workerId) {
            return with("workerId", workerId);
        }

        public Claim withQueues(String... queues) {
            return with("queues", array((Object[]) queues));
        }

        public Claim withQueues(List<String> queues) {
            return with("queues", array(queues.toArray()));
        }

        public Claim withLimit(int limit) {
            return with("limit", limit);
        }

        /** That user's next job only. */
        public Claim withUserId(String userId) {
            return with("userId", userId);
        }

        /** How long an empty claim may wait for a job (a long poll). */
        public Claim withWaitSeconds(int seconds) {
            return with("waitSeconds", seconds);
        }

        /** Claim straight into RUNNING (the one-call worker protocol). */
        public Claim withStart(boolean start) {
            return with("start", start);
        }

        /** The previous batch's completions: items {@code {id, leaseToken, result?}} (see {@link TestData#object}). */
        public Claim withComplete(Object... items) {
            return with("complete", array(items));
        }

        /** The previous batch's failures: items {@code {id, leaseToken, error, retryable?}}. */
        public Claim withFail(Object... items) {
            return with("fail", array(items));
        }
    }

    public static final class Worker extends Body<Worker> {

        public Worker withName(String name) {
            return with("name", name);
        }

        public Worker withCapacity(int capacity) {
            return with("capacity", capacity);
        }

        public Worker withCallbackUrl(String url) {
            return with("callbackUrl", url);
        }

        public Worker withQueues(String... queues) {
            return with("queues", array((Object[]) queues));
        }
    }

    public static final class Policy extends Body<Policy> {

        public Policy withPolicyType(String policyType) {
            return with("policyType", policyType);
        }

        public Policy withName(String name) {
            return with("name", name);
        }

        /** The config object; {@link TestData#object} makes one: {@code object("start", "12:00", "end", "13:00")}. */
        public Policy withConfig(JsonValue config) {
            return with("config", config);
        }

        public Policy withEnabled(boolean enabled) {
            return with("enabled", enabled);
        }
    }

    public static final class Quota extends Body<Quota> {

        /** GPU seconds per day ({@code with("dailyLimitSecs", null)}: unlimited). */
        public Quota withDailyLimitSecs(long seconds) {
            return with("dailyLimitSecs", seconds);
        }

        /** GPU seconds per week ({@code with("weeklyLimitSecs", null)}: unlimited). */
        public Quota withWeeklyLimitSecs(long seconds) {
            return with("weeklyLimitSecs", seconds);
        }
    }

    /** {@code {perUserSerialization: {enabled, lockTimeoutSeconds}, globalSlots}}; absent members stay as they are. */
    public static final class Settings extends Body<Settings> {

        private final Map<String, JsonValue> serialization = new LinkedHashMap<>();

        /** Null removes the global limit. */
        public Settings withGlobalSlots(Integer slots) {
            return with("globalSlots", slots);
        }

        public Settings withSerializationEnabled(boolean enabled) {
            serialization.put("enabled", value(enabled));
            return with("perUserSerialization", serializationObject());
        }

        public Settings withLockTimeoutSeconds(int seconds) {
            serialization.put("lockTimeoutSeconds", value(seconds));
            return with("perUserSerialization", serializationObject());
        }

        private JsonObject serializationObject() {
            JsonObjectBuilder b = Json.createObjectBuilder();
            serialization.forEach(b::add);
            return b.build();
        }
    }

    public static final class Reorder extends Body<Reorder> {

        public Reorder withPriority(Priority tier) {
            return with("priority", tier);
        }

        public Reorder withPriority(int priority) {
            return with("priority", priority);
        }

        public Reorder withReason(String reason) {
            return with("reason", reason);
        }
    }

    public static final class Lease extends Body<Lease> {}

    public static final class Completion extends Body<Completion> {

        /** Any JSON value; {@link TestData#object} makes an object. */
        public Completion withResult(Object result) {
            return with("result", result);
        }
    }

    public static final class Failure extends Body<Failure> {

        public Failure withError(String error) {
            return with("error", error);
        }

        public Failure withRetryable(boolean retryable) {
            return with("retryable", retryable);
        }
    }

    public static final class Reason extends Body<Reason> {}

    public static final class Bulk extends Body<Bulk> {

        public Bulk withIds(Object... ids) {
            return with("ids", array(ids));
        }

        /** The filter, e.g. {@code object("queue", q, "status", "FAILED")}. */
        public Bulk withFilter(JsonObject filter) {
            return with("filter", filter);
        }

        public Bulk withPriority(int priority) {
            return with("priority", priority);
        }

        public Bulk withMax(int max) {
            return with("max", max);
        }

        public Bulk withDryRun(boolean dryRun) {
            return with("dryRun", dryRun);
        }
    }

    /** {@code {jobs: [{id, leaseToken, result?}, ...]}} of the batch start and complete. */
    public static final class LeaseBatch extends Body<LeaseBatch> {

        private final List<JsonObject> added = new ArrayList<>();

        /** One item {@code {id, leaseToken}}. */
        public LeaseBatch withJob(long id, String leaseToken) {
            return withItem(object("id", id, "leaseToken", leaseToken));
        }

        /** One item {@code {id, leaseToken, result}} (for {@code /jobs/complete}). */
        public LeaseBatch withJob(long id, String leaseToken, Object result) {
            return withItem(object("id", id, "leaseToken", leaseToken, "result", result));
        }

        /** Any item, e.g. one without a lease token. */
        public LeaseBatch withItem(JsonObject item) {
            added.add(item);
            return with("jobs", array(added.toArray()));
        }
    }

    public static final class Token extends Body<Token> {

        public Token withName(String name) {
            return with("name", name);
        }

        public Token withExpiresAt(OffsetDateTime at) {
            return with("expiresAt", at);
        }

        /** The timestamp text as written. */
        public Token withExpiresAt(String at) {
            return with("expiresAt", at);
        }

        public Token withExpiresInSeconds(long seconds) {
            return with("expiresInSeconds", seconds);
        }
    }
}
