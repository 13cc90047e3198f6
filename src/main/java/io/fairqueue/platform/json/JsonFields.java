package io.fairqueue.platform.json;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.platform.problem.ProblemException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Typed, field-naming access to a JSON object body. Every type error is a 400 problem whose
 * {@code field} is the JSON member's name; unknown members are rejected so that a typo
 * ({@code "prioirty"}) is never silently ignored.
 */
public final class JsonFields {

    /** Largest accepted {@code payload}/{@code result} document, serialized: 1 MiB. */
    public static final int MAX_DOCUMENT_BYTES = 1024 * 1024;

    /** PostgreSQL text and jsonb cannot hold U+0000. */
    static final String NUL_MESSAGE = "must not contain the NUL character (\\u0000)";

    /**
     * The instants a timestamp member may hold. Before the Gregorian reform (1582-10-15) Java's
     * proleptic calendar and PostgreSQL's disagree by days, and {@code timestamptz} ends with the
     * year 9999 in every client's eyes; the bounds are compared in UTC, whatever offset was written.
     */
    static final OffsetDateTime EARLIEST = OffsetDateTime.of(1582, 10, 15, 0, 0, 0, 0, ZoneOffset.UTC);

    static final OffsetDateTime LATEST = OffsetDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000, ZoneOffset.UTC);

    private final JsonObject object;

    /** Where this object sits in the body ("" at the top, "jobs[3]." in a list), for error names. */
    private final String path;

    private JsonFields(JsonObject object, String path) {
        this.object = object;
        this.path = path;
    }

    public static JsonFields of(JsonValue value) {
        if (value == null || value.getValueType() != JsonValue.ValueType.OBJECT) {
            throw badRequest("body", "must be a JSON object");
        }
        return new JsonFields(value.asJsonObject(), "");
    }

    /** Rejects members other than {@code known}. */
    public JsonFields allow(String... known) {
        Set<String> allowed = new HashSet<>(Arrays.asList(known));
        for (String name : object.keySet()) {
            if (!allowed.contains(name)) {
                throw badRequest(path + name, "unknown field; expected one of " + String.join(", ", known));
            }
        }
        return this;
    }

    /** True when the member is present, even as {@code null} (PATCH distinguishes the two). */
    public boolean has(String name) {
        return object.containsKey(name);
    }

    private JsonValue value(String name) {
        JsonValue v = object.get(name);
        return v == null || v.getValueType() == JsonValue.ValueType.NULL ? null : v;
    }

    public String string(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonString s)) {
            throw badRequest(path + name, "must be a string");
        }
        if (s.getString().indexOf('\0') >= 0) {
            throw badRequest(path + name, NUL_MESSAGE);
        }
        return s.getString();
    }

    public Integer integer(String name) {
        Long v = longValue(name);
        if (v != null && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
            throw badRequest(path + name, "is out of range");
        }
        return v == null ? null : v.intValue();
    }

    public Long longValue(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonNumber n) || !n.isIntegral()) {
            throw badRequest(path + name, "must be an integer");
        }
        try {
            return n.longValueExact();
        } catch (ArithmeticException e) {
            throw badRequest(path + name, "is out of range");
        }
    }

    public Double number(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonNumber n)) {
            throw badRequest(path + name, "must be a number");
        }
        return n.doubleValue();
    }

    public java.math.BigDecimal decimal(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonNumber n)) {
            throw badRequest(path + name, "must be a number");
        }
        return n.bigDecimalValue();
    }

    public <E extends Enum<E>> E enumValue(String name, Class<E> type) {
        return Params.enumValue(path + name, string(name), type);
    }

    public Boolean bool(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (v == JsonValue.TRUE
                || v == JsonValue.FALSE
                || v.getValueType() == JsonValue.ValueType.TRUE
                || v.getValueType() == JsonValue.ValueType.FALSE) {
            return v.getValueType() == JsonValue.ValueType.TRUE;
        }
        throw badRequest(path + name, "must be true or false");
    }

    public OffsetDateTime timestamp(String name) {
        String s = string(name);
        if (s == null) {
            return null;
        }
        try {
            OffsetDateTime t = OffsetDateTime.parse(s);
            if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
                throw badRequest(
                        path + name,
                        "must lie between " + EARLIEST + " and " + LATEST
                                + " (UTC), the Gregorian range that PostgreSQL and Java read alike");
            }
            return t;
        } catch (DateTimeParseException e) {
            throw badRequest(path + name, "must be an ISO-8601 timestamp with offset, e.g. 2026-01-31T22:00:00Z");
        }
    }

    public List<String> strings(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (v.getValueType() != JsonValue.ValueType.ARRAY) {
            throw badRequest(path + name, "must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonValue item : v.asJsonArray()) {
            if (!(item instanceof JsonString s)) {
                throw badRequest(path + name, "must be an array of strings");
            }
            if (s.getString().indexOf('\0') >= 0) {
                throw badRequest(path + name, NUL_MESSAGE);
            }
            out.add(s.getString());
        }
        return out;
    }

    /**
     * An array of 1..{@code max} objects, each read like a body of its own; errors name the item,
     * e.g. {@code jobs[3].leaseToken}.
     */
    public List<JsonFields> objects(String name, int max) {
        return objects(name, 1, max);
    }

    /** As {@link #objects(String, int)}, with {@code min} items at the least (0: an empty list is fine). */
    public List<JsonFields> objects(String name, int min, int max) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (v.getValueType() != JsonValue.ValueType.ARRAY) {
            throw badRequest(path + name, "must be an array of objects");
        }
        if (v.asJsonArray().size() < min || v.asJsonArray().size() > max) {
            throw badRequest(path + name, "must hold between " + min + " and " + max + " items");
        }
        List<JsonFields> out = new ArrayList<>();
        for (JsonValue item : v.asJsonArray()) {
            String at = path + name + "[" + out.size() + "]";
            if (item.getValueType() != JsonValue.ValueType.OBJECT) {
                throw badRequest(at, "must be a JSON object");
            }
            out.add(new JsonFields(item.asJsonObject(), at + "."));
        }
        return out;
    }

    /** A JSON document (object, array or scalar) stored verbatim, at most 1 MiB; 413 above. */
    public String document(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (containsNul(v)) {
            throw badRequest(path + name, NUL_MESSAGE);
        }
        String text = v.toString();
        if (text.length() > MAX_DOCUMENT_BYTES / 4
                && text.getBytes(StandardCharsets.UTF_8).length > MAX_DOCUMENT_BYTES) {
            throw ProblemException.tooLarge(path + name, "must be at most 1 MiB (1048576 bytes) of JSON");
        }
        return text;
    }

    private static boolean containsNul(JsonValue v) {
        return switch (v.getValueType()) {
            case STRING -> ((JsonString) v).getString().indexOf('\0') >= 0;
            case ARRAY -> v.asJsonArray().stream().anyMatch(JsonFields::containsNul);
            case OBJECT ->
                v.asJsonObject().entrySet().stream()
                        .anyMatch(e -> e.getKey().indexOf('\0') >= 0 || containsNul(e.getValue()));
            default -> false;
        };
    }

    /**
     * A priority: an integer in -100..100 or a tier name (URGENT = 10, NORMAL = 0,
     * BACKGROUND = -10, case-insensitive).
     */
    public Integer priority(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        Integer p;
        if (v instanceof JsonString s) {
            p = switch (s.getString().trim().toUpperCase(Locale.ROOT)) {
                case "URGENT" -> 10;
                case "NORMAL" -> 0;
                case "BACKGROUND" -> -10;
                default ->
                    throw badRequest(
                            path + name,
                            "unknown tier '" + s.getString()
                                    + "'; use URGENT, NORMAL, BACKGROUND or an integer in -100..100");
            };
        } else {
            p = integer(name);
        }
        if (p < -100 || p > 100) {
            throw badRequest(path + name, "must be between -100 and 100");
        }
        return p;
    }

    /** A nested object read like a body of its own; errors name its members as {@code name.member}. */
    public JsonFields object(String name) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (v.getValueType() != JsonValue.ValueType.OBJECT) {
            throw badRequest(path + name, "must be a JSON object");
        }
        return new JsonFields(v.asJsonObject(), path + name + ".");
    }

    /** An array of {@code min..max} integers. */
    public List<Long> longs(String name, int min, int max) {
        JsonValue v = value(name);
        if (v == null) {
            return null;
        }
        if (v.getValueType() != JsonValue.ValueType.ARRAY) {
            throw badRequest(path + name, "must be an array of integers");
        }
        if (v.asJsonArray().size() < min || v.asJsonArray().size() > max) {
            throw badRequest(path + name, "must hold between " + min + " and " + max + " items");
        }
        List<Long> out = new ArrayList<>();
        for (JsonValue item : v.asJsonArray()) {
            if (!(item instanceof JsonNumber n) || !n.isIntegral()) {
                throw badRequest(path + name, "must be an array of integers");
            }
            try {
                out.add(n.longValueExact());
            } catch (ArithmeticException e) {
                throw badRequest(path + name, "is out of range");
            }
        }
        return out;
    }
}
