package io.fairqueue.client;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.net.URI;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The producer's view of FairQueue: submit jobs (one or a batch), follow them (get, list, position,
 * waiting reasons, audit log), act on them (cancel, pause, resume, retry), read the queue and the
 * caller's quota, and subscribe to the live event stream. Thread-safe; one instance per server and
 * token is enough. Errors arrive as {@link FairQueueException}s typed by status ({@link Problems}).
 *
 * <pre>{@code
 * FairQueueClient fq = FairQueueClient.fromEnvironment(); // FAIRQUEUE_URL, FAIRQUEUE_TOKEN
 * Job job = fq.submit(Submission.of("render").payload(new Scene("intro", 240))
 *         .tier(Submission.Tier.URGENT).idempotencyKey("render-intro"));
 * }</pre>
 */
public final class FairQueueClient {

    private final Http http;
    private final JsonCodec codec;
    private final Admin admin;

    private FairQueueClient(Http http, JsonCodec codec) {
        this.http = http;
        this.codec = codec;
        this.admin = new Admin(http);
    }

    /** A builder; {@link Builder#url} and {@link Builder#token} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** A client for {@code FAIRQUEUE_URL} (default http://localhost:8080) with {@code FAIRQUEUE_TOKEN}. */
    public static FairQueueClient fromEnvironment() {
        String token = System.getenv("FAIRQUEUE_TOKEN");
        if (token == null || token.isBlank()) {
            throw new IllegalStateException("FAIRQUEUE_TOKEN is not set");
        }
        return builder()
                .url(System.getenv().getOrDefault("FAIRQUEUE_URL", "http://localhost:8080"))
                .token(token)
                .build();
    }

    /** The transport (for the worker runtime and the CLI's less common calls). */
    public Http http() {
        return http;
    }

    /** The JSON-B codec that writes payloads and reads them back. */
    public JsonCodec codec() {
        return codec;
    }

    /** Administration calls (queues, locks, users, workers); they need an ADMIN token mostly. */
    public Admin admin() {
        return admin;
    }

    /**
     * Submits one job. With an idempotency key the call is safe to repeat and is retried on
     * connection failures and 503; without one it is sent exactly once.
     */
    public Job submit(Submission s) {
        Map<String, String> headers =
                s.idempotencyKey() == null ? Map.of() : Map.of("Idempotency-Key", s.idempotencyKey());
        return Job.of(http.post("/jobs", s.toJson(codec, false), headers, s.idempotencyKey() != null)
                .object());
    }

    /** One job of a batch answer: the job, and false when its key answered an earlier job. */
    public record Submitted(Job job, boolean created) {}

    /**
     * Submits up to 1000 jobs in one transaction (all or none). Retried after a failure only when
     * every item carries an idempotency key.
     */
    public List<Submitted> submitBatch(List<Submission> jobs) {
        JsonArrayBuilder items = Json.createArrayBuilder();
        boolean allKeyed = true;
        for (Submission s : jobs) {
            items.add(s.toJson(codec, true));
            allKeyed &= s.idempotencyKey() != null;
        }
        JsonValue body = Json.createObjectBuilder().add("jobs", items).build();
        JsonArray answer =
                http.post("/jobs/batch", body, Map.of(), allKeyed).body().asJsonArray();
        return answer.getValuesAs(JsonObject.class).stream()
                .map(o -> new Submitted(Job.of(o.getJsonObject("job")), o.getBoolean("created")))
                .toList();
    }

    /** The job with its placement ({@code position}, {@code userPosition}, ETA, waiting reasons). */
    public Job get(long id) {
        return Job.of(http.get("/jobs/" + id, null).asJsonObject());
    }

    /** Filters for {@link #list(JobQuery)}; null members do not filter. */
    public record JobQuery(String status, String queue, String userId, int pageSize) {
        /** Every visible job, 100 a page. */
        public static JobQuery all() {
            return new JobQuery(null, null, null, 100);
        }

        /** Only jobs in {@code status}. */
        public JobQuery withStatus(String s) {
            return new JobQuery(s, queue, userId, pageSize);
        }

        /** Only jobs of {@code q}. */
        public JobQuery inQueue(String q) {
            return new JobQuery(status, q, userId, pageSize);
        }

        /** Only jobs of user {@code u}. */
        public JobQuery ofUser(String u) {
            return new JobQuery(status, queue, u, pageSize);
        }
    }

    /**
     * The jobs matching {@code q}, newest first, as a lazy stream: each page is fetched when the
     * previous one is used up, so {@code limit(n)} reads no more pages than it needs.
     */
    public Stream<Job> list(JobQuery q) {
        Iterator<Job> pages = new Iterator<>() {
            private Iterator<JsonObject> page = List.<JsonObject>of().iterator();
            private String cursor;
            private boolean last;

            @Override
            public boolean hasNext() {
                while (!page.hasNext() && !last) {
                    Map<String, Object> query = query(
                            "status",
                            q.status(),
                            "queue",
                            q.queue(),
                            "userId",
                            q.userId(),
                            "limit",
                            q.pageSize(),
                            "cursor",
                            cursor);
                    JsonObject answer = http.get("/jobs", query).asJsonObject();
                    page = answer.getJsonArray("items")
                            .getValuesAs(JsonObject.class)
                            .iterator();
                    cursor = answer.getString("nextCursor", null);
                    last = cursor == null;
                }
                return page.hasNext();
            }

            @Override
            public Job next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return Job.of(page.next());
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pages, Spliterator.ORDERED), false);
    }

    /** Cancels a job (any non-terminal status); {@code reason} (nullable) is audited. */
    public Job cancel(long id, String reason) {
        return Job.of(http.post("/jobs/" + id + "/cancel", reason(reason), Map.of(), false)
                .object());
    }

    /** Pauses a job; a running one loses its lease and its worker is told on its next heartbeat. */
    public Job pause(long id, String reason) {
        return Job.of(http.post("/jobs/" + id + "/pause", reason(reason), Map.of(), false)
                .object());
    }

    /** Resumes a paused job (back to PENDING, or SCHEDULED while its start time is ahead). */
    public Job resume(long id) {
        return Job.of(
                http.post("/jobs/" + id + "/resume", null, Map.of(), false).object());
    }

    /** Retries a FAILED (dead-lettered) job as a new job; answers the new job. */
    public Job retry(long id) {
        return Job.of(http.post("/jobs/" + id + "/retry", null, Map.of(), false).object());
    }

    /** The job's audit log, oldest first ({@code Transition} objects). */
    public List<JsonObject> transitions(long id) {
        return http.get("/jobs/" + id + "/transitions", null).asJsonArray().getValuesAs(JsonObject.class);
    }

    /** FAILED jobs, newest failure first ({@code queue} may be null; {@code limit} 1..500). */
    public List<Job> deadLetters(String queue, int limit) {
        return http
                .get("/dead-letter", query("queue", queue, "limit", limit))
                .asJsonArray()
                .getValuesAs(JsonObject.class)
                .stream()
                .map(Job::of)
                .toList();
    }

    /**
     * The queue view ({@code QueueOverview}): counts by status and pending by tier, slots in use
     * by user, user locks, mean wait and the first {@code limit} pending jobs in claim order.
     */
    public JsonObject queueView(String queue, String userId, int limit) {
        return http.get("/queue", query("queue", queue, "userId", userId, "limit", limit))
                .asJsonObject();
    }

    /** Cancels the waiting jobs of {@code queue} (only {@code userId}'s when given); the count. */
    public int clearQueue(String queue, String userId) {
        return http.delete("/queues/" + Http.segment(queue) + "/jobs", query("userId", userId))
                .asJsonObject()
                .getInt("cancelled");
    }

    /** Usage against quotas for the day, week and month ({@code userId} null = the caller). */
    public JsonObject quotaStatus(String userId) {
        return http.get("/quota/status", query("userId", userId)).asJsonObject();
    }

    /** The caller's own user record. */
    public JsonObject me() {
        return http.get("/me", null).asJsonObject();
    }

    /**
     * Follows {@code GET /queue/events} on a background thread, passing each event to
     * {@code listener}; reconnects after a dropped stream with backoff. Close the subscription to
     * stop.
     */
    public EventSubscription subscribe(Consumer<QueueEvent> listener, Consumer<FairQueueException> onError) {
        return EventSubscription.start(http, listener, onError);
    }

    /** A query map that skips null values, from alternating names and values. */
    static Map<String, Object> query(Object... nameValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i + 1] != null) {
                m.put((String) nameValues[i], nameValues[i + 1]);
            }
        }
        return m;
    }

    private static JsonObject reason(String reason) {
        return reason == null
                ? JsonValue.EMPTY_JSON_OBJECT
                : Json.createObjectBuilder().add("reason", reason).build();
    }

    @Override
    public String toString() {
        return "FairQueueClient[" + http.base() + "]";
    }

    /** Builds a {@link FairQueueClient}. */
    public static final class Builder {
        private URI url;
        private String token;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private int maxAttempts = 4;
        private Backoff backoff = Backoff.DEFAULT;
        private JsonCodec codec = JsonCodec.standard();

        /** The server's base URL, e.g. {@code http://localhost:8080}. */
        public Builder url(String url) {
            this.url = URI.create(url);
            return this;
        }

        /** The bearer token. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** How long to wait for a connection (default 5 s). */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        /** How long to wait for an answer (default 30 s). */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /** Attempts of an idempotent call, the first included (default 4; 1 = never retry). */
        public Builder maxAttempts(int n) {
            this.maxAttempts = Math.max(1, n);
            return this;
        }

        /** The delay between attempts (default 200 ms doubling to 10 s, jittered). */
        public Builder backoff(Backoff b) {
            this.backoff = b;
            return this;
        }

        /** The JSON-B codec for payloads and results. */
        public Builder codec(JsonCodec c) {
            this.codec = c;
            return this;
        }

        /** The client. */
        public FairQueueClient build() {
            if (url == null || token == null || token.isBlank()) {
                throw new IllegalStateException("a FairQueue client needs a url and a token");
            }
            return new FairQueueClient(
                    new Http(url, token, connectTimeout, requestTimeout, maxAttempts, backoff), codec);
        }
    }
}
