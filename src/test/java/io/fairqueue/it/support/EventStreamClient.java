package io.fairqueue.it.support;

import jakarta.json.Json;
import jakarta.json.JsonStructure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A server-sent-events reader for {@code GET /api/v1/queue/events}, as a browser's {@code fetch}
 * would read it: bearer token in a header, the body read line by line on a thread of its own.
 */
public final class EventStreamClient implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    /** One event: its {@code id:}, {@code event:} name and {@code data:} text. */
    public record Event(String id, String name, String data) {
        public JsonStructure json() {
            return Json.createReader(new StringReader(data)).read();
        }
    }

    private final HttpResponse<InputStream> response;
    private final List<Event> events = new ArrayList<>();
    private final List<String> fields = new ArrayList<>();
    private final AtomicInteger keepalives = new AtomicInteger();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final String errorBody;

    private EventStreamClient(HttpResponse<InputStream> response) throws IOException {
        this.response = response;
        if (response.statusCode() != 200) {
            errorBody = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            ended.countDown();
            return;
        }
        errorBody = null;
        Thread reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens a stream as the caller of {@code api}; a refused one is open too, with its status and body. */
    public static EventStreamClient open(Api api) {
        HttpRequest.Builder b = HttpRequest.newBuilder(api.uri("queue/events"))
                .header("Accept", "text/event-stream")
                .GET();
        if (api.token() != null) {
            b.header("Authorization", "Bearer " + api.token());
        }
        try {
            return new EventStreamClient(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String name = null;
            StringBuilder data = null;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (data != null) {
                        synchronized (events) {
                            events.add(new Event(id, name == null ? "message" : name, data.toString()));
                            events.notifyAll();
                        }
                    }
                    name = null;
                    data = null;
                    continue;
                }
                synchronized (fields) {
                    fields.add(line);
                }
                if (line.startsWith(": keepalive")) {
                    keepalives.incrementAndGet();
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = data == null
                            ? new StringBuilder(line.substring(6))
                            : data.append('\n').append(line.substring(6));
                }
            }
        } catch (IOException e) {
            // closed by us or by the server
        } finally {
            ended.countDown();
        }
    }

    public int status() {
        return response.statusCode();
    }

    public String header(String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** The body of a refused stream (a problem document). */
    public String errorBody() {
        return errorBody;
    }

    /** Every non-empty line received so far, in order. */
    public List<String> lines() {
        synchronized (fields) {
            return List.copyOf(fields);
        }
    }

    public int keepalives() {
        return keepalives.get();
    }

    /** The first event received (so far or within the time) that matches; null when none came. */
    public Event await(Duration within, Predicate<Event> matching) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        synchronized (events) {
            for (long left = within.toNanos(); ; left = deadline - System.nanoTime()) {
                for (Event e : events) {
                    if (matching.test(e)) {
                        return e;
                    }
                }
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(events, left);
            }
        }
    }

    /** Every event received so far, in order. */
    public List<Event> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** Whether the server ended the response within the time. */
    public boolean awaitEnd(Duration within) throws InterruptedException {
        return ended.await(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // gone already
        }
    }
}
