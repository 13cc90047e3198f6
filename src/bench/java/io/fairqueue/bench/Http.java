package io.fairqueue.bench;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.IntFunction;

/** A FairQueue client over HTTP/1.1 on loopback: one bearer token, JSON in and out. */
final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final String base;
    private final String token;

    Http(String base, String token) {
        this.base = base;
        this.token = token;
    }

    Http as(String otherToken) {
        return new Http(base, otherToken);
    }

    String get(String path) {
        return send("GET", path, null, 200);
    }

    String post(String path, String json, int expected) {
        return send("POST", path, json, expected);
    }

    String put(String path, String json) {
        return send("PUT", path, json, 200);
    }

    String delete(String path) {
        return send("DELETE", path, null, 200);
    }

    /** Sends and answers the body; any other status than {@code expected} fails the benchmark. */
    String send(String method, String path, String json, int expected) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(
                method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        try {
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != expected) {
                throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Status only, for probes (health). */
    int status(String path) {
        try {
            return CLIENT.send(
                            HttpRequest.newBuilder(URI.create(base + path))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static JsonObject object(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    static JsonArray array(String body) {
        return Json.createReader(new StringReader(body)).readArray();
    }

    static JsonValue value(String body) {
        return Json.createReader(new StringReader(body)).readValue();
    }

    /** A {@code POST /jobs/batch} body: jobs {@code from}..{@code to - 1} of one queue, each for {@code user.apply(i)}. */
    static String batch(String queue, String type, int from, int to, IntFunction<String> user) {
        StringBuilder b = new StringBuilder("{\"jobs\":[");
        for (int i = from; i < to; i++) {
            b.append(i == from ? "" : ",")
                    .append("{\"queue\":\"")
                    .append(queue)
                    .append("\",\"type\":\"")
                    .append(type)
                    .append("\",\"userId\":\"")
                    .append(user.apply(i))
                    .append("\"}");
        }
        return b.append("]}").toString();
    }

    /** A {@code POST /jobs/start} or {@code /jobs/complete} body: the id and lease token of each claimed job. */
    static String leases(JsonArray claimed) {
        return "{\"jobs\":" + leaseItems(claimed) + "}";
    }

    /** {@code [{id, leaseToken}, ...]} of claimed jobs: the items of a batch start or complete, or of a claim's complete. */
    static String leaseItems(JsonArray claimed) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < claimed.size(); i++) {
            JsonObject j = claimed.getJsonObject(i);
            b.append(i == 0 ? "" : ",")
                    .append("{\"id\":")
                    .append(j.getJsonNumber("id"))
                    .append(",\"leaseToken\":\"")
                    .append(j.getString("leaseToken"))
                    .append("\"}");
        }
        return b.append("]").toString();
    }
}
