package io.fairqueue.client;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.StringReader;
import java.lang.reflect.Type;

/**
 * Converts between application objects and JSON-P values with JSON-B (Yasson): payloads
 * submitted as records or maps, payloads handed to handlers as records, results written back.
 * A {@link JsonValue} passes through untouched.
 */
public final class JsonCodec {

    private static final JsonCodec DEFAULT = new JsonCodec(JsonbBuilder.create());

    private final Jsonb jsonb;

    /** A codec over the given JSON-B instance (custom adapters, naming strategies). */
    public JsonCodec(Jsonb jsonb) {
        this.jsonb = jsonb;
    }

    /** The shared default codec. */
    public static JsonCodec standard() {
        return DEFAULT;
    }

    /** {@code value} as JSON ({@code JsonValue.NULL} for null). */
    public JsonValue toJsonValue(Object value) {
        if (value == null) {
            return JsonValue.NULL;
        }
        if (value instanceof JsonValue v) {
            return v;
        }
        try (JsonReader r = Json.createReader(new StringReader(jsonb.toJson(value)))) {
            return r.readValue();
        }
    }

    /** {@code json} as an instance of {@code type} (JsonValue types are returned as they are). */
    @SuppressWarnings("unchecked")
    public <T> T fromJsonValue(JsonValue json, Type type) {
        if (type instanceof Class<?> c && JsonValue.class.isAssignableFrom(c)) {
            if (c == JsonObject.class && !(json instanceof JsonObject)) {
                return (T) JsonValue.EMPTY_JSON_OBJECT; // a job submitted without a payload
            }
            return (T) (json == null ? JsonValue.NULL : json);
        }
        return jsonb.fromJson(json == null ? "null" : json.toString(), type);
    }
}
