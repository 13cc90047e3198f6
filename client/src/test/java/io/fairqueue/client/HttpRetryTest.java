package io.fairqueue.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The retry rule against a scripted local HTTP server: idempotent calls (GET, keyed submits) are
 * repeated on 503, a plain submit never is; problem documents become the typed exceptions.
 */
class HttpRetryTest {

    private static final String JOB =
            "{\"id\":7,\"queue\":\"default\",\"userId\":\"u\",\"type\":\"t\",\"status\":\"PENDING\","
                    + "\"priority\":0,\"tier\":\"NORMAL\",\"offPeakOnly\":false,\"attempts\":0,\"maxRetries\":3,"
                    + "\"createdAt\":\"2026-01-01T00:00:00Z\"}";
    private static final String UNAVAILABLE = "{\"type\":\"https://fairqueue.io/problems/service-unavailable\","
            + "\"title\":\"Service unavailable\",\"status\":503}";

    private HttpServer server;
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile int errorStatus = 503;
    private volatile String errorBody = UNAVAILABLE;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " key=" + key + " auth="
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.getRequestBody().readAllBytes();
            boolean fail = failuresLeft.getAndDecrement() > 0;
            byte[] body = (fail ? errorBody : JOB).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", fail ? "application/problem+json" : "application/json");
            if (fail) {
                exchange.getResponseHeaders().add("Retry-After", "0");
            }
            exchange.sendResponseHeaders(fail ? errorStatus : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private FairQueueClient client() {
        return FairQueueClient.builder()
                .url("http://127.0.0.1:" + server.getAddress().getPort())
                .token("secret-token")
                .maxAttempts(4)
                .backoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(20)))
                .build();
    }

    @Test
    void a_get_is_retried_on_503_until_it_succeeds() {
        failuresLeft.set(2);
        assertEquals(7, client().get(7).id());
        assertEquals(3, seen.size());
        assertTrue(seen.get(0).startsWith("GET /api/v1/jobs/7"));
        assertTrue(seen.get(0).endsWith("auth=Bearer secret-token"));
    }

    @Test
    void a_get_gives_up_after_max_attempts_with_the_typed_problem() {
        failuresLeft.set(10);
        var e = assertThrows(Problems.ServiceUnavailableException.class, () -> client().get(7));
        assertEquals("service-unavailable", e.typeName());
        assertEquals(4, seen.size());
    }

    @Test
    void a_submit_without_a_key_is_never_repeated() {
        failuresLeft.set(1);
        assertThrows(Problems.ServiceUnavailableException.class, () -> client().submit(Submission.of("t")));
        assertEquals(1, seen.size());
    }

    @Test
    void a_keyed_submit_is_repeated_with_the_same_key() {
        failuresLeft.set(2);
        assertEquals(
                7, client().submit(Submission.of("t").idempotencyKey("k-1")).id());
        assertEquals(3, seen.size());
        assertTrue(seen.stream().allMatch(s -> s.startsWith("POST /api/v1/jobs key=k-1")), seen.toString());
    }

    @Test
    void a_conflict_is_not_retried_and_a_stale_lease_is_a_lease_lost_exception() {
        failuresLeft.set(1);
        errorStatus = 409;
        errorBody = "{\"type\":\"https://fairqueue.io/problems/stale-lease\",\"title\":\"Stale lease\",\"status\":409,"
                + "\"currentState\":\"RUNNING\"}";
        var e = assertThrows(Problems.LeaseLostException.class, () -> client().get(7));
        assertEquals("RUNNING", e.currentState().orElseThrow());
        assertEquals(1, seen.size());
    }

    @Test
    void a_bad_input_problem_names_its_field() {
        failuresLeft.set(1);
        errorStatus = 400;
        errorBody =
                "{\"type\":\"https://fairqueue.io/problems/invalid-input\",\"title\":\"Invalid input\",\"status\":400,"
                        + "\"field\":\"priority\",\"detail\":\"priority: must be between -100 and 100\"}";
        var e = assertThrows(Problems.InvalidInputException.class, () -> client().submit(Submission.of("t")));
        assertEquals("priority", e.field().orElseThrow());
        assertTrue(e.getMessage().contains("must be between"));
    }

    @Test
    void a_refused_connection_is_retried_for_a_get_and_reported_with_status_0() {
        FairQueueClient dead = FairQueueClient.builder()
                .url("http://127.0.0.1:1")
                .token("t")
                .maxAttempts(3)
                .backoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(10)))
                .build();
        FairQueueException e = assertThrows(FairQueueException.class, () -> dead.get(1));
        assertEquals(0, e.status());
    }
}
