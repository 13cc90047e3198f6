package io.fairqueue.platform.json;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads a request body as exactly one JSON value that PostgreSQL can store as it was sent, or
 * says which member is wrong. The JSON-P reader alone accepts too much (text after the value,
 * {@code {}{}}), changes too much (invalid UTF-8 and lone surrogates become U+FFFD or {@code ?})
 * and fails with errors that are not its own (deep nesting, numbers of a thousand digits or an
 * exponent past {@code int}). So the body is decoded strictly, walked event by event with an
 * explicit stack (no recursion, whatever the depth), and every number and string is checked on
 * the way:
 * <ul>
 *   <li>UTF-8 only (a leading byte-order mark is skipped), every string and name free of unpaired
 *       surrogates;</li>
 *   <li>at most {@link #MAX_DEPTH} nested arrays and objects;</li>
 *   <li>numbers of at most {@link #MAX_NUMBER_CHARS} characters that are at most
 *       {@link #MAX_NUMBER_DIGITS} digits long when written out in full, as PostgreSQL's
 *       {@code numeric} stores them ({@code 1e131071} is 9 characters of JSON and 131,072 digits in
 *       a {@code jsonb} column);</li>
 *   <li>no member name twice in one object (which of the two would count is anybody's guess);</li>
 *   <li>nothing but white space after the value.</li>
 * </ul>
 * Errors name the top-level member they were found in ({@code payload}), or {@code body}.
 */
final class StrictJson {

    static final int MAX_DEPTH = 128;
    static final int MAX_NUMBER_CHARS = 1100;
    static final int MAX_NUMBER_DIGITS = 1000;

    /** Looked up once: {@code Json.createX} looks the provider up on every call. */
    private static final JsonProvider JSON = JsonProvider.provider();

    private static final JsonParserFactory PARSERS = JSON.createParserFactory(Map.of());

    /** A body that is not one acceptable JSON value; {@code field} is where, {@code detail} what. */
    static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String field;

        Invalid(String field, String detail) {
            super(detail, null, false, false);
            this.field = field;
        }
    }

    private StrictJson() {}

    static JsonValue parse(byte[] utf8) {
        String text = decode(utf8);
        try (JsonParser p = PARSERS.createParser(new StringReader(text))) {
            JsonValue value = read(p);
            boolean more;
            try {
                more = p.hasNext();
            } catch (JsonException | IllegalStateException e) {
                more = true;
            }
            if (more) {
                throw new Invalid("body", "unexpected content after the JSON value (one JSON value per request)");
            }
            return value;
        } catch (JsonException | IllegalStateException | NumberFormatException e) {
            throw new Invalid("body", "malformed JSON: " + e.getMessage());
        }
    }

    private static String decode(byte[] bytes) {
        int skip =
                bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF
                        ? 3
                        : 0;
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, skip, bytes.length - skip))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Invalid("body", "is not valid UTF-8");
        }
    }

    /** One container being built: an object (with the name of the member being read) or an array. */
    private static final class Frame {
        final JsonObjectBuilder object;
        final JsonArrayBuilder array;
        final Set<String> names;
        String name;

        Frame(JsonObjectBuilder object, JsonArrayBuilder array) {
            this.object = object;
            this.array = array;
            this.names = object == null ? null : new HashSet<>();
        }

        JsonValue build() {
            return object != null ? object.build() : array.build();
        }

        void add(JsonValue v) {
            if (object != null) {
                object.add(name, v);
            } else {
                array.add(v);
            }
        }
    }

    private static JsonValue read(JsonParser p) {
        Deque<Frame> stack = new ArrayDeque<>();
        String top = null; // the top-level member being read, for error names
        while (p.hasNext()) {
            JsonParser.Event event = p.next();
            String at = top == null ? "body" : top;
            JsonValue value = null;
            switch (event) {
                case START_OBJECT, START_ARRAY -> {
                    if (stack.size() >= MAX_DEPTH) {
                        throw new Invalid(at, "nests arrays and objects deeper than " + MAX_DEPTH + " levels");
                    }
                    stack.push(
                            event == JsonParser.Event.START_OBJECT
                                    ? new Frame(JSON.createObjectBuilder(), null)
                                    : new Frame(null, JSON.createArrayBuilder()));
                    continue;
                }
                case KEY_NAME -> {
                    String name = checkText(p.getString(), at);
                    if (stack.size() == 1) {
                        top = name;
                        at = name;
                    }
                    if (!stack.peek().names.add(name)) {
                        throw new Invalid(at, "the member name '" + abbreviate(name) + "' appears twice in one object");
                    }
                    stack.peek().name = name;
                    continue;
                }
                case END_OBJECT, END_ARRAY -> value = stack.pop().build();
                case VALUE_STRING -> value = JSON.createValue(checkText(p.getString(), at));
                case VALUE_NUMBER -> value = number(p.getString(), at);
                case VALUE_TRUE -> value = JsonValue.TRUE;
                case VALUE_FALSE -> value = JsonValue.FALSE;
                case VALUE_NULL -> value = JsonValue.NULL;
                default -> throw new Invalid(at, "unexpected " + event);
            }
            if (stack.isEmpty()) {
                return value;
            }
            stack.peek().add(value);
            if (stack.size() == 1 && stack.peek().object != null) {
                top = null;
            }
        }
        throw new Invalid("body", "malformed JSON: the text ends before the value does");
    }

    private static String checkText(String s, String at) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new Invalid(
                        at,
                        "contains an unpaired UTF-16 surrogate (\\u" + Integer.toHexString(c)
                                + "), which is not a Unicode character");
            }
        }
        return s;
    }

    private static JsonValue number(String text, String at) {
        if (text.length() > MAX_NUMBER_CHARS) {
            throw new Invalid(at, "has a number of more than " + MAX_NUMBER_CHARS + " characters");
        }
        BigDecimal n;
        try {
            n = new BigDecimal(text);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new Invalid(at, "has a number out of range: " + abbreviate(text));
        }
        long whole = Math.max(1L, (long) n.precision() - n.scale());
        long fraction = Math.max(0L, n.scale());
        if (whole + fraction > MAX_NUMBER_DIGITS) {
            throw new Invalid(
                    at, "has a number of more than " + MAX_NUMBER_DIGITS + " digits written out: " + abbreviate(text));
        }
        boolean integral = text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0;
        if (integral && text.length() <= 18) {
            return JSON.createValue(Long.parseLong(text));
        }
        return JSON.createValue(n);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
