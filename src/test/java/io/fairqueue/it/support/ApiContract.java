package io.fairqueue.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The API contract as the tests hold the server to it: every answer {@link Api} receives is
 * checked here against {@code META-INF/openapi.yaml}, the document {@code /openapi} serves.
 *
 * <p>For a documented path and method, the status must be one the operation lists, the
 * {@code Content-Type} one of that response's media types (none: an empty body), and the body
 * valid against its schema (OpenAPI 3.0 dialect, formats asserted: {@code int32}, {@code int64},
 * {@code date-time}, ...). The check is stricter than the published document in one way: every
 * object schema that lists {@code properties} is closed ({@code additionalProperties: false}, with
 * {@code allOf} branches merged first), so a member the document does not name fails the test. The
 * published schemas stay open, so that adding a member to an answer never breaks a generated
 * client.
 *
 * <p>A path the document does not describe must answer an error as a problem document (a 405
 * for an undocumented method, a 404 for an unknown path); the exceptions are {@code /openapi}
 * itself (OpenApiIT checks it), Payara's {@code /health} and {@code /metrics}, the tests' own
 * clock resource under {@code /api/v1/test/}, and a successful GET outside {@code /api/} (the web
 * console's static files, ConsoleIT). Not checked either, because they do not pass
 * through {@link Api}: requests written over raw sockets ({@link Sockets}: malformed HTTP that no
 * client library would send), {@link SecondNode}'s readiness poll of {@code /health/ready}, and
 * the client generated from the document (OpenApiIT), which reads every answer into its typed
 * models instead.
 */
public final class ApiContract {

    /** The IRI under which the (closed) document is known to the schema registry. */
    private static final String IRI = "https://fairqueue.io/openapi.json";

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    private static final ObjectMapper JSON = new ObjectMapper();

    private static volatile ApiContract instance;

    private final JsonNode document;
    private final List<Route> routes;
    private final SchemaRegistry registry;
    private final SchemaRegistry published;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    /** One documented path: its template split into segments ({@code null} for a parameter). */
    private record Route(String template, String[] segments, int literals) {}

    ApiContract(JsonNode document) {
        this.document = document;
        List<Route> r = new ArrayList<>();
        document.get("paths").fieldNames().forEachRemaining(p -> {
            String[] parts = p.substring(1).split("/", -1);
            int literals = 0;
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].startsWith("{")) {
                    parts[i] = null;
                } else {
                    literals++;
                }
            }
            r.add(new Route(p, parts, literals));
        });
        // a concrete path wins over a template that also matches (/jobs/batch before /jobs/{id})
        r.sort(Comparator.comparingInt(Route::literals).reversed());
        this.routes = List.copyOf(r);
        JsonNode closed = closed(document);
        SchemaRegistryConfig config =
                SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build();
        this.registry = SchemaRegistry.withDefaultDialect(
                Dialects.getOpenApi30(), b -> b.schemaRegistryConfig(config).schemas(Map.of(IRI, closed.toString())));
        this.published = SchemaRegistry.withDefaultDialect(
                Dialects.getOpenApi30(), b -> b.schemaRegistryConfig(config).schemas(Map.of(IRI, document.toString())));
    }

    /**
     * How a JSON request body departs from its operation's request schema as published (what a
     * tool that validates requests would say before sending it); empty when it conforms.
     */
    public List<String> requestViolations(String method, String path, String body) throws IOException {
        Route route = route(path);
        String m = method.toLowerCase(Locale.ROOT);
        if (route == null || !document.get("paths").get(route.template()).has(m)) {
            return List.of(method + " " + path + " is not in the document");
        }
        String at = "/paths/" + escape(route.template()) + "/" + m + "/requestBody/content/application~1json/schema";
        if (document.at(at).isMissingNode()) {
            return List.of(method + " " + route.template() + " takes no JSON body");
        }
        return published.getSchema(SchemaLocation.of(IRI + "#" + at)).validate(JSON.readTree(body)).stream()
                .map(Error::toString)
                .toList();
    }

    /** The repository's document (on the test class path from {@code target/classes}). */
    public static ApiContract get() {
        if (instance == null) {
            synchronized (ApiContract.class) {
                if (instance == null) {
                    instance = new ApiContract(read("META-INF/openapi.yaml"));
                }
            }
        }
        return instance;
    }

    static JsonNode read(String resource) {
        try (InputStream in = ApiContract.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path");
            }
            return new YAMLMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every way the answer departs from the document, empty when it conforms.
     *
     * @param method the request's method
     * @param rawPath the request URI's raw (still percent-encoded) path
     * @param contentType the answer's {@code Content-Type}, or empty
     */
    public List<String> violations(String method, String rawPath, int status, String contentType, String body) {
        String m = method.toLowerCase(Locale.ROOT);
        if (rawPath.equals("/openapi")
                || rawPath.startsWith("/openapi/") && status < 400
                || rawPath.startsWith("/health")
                || rawPath.startsWith("/metrics")
                || rawPath.startsWith("/api/v1/test/")
                // the web console's static files (index.html, console/*.js, the favicon): not the API;
                // a failed one must still be a problem document, so only successes pass here
                || !rawPath.startsWith("/api/") && "get".equals(m) && status < 400) {
            return List.of();
        }
        Route route = route(rawPath);
        JsonNode operation = route == null
                ? null
                : document.get("paths").get(route.template()).get(m);
        if (operation == null || !METHODS.contains(m)) {
            String where = route == null ? "path " + rawPath : method + " " + route.template();
            if (status < 400) {
                return List.of(where + " is not in the document but answered " + status);
            }
            return problem(where, status, contentType, body, m.equals("head"));
        }
        String op = method + " " + route.template() + " ("
                + operation.path("operationId").asText() + ")";
        JsonNode response = operation.path("responses").get(String.valueOf(status));
        if (response == null) {
            return List.of(op + " answered " + status + ", which the document does not list: " + shorten(body));
        }
        String pointer = "/paths/" + escape(route.template()) + "/" + m + "/responses/" + status;
        if (response.has("$ref")) {
            pointer = response.get("$ref").asText().substring(1);
            response = document.at(pointer);
        }
        return body(op + " " + status, response, pointer, contentType, body, m.equals("head"));
    }

    /** Throws when the answer departs from the document. */
    public void check(String method, String rawPath, int status, String contentType, String body) {
        List<String> found = violations(method, rawPath, status, contentType, body);
        if (!found.isEmpty()) {
            throw new AssertionError("the answer departs from the OpenAPI document: " + String.join("; ", found));
        }
    }

    private List<String> problem(String where, int status, String contentType, String body, boolean head) {
        return body(
                where + " " + status,
                document.at("/components/responses/BadRequest"),
                "/components/responses/BadRequest",
                contentType,
                body,
                head);
    }

    private List<String> body(
            String what, JsonNode response, String pointer, String contentType, String body, boolean head) {
        JsonNode content = response.get("content");
        String media =
                contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (content == null || content.isEmpty()) {
            return body == null || body.isEmpty()
                    ? List.of()
                    : List.of(what + " documents no body but one came (" + contentType + "): " + shorten(body));
        }
        if (!content.has(media)) {
            return List.of(
                    what + " answered Content-Type '" + contentType + "', the document lists " + fieldNames(content));
        }
        if (head) {
            return List.of();
        }
        JsonNode schemaNode = content.get(media).get("schema");
        if (schemaNode == null) {
            return List.of();
        }
        JsonNode instance;
        try {
            instance = JSON.readTree(body);
        } catch (IOException | RuntimeException e) {
            return List.of(what + " is not JSON: " + shorten(body));
        }
        String at = pointer + "/content/" + escape(media) + "/schema";
        Schema schema = schemas.computeIfAbsent(at, p -> registry.getSchema(SchemaLocation.of(IRI + "#" + p)));
        List<Error> errors = schema.validate(instance);
        if (errors.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Error e : errors) {
            out.add(what + ": " + e);
        }
        out.add("body: " + shorten(body));
        return out;
    }

    private Route route(String rawPath) {
        String[] parts = rawPath.substring(1).split("/", -1);
        for (Route r : routes) {
            if (r.segments().length != parts.length) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < parts.length && match; i++) {
                String want = r.segments()[i];
                String have = URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8);
                match = want == null ? !have.isEmpty() : want.equals(have);
            }
            if (match) {
                return r;
            }
        }
        return null;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String escape(String pointerSegment) {
        return pointerSegment.replace("~", "~0").replace("/", "~1");
    }

    private static String shorten(String body) {
        if (body == null) {
            return "";
        }
        return body.length() > 600 ? body.substring(0, 600) + "..." : body;
    }

    /**
     * The document with every object schema closed: {@code allOf} merged into one schema, then
     * {@code additionalProperties: false} wherever {@code properties} are listed and
     * {@code additionalProperties} is not.
     */
    static JsonNode closed(JsonNode document) {
        JsonNode copy = document.deepCopy();
        merge(copy, copy);
        close(copy);
        return copy;
    }

    private static void merge(JsonNode node, JsonNode root) {
        if (node instanceof ObjectNode o) {
            if (o.get("allOf") instanceof ArrayNode branches) {
                ObjectNode merged = JSON.createObjectNode();
                Set<String> required = new LinkedHashSet<>();
                ObjectNode properties = JSON.createObjectNode();
                for (JsonNode b : branches) {
                    JsonNode branch =
                            b.has("$ref") ? root.at(b.get("$ref").asText().substring(1)) : b;
                    branch = branch.deepCopy();
                    merge(branch, root);
                    branch.properties().forEach(e -> {
                        switch (e.getKey()) {
                            case "properties" -> properties.setAll((ObjectNode) e.getValue());
                            case "required" -> e.getValue().forEach(r -> required.add(r.asText()));
                            default -> {
                                if (!merged.has(e.getKey())) {
                                    merged.set(e.getKey(), e.getValue());
                                }
                            }
                        }
                    });
                }
                o.remove("allOf");
                merged.properties().forEach(e -> {
                    if (!o.has(e.getKey())) {
                        o.set(e.getKey(), e.getValue());
                    }
                });
                if (!properties.isEmpty()) {
                    ObjectNode own = o.get("properties") instanceof ObjectNode p ? p : o.putObject("properties");
                    properties.properties().forEach(e -> {
                        if (!own.has(e.getKey())) {
                            own.set(e.getKey(), e.getValue());
                        }
                    });
                }
                if (!required.isEmpty()) {
                    ArrayNode r = o.putArray("required");
                    required.forEach(r::add);
                }
            }
            o.properties().forEach(e -> merge(e.getValue(), root));
        } else if (node instanceof ArrayNode a) {
            a.forEach(n -> merge(n, root));
        }
    }

    private static void close(JsonNode node) {
        if (node instanceof ObjectNode o) {
            if (o.get("properties") instanceof ObjectNode && !o.has("additionalProperties")) {
                o.put("additionalProperties", false);
            }
            o.properties().forEach(e -> close(e.getValue()));
        } else if (node instanceof ArrayNode a) {
            a.forEach(ApiContract::close);
        }
    }
}
