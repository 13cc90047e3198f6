package io.fairqueue.platform.json;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

/**
 * Query parameters are read as strings and parsed here, so that {@code ?limit=abc} is a 400
 * naming {@code limit} (JAX-RS would otherwise answer 404).
 */
public final class Params {

    private Params() {}

    public static int intIn(String name, String value, int min, int max, int dflt) {
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw badRequest(name, "must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw badRequest(name, "must be an integer between " + min + " and " + max);
        }
    }

    public static Long longIn(String name, String value, long min, long max) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            long v = Long.parseLong(value.trim());
            if (v < min || v > max) {
                throw badRequest(name, "must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw badRequest(name, "must be an integer between " + min + " and " + max);
        }
    }

    public static <E extends Enum<E>> E enumValue(String name, String value, Class<E> type) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw badRequest(
                    name,
                    "unknown value '" + value + "'; expected one of "
                            + java.util.Arrays.toString(type.getEnumConstants()));
        }
    }

    /** A body is required (an empty request is not an empty object when the endpoint needs one). */
    public static <T> T body(T body) {
        if (body == null) {
            throw badRequest("body", "is required");
        }
        return body;
    }

    /** A text parameter: blank is absent; NUL is refused (PostgreSQL text cannot hold it). */
    public static String text(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.indexOf('\0') >= 0) {
            throw badRequest(name, "must not contain the NUL character");
        }
        return value.trim();
    }

    /** An RFC 3339 instant with offset ({@code 2026-01-31T22:00:00Z}); blank is absent. */
    public static java.time.OffsetDateTime instant(String name, String value) {
        String v = text(name, value);
        if (v == null) {
            return null;
        }
        try {
            java.time.OffsetDateTime t = java.time.OffsetDateTime.parse(v);
            if (t.isBefore(JsonFields.EARLIEST) || t.isAfter(JsonFields.LATEST)) {
                throw badRequest(
                        name, "must lie between " + JsonFields.EARLIEST + " and " + JsonFields.LATEST + " (UTC)");
            }
            return t;
        } catch (java.time.format.DateTimeParseException e) {
            throw badRequest(name, "must be an RFC 3339 instant with offset, e.g. 2026-01-31T22:00:00Z");
        }
    }

    /** The text of a JSON object ({@code {"scene":"intro"}}); blank is absent; 400 naming {@code name} otherwise. */
    public static String jsonObject(String name, String value) {
        String v = text(name, value);
        if (v == null) {
            return null;
        }
        jakarta.json.JsonValue parsed;
        try {
            parsed = JsonText.parse(v);
        } catch (jakarta.json.JsonException e) {
            throw badRequest(name, "must be a JSON object, e.g. {\"scene\":\"intro\"}");
        }
        if (parsed.getValueType() != jakarta.json.JsonValue.ValueType.OBJECT) {
            throw badRequest(name, "must be a JSON object, e.g. {\"scene\":\"intro\"}");
        }
        String canonical = parsed.toString();
        if (canonical.contains("\\u0000")) {
            throw badRequest(name, JsonFields.NUL_MESSAGE);
        }
        return canonical;
    }
}
