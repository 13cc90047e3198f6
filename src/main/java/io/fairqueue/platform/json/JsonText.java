package io.fairqueue.platform.json;

import jakarta.json.Json;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.Map;

/**
 * Parses JSON text with one reader factory for the application. {@code Json.createReader} looks
 * the JSON-P provider up through the service loader on every call; on a request path that was a
 * tenth of the server's CPU per request (async-profiler, the benchmark's submit-to-claim part).
 */
public final class JsonText {

    private static final JsonReaderFactory READERS = Json.createReaderFactory(Map.of());

    private JsonText() {}

    /** The value of a JSON text; {@code jakarta.json.JsonException} (a parsing one) when it is not one. */
    public static JsonValue parse(String text) {
        try (JsonReader r = READERS.createReader(new StringReader(text))) {
            return r.readValue();
        }
    }
}
