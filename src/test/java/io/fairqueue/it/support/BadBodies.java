package io.fairqueue.it.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates bad request bodies from a seeded random source: a valid body of an operation (as the
 * OpenAPI document describes it) with one member replaced by a value of the wrong kind, or the body
 * itself broken (text after it, a duplicate member, invalid UTF-8, nesting past the limit). Every
 * case knows the status and the {@code field} the problem document must name, so a test can send
 * hundreds of them and check each.
 */
public final class BadBodies {

    /** What a member holds, which decides what is wrong for it. */
    public enum Kind {
        STRING,
        INT,
        BOOL,
        TIMESTAMP,
        STRINGS,
        DOCUMENT,
        PRIORITY
    }

    /** One operation: where to send, a valid body's members (JSON text each), and their kinds. */
    public record Operation(
            String method, String path, String wrapper, Map<String, String> valid, Map<String, Kind> kinds) {}

    /** A generated request; {@code field} is what the problem must name. */
    public record Case(String name, String method, String path, byte[] body, int status, String field) {}

    /** A wrong value for a member; {@code whole}: the error names the top-level member, not the nested path. */
    private record Wrong(String json, String what, boolean whole) {}

    private static final String DEEP = "[".repeat(129) + "]".repeat(129);

    private static final Map<Kind, List<Wrong>> WRONG = Map.of(
            Kind.STRING,
                    List.of(
                            new Wrong("7", "a number", false),
                            new Wrong("true", "a boolean", false),
                            new Wrong("[]", "an array", false),
                            new Wrong("{}", "an object", false),
                            new Wrong("\"a\\u0000b\"", "a NUL character", false),
                            new Wrong("\"a\\ud800b\"", "a lone surrogate", true),
                            new Wrong(DEEP, "deep nesting", true)),
            Kind.INT,
                    List.of(
                            new Wrong("\"5\"", "a string", false),
                            new Wrong("1.5", "a fraction", false),
                            new Wrong("true", "a boolean", false),
                            new Wrong("[1]", "an array", false),
                            new Wrong("1e400", "a huge integer", false),
                            new Wrong("99999999999999999999", "past long", false),
                            new Wrong("1e999999999999", "an exponent past int", true),
                            new Wrong("9".repeat(1200), "1,200 digits", true)),
            Kind.BOOL,
                    List.of(
                            new Wrong("\"true\"", "a string", false),
                            new Wrong("1", "a number", false),
                            new Wrong("[]", "an array", false),
                            new Wrong("{}", "an object", false)),
            Kind.TIMESTAMP,
                    List.of(
                            new Wrong("1700000000", "a number", false),
                            new Wrong("\"2030-01-01T00:00:00\"", "no offset", false),
                            new Wrong("\"+10000-01-01T00:00:00Z\"", "the year 10000", false),
                            new Wrong("\"9999-12-31T23:30:00-01:00\"", "the year 10000 in UTC", false),
                            new Wrong("\"1582-10-14T23:59:59Z\"", "before the Gregorian calendar", false),
                            new Wrong("\"0001-01-01T00:00:00Z\"", "the year 1", false),
                            new Wrong("\"2030-01-01T00:00:00\\udc00Z\"", "a lone surrogate", true)),
            Kind.STRINGS,
                    List.of(
                            new Wrong("\"q\"", "a string", false),
                            new Wrong("[1]", "a number item", false),
                            new Wrong("[[]]", "an array item", false),
                            new Wrong("[\"a\\u0000\"]", "a NUL item", false),
                            new Wrong("{}", "an object", false),
                            new Wrong("[\"\\ud83d\"]", "a lone surrogate", true)),
            Kind.DOCUMENT,
                    List.of(
                            new Wrong(DEEP, "deep nesting", true),
                            new Wrong("[1e131071]", "131,072 digits", true),
                            new Wrong("{\"k\":\"\\udfff\"}", "a lone surrogate", true),
                            new Wrong("{\"k\":\"a\\u0000\"}", "a NUL", false),
                            new Wrong("{\"k\":1,\"k\":2}", "a duplicate member", true),
                            new Wrong("[1e-1000]", "1,001 fraction digits", true)),
            Kind.PRIORITY,
                    List.of(
                            new Wrong("\"HIGH\"", "an unknown tier", false),
                            new Wrong("101", "above 100", false),
                            new Wrong("-101", "below -100", false),
                            new Wrong("1.5", "a fraction", false),
                            new Wrong("true", "a boolean", false),
                            new Wrong("{}", "an object", false),
                            new Wrong("1e400", "a huge number", false)));

    private BadBodies() {}

    /** {@code count} cases over {@code operations}, the same ones for the same seed. */
    public static List<Case> generate(long seed, int count, List<Operation> operations) {
        Random random = new Random(seed);
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Operation op = operations.get(random.nextInt(operations.size()));
            out.add(random.nextInt(6) == 0 ? brokenBody(op, random) : wrongMember(op, random));
        }
        return out;
    }

    private static Case wrongMember(Operation op, Random random) {
        List<String> members = new ArrayList<>(op.kinds().keySet());
        String member = members.get(random.nextInt(members.size()));
        List<Wrong> wrongs = WRONG.get(op.kinds().get(member));
        Wrong w = wrongs.get(random.nextInt(wrongs.size()));
        Map<String, String> body = new LinkedHashMap<>(op.valid());
        body.put(member, w.json());
        String field = op.wrapper() == null ? member : w.whole() ? op.wrapper() : op.wrapper() + "[0]." + member;
        return new Case(
                op.method() + " " + op.path() + " with " + member + " as " + w.what(),
                op.method(),
                op.path(),
                utf8(wrap(op, object(body))),
                400,
                field);
    }

    private static Case brokenBody(Operation op, Random random) {
        String valid = wrap(op, object(op.valid()));
        String name = op.method() + " " + op.path() + " with ";
        switch (random.nextInt(5)) {
            case 0:
                return new Case(
                        name + "text after the value", op.method(), op.path(), utf8(valid + " {}"), 400, "body");
            case 1: {
                String first = op.valid().keySet().iterator().next();
                String dup = "{\"" + first + "\":" + op.valid().get(first) + ","
                        + object(op.valid()).substring(1);
                return new Case(
                        name + "a member twice",
                        op.method(),
                        op.path(),
                        utf8(wrap(op, dup)),
                        400,
                        op.wrapper() == null ? first : op.wrapper());
            }
            case 2: {
                byte[] bytes = utf8(valid);
                byte[] bad = new byte[bytes.length + 1];
                System.arraycopy(bytes, 0, bad, 0, bytes.length - 1);
                bad[bytes.length - 1] = (byte) 0xFF; // never valid in UTF-8
                bad[bytes.length] = bytes[bytes.length - 1];
                return new Case(name + "invalid UTF-8", op.method(), op.path(), bad, 400, "body");
            }
            case 3: {
                String unknown = "zz" + Integer.toString(random.nextInt(1_000_000), 36);
                Map<String, String> body = new LinkedHashMap<>(op.valid());
                body.put(unknown, "1");
                return new Case(
                        name + "an unknown member",
                        op.method(),
                        op.path(),
                        utf8(wrap(op, object(body))),
                        400,
                        op.wrapper() == null ? unknown : op.wrapper() + "[0]." + unknown);
            }
            default:
                return new Case(
                        name + "a value nested 100,000 deep",
                        op.method(),
                        op.path(),
                        utf8("{\"" + (op.wrapper() == null ? "zz" : op.wrapper()) + "\":" + "[".repeat(100_000)
                                + "]".repeat(100_000) + "}"),
                        400,
                        op.wrapper() == null ? "zz" : op.wrapper());
        }
    }

    private static String object(Map<String, String> members) {
        StringBuilder b = new StringBuilder("{");
        members.forEach((k, v) -> b.append(b.length() > 1 ? "," : "")
                .append('"')
                .append(k)
                .append("\":")
                .append(v));
        return b.append('}').toString();
    }

    private static String wrap(Operation op, String item) {
        return op.wrapper() == null ? item : "{\"" + op.wrapper() + "\":[" + item + "]}";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
