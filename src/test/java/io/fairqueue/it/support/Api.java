package io.fairqueue.it.support;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A small HTTP client for the FairQueue API, as one caller (bearer token). Every answer is
 * checked against the OpenAPI document before the test sees it ({@link ApiContract}): an
 * undocumented status, media type or member, a missing required member or a wrong type fails the
 * test, whatever the test itself asserts.
 */
public final class Api {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    public static final String ADMIN_TOKEN = System.getProperty("fairqueue.it.adminToken");

    private final URI root;
    private final String token;

    private Api(URI root, String token) {
        this.root = root;
        this.token = token;
    }

    /** The server Arquillian started (its URL names a non-loopback address; we use loopback). */
    public static Api admin(URL deployment) {
        return new Api(URI.create("http://127.0.0.1:" + deployment.getPort() + "/"), ADMIN_TOKEN);
    }

    /** The absolute URI of an API path ({@code jobs/1}). */
    public URI uri(String path) {
        return root.resolve("api/v1/" + path);
    }

    public String token() {
        return token;
    }

    public Api as(String otherToken) {
        return new Api(root, otherToken);
    }

    public Res get(String path) {
        return send("GET", path, null, Map.of());
    }

    /** A POST without a body. */
    public Res post(String path) {
        return send("POST", path, null, Map.of());
    }

    public Res post(String path, String json) {
        return send("POST", path, json, Map.of());
    }

    public Res post(String path, String json, Map<String, String> headers) {
        return send("POST", path, json, headers);
    }

    public Res put(String path, String json) {
        return send("PUT", path, json, Map.of());
    }

    public Res patch(String path, String json) {
        return send("PATCH", path, json, Map.of());
    }

    /** Sends a {@link TestData} builder's body. */
    public Res post(String path, TestData.Body<?> body) {
        return post(path, body.toString());
    }

    public Res post(String path, TestData.Body<?> body, Map<String, String> headers) {
        return post(path, body.toString(), headers);
    }

    public Res put(String path, TestData.Body<?> body) {
        return put(path, body.toString());
    }

    public Res patch(String path, TestData.Body<?> body) {
        return patch(path, body.toString());
    }

    public Res delete(String path) {
        return send("DELETE", path, null, Map.of());
    }

    public Res send(String method, String path, String json, Map<String, String> headers) {
        return sendBytes(
                method, path, json == null ? null : json.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers);
    }

    /** Sends {@code body} byte for byte (a String body is encoded as UTF-8, which cannot carry invalid UTF-8). */
    public Res sendBytes(String method, String path, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        root.resolve(path.startsWith("/") ? path.substring(1) : "api/v1/" + path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        try {
            HttpRequest request = b.build();
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            String contentType = r.headers().firstValue("Content-Type").orElse("");
            ApiContract.get().check(method, request.uri().getRawPath(), r.statusCode(), contentType, r.body());
            return new Res(r.statusCode(), r.body(), contentType, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An HTTP answer with JSON accessors. */
    public record Res(int status, String body, String contentType, HttpResponse<String> raw) {

        public JsonValue value() {
            return Json.createReader(new StringReader(body)).readValue();
        }

        public JsonObject json() {
            return value().asJsonObject();
        }

        public JsonArray array() {
            return value().asJsonArray();
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        /** Fails with the body when the status is not the expected one. */
        public Res expect(int expected) {
            if (status != expected) {
                throw new AssertionError("expected HTTP " + expected + " but got " + status + ": " + body);
            }
            return this;
        }
    }
}
