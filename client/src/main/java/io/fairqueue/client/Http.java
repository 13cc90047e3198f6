package io.fairqueue.client;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The client's one HTTP transport: bearer authentication, JSON bodies, problem documents turned
 * into typed exceptions ({@link Problems}), per-request timeouts and the retry rule.
 *
 * <p>The retry rule: only a call marked idempotent (every GET, a submit that carries an
 * Idempotency-Key, a heartbeat) is sent again, on a connection failure or a 502/503/504, after
 * a jittered exponential backoff ({@link Backoff}) that honours {@code Retry-After}. Any other
 * call is sent once: a POST that may have been applied is never repeated blindly. The token is
 * held here only and never appears in a message or a log.
 */
public final class Http {

    /** The answer of a call: status, body (JSON, or null when empty) and headers of interest. */
    public record Answer(int status, JsonValue body, Optional<String> header) {
        /** The body as an object (it must be one). */
        public JsonObject object() {
            return body.asJsonObject();
        }
    }

    private final URI base;
    private final String token;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final int maxAttempts;
    private final Backoff backoff;

    Http(URI base, String token, Duration connectTimeout, Duration requestTimeout, int maxAttempts, Backoff backoff) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build();
        this.requestTimeout = requestTimeout;
        this.maxAttempts = maxAttempts;
        this.backoff = backoff;
    }

    /** The server's base URL (without {@code /api/v1}). */
    public URI base() {
        return base;
    }

    /** GET {@code path} (relative to {@code /api/v1}); retried as an idempotent call. */
    public JsonValue get(String path, Map<String, ?> query) {
        return send("GET", path + queryString(query), null, Map.of(), true, requestTimeout)
                .body();
    }

    /** POST a JSON body; {@code idempotent} says whether it may be sent again after a failure. */
    public Answer post(String path, JsonValue body, Map<String, String> headers, boolean idempotent) {
        return send("POST", path, body, headers, idempotent, requestTimeout);
    }

    /** POST with its own timeout (long-poll claims wait on the server). */
    public Answer post(String path, JsonValue body, boolean idempotent, Duration timeout) {
        return send("POST", path, body, Map.of(), idempotent, timeout);
    }

    /** PUT a JSON body, sent once. */
    public JsonValue put(String path, JsonValue body) {
        return send("PUT", path, body, Map.of(), false, requestTimeout).body();
    }

    /** PATCH a JSON body, sent once. */
    public JsonValue patch(String path, JsonValue body) {
        return send("PATCH", path, body, Map.of(), false, requestTimeout).body();
    }

    /** DELETE, sent once. */
    public JsonValue delete(String path, Map<String, ?> query) {
        return send("DELETE", path + queryString(query), null, Map.of(), false, requestTimeout)
                .body();
    }

    /**
     * Opens {@code path} as a stream ({@code text/event-stream}); the caller reads and closes the
     * body. An error status is read and thrown as a problem.
     */
    public InputStream stream(String path) {
        HttpRequest request = HttpRequest.newBuilder(uri(path))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .GET()
                .build();
        HttpResponse<InputStream> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new FairQueueException("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FairQueueException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                throw Problems.toException(
                        r.statusCode(), problem(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw Problems.toException(r.statusCode(), null);
            }
        }
        return r.body();
    }

    private Answer send(
            String method,
            String path,
            JsonValue body,
            Map<String, String> headers,
            boolean idempotent,
            Duration timeout) {
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                    .timeout(timeout)
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", "application/json")
                    .header("User-Agent", "fairqueue-client/0.1");
            headers.forEach(b::header);
            if (body != null) {
                b.header("Content-Type", "application/json");
                b.method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                if (idempotent && attempt < maxAttempts) {
                    pause(backoff.delay(attempt), null);
                    continue;
                }
                throw new FairQueueException(method + " " + path + " failed: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FairQueueException(method + " " + path + " interrupted", e);
            }
            int status = r.statusCode();
            if (status < 400) {
                return new Answer(status, json(r.body()), r.headers().firstValue("Idempotent-Replayed"));
            }
            if (idempotent && attempt < maxAttempts && (status == 502 || status == 503 || status == 504)) {
                pause(
                        backoff.delay(attempt),
                        r.headers().firstValue("Retry-After").orElse(null));
                continue;
            }
            throw Problems.toException(status, problem(r.body()));
        }
    }

    private void pause(Duration delay, String retryAfter) {
        Duration d = delay;
        if (retryAfter != null) {
            try {
                Duration asked = Duration.ofSeconds(Long.parseLong(retryAfter.trim()));
                d = asked.compareTo(backoff.cap()) > 0 ? backoff.cap() : asked.plus(delay);
            } catch (NumberFormatException ignored) {
                // an HTTP date: keep the jittered delay
            }
        }
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FairQueueException("interrupted while backing off", e);
        }
    }

    private URI uri(String path) {
        String b = base.toString();
        return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/api/v1" + path);
    }

    /** Parses a JSON answer body; an empty body is null. */
    static JsonValue json(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try (JsonReader r = Json.createReader(new StringReader(text))) {
            return r.readValue();
        }
    }

    private static JsonObject problem(String text) {
        try {
            JsonValue v = json(text);
            return v instanceof JsonObject o ? o : null;
        } catch (JsonParsingException e) {
            return null; // a bare error page: the status alone tells
        }
    }

    /** Encodes query parameters, skipping null values; "" when none. */
    public static String queryString(Map<String, ?> query) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        StringJoiner j = new StringJoiner("&", "?", "");
        j.setEmptyValue("");
        new LinkedHashMap<>(query).forEach((k, v) -> {
            if (v != null) {
                j.add(k + "=" + URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8));
            }
        });
        return j.toString();
    }

    /** Percent-encodes one path segment (user ids, queue names). */
    public static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public String toString() {
        return "Http[" + base + "]"; // never the token
    }
}
