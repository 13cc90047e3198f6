package io.fairqueue.bench;

import static io.fairqueue.bench.Report.fmt2;
import static io.fairqueue.bench.Report.met;

import io.fairqueue.bench.Benchmark.Clients;
import io.fairqueue.bench.Benchmark.Mode;
import jakarta.json.JsonValue;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live events (issue 16; part {@code events}). {@value #SUBSCRIBERS} streams of
 * {@code GET /queue/events} stay open (VIEWER tokens, 8 streams each, read as a browser's
 * {@code fetch} would), while jobs are submitted one at a time at random moments: the time from
 * sending the submit to each stream receiving the job's {@code jobs} event. With the streams
 * still open, {@code GET /queue} is timed again against SPEC §7's bound. Runs after the depths,
 * so it sees the largest backlog of the run.
 */
final class Events {

    static final int SUBSCRIBERS = 100;
    static final int STREAMS_PER_TOKEN = 8;

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final Mode mode;
    private final Http admin;
    private final String base;
    private final Report report;
    /** When each measured job's submit was sent; guarded by itself, with {@link #early}. */
    private final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    /** Arrivals of jobs whose submit had not answered yet (its id was unknown then). */
    private final Map<Long, List<Long>> early = new ConcurrentHashMap<>();

    private final Stats arrival = new Stats();
    private final AtomicInteger received = new AtomicInteger();

    Events(Mode mode, Clients clients, String base, Report report) {
        this.mode = mode;
        this.admin = clients.admin();
        this.base = base;
        this.report = report;
    }

    void run() throws Exception {
        admin.post("queues", "{\"name\":\"events\"}", 201);
        List<InputStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < SUBSCRIBERS; i++) {
                if (i % STREAMS_PER_TOKEN == 0) {
                    admin.post(
                            "admin/users",
                            "{\"id\":\"viewer" + i + "\",\"displayName\":\"v\",\"role\":\"VIEWER\"}",
                            201);
                }
                String token = Http.object(admin.post(
                                "admin/users/viewer" + (i / STREAMS_PER_TOKEN * STREAMS_PER_TOKEN) + "/tokens",
                                null,
                                201))
                        .getString("token");
                streams.add(open(token));
            }
            Thread.sleep(1500); // every stream had its first tick
            int jobs = mode.latencySamples();
            for (int i = 0; i < jobs; i++) {
                Thread.sleep(50 + ThreadLocalRandom.current().nextInt(100));
                long t0 = System.nanoTime();
                long id = Http.object(
                                admin.post("jobs", "{\"queue\":\"events\",\"type\":\"ping\",\"userId\":\"u5\"}", 201))
                        .getJsonNumber("id")
                        .longValue();
                synchronized (sentAt) {
                    sentAt.put(id, t0);
                    for (long at : early.getOrDefault(id, List.of())) {
                        arrived(at - t0);
                    }
                    early.remove(id);
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (received.get() < jobs * SUBSCRIBERS && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Stats views = new Stats();
            for (int i = 0; i < mode.viewSamples(); i++) {
                views.time(() -> admin.get("queue?limit=50"));
            }
            report.put(
                    "events",
                    Map.of(
                            "subscribers", SUBSCRIBERS,
                            "jobs", jobs,
                            "received", received.get(),
                            "p50Ms", arrival.p50(),
                            "p99Ms", arrival.p99(),
                            "queueViewP99Ms", views.p99()));
            report.row(
                    "submit to event, " + SUBSCRIBERS + " streams (ms; " + received.get() + " of " + jobs * SUBSCRIBERS
                            + ")",
                    fmt2(arrival.p50()),
                    fmt2(arrival.p99()),
                    "",
                    "");
            report.row(
                    "GET /queue with " + SUBSCRIBERS + " streams open (ms)",
                    fmt2(views.p50()),
                    fmt2(views.p99()),
                    "p99 < 50",
                    met(views.p99() < 50));
        } finally {
            for (InputStream s : streams) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // gone already
                }
            }
        }
    }

    private void arrived(long nanos) {
        arrival.add(nanos);
        received.incrementAndGet();
    }

    private InputStream open(String token) throws Exception {
        HttpResponse<InputStream> r = CLIENT.send(
                HttpRequest.newBuilder(URI.create(base + "queue/events"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /queue/events answered " + r.statusCode());
        }
        Thread reader = new Thread(() -> read(r.body()), "events-subscriber");
        reader.setDaemon(true);
        reader.start();
        return r.body();
    }

    private void read(InputStream body) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: [")) {
                    continue;
                }
                long now = System.nanoTime();
                for (JsonValue v : Http.array(line.substring(6))) {
                    if (!"events".equals(v.asJsonObject().getString("queue"))
                            || !"PENDING".equals(v.asJsonObject().getString("status"))) {
                        continue;
                    }
                    long id = v.asJsonObject().getJsonNumber("id").longValue();
                    synchronized (sentAt) {
                        Long t0 = sentAt.get(id);
                        if (t0 != null) {
                            arrived(now - t0);
                        } else {
                            early.computeIfAbsent(id, k -> new ArrayList<>()).add(now);
                        }
                    }
                }
            }
        } catch (IOException closed) {
            // the run is over
        }
    }
}
