package io.fairqueue.bench;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run found: the results (written as results.json, keys in the order they were put) and the
 * table's rows (measure, value or p50, p99, SPEC §7 target, met), printed and written as results.txt.
 */
final class Report {

    private final Map<String, Object> results = new LinkedHashMap<>();
    private final List<String[]> table = new ArrayList<>();

    void put(String key, Object value) {
        results.put(key, value);
    }

    Object get(String key) {
        return results.get(key);
    }

    void row(String what, String p50, String p99, String target, String met) {
        table.add(new String[] {what, p50, p99, target, met});
    }

    /** Prints the table and writes results.json and results.txt into {@code out}. */
    void write(Path out) throws IOException {
        StringBuilder t = new StringBuilder();
        t.append(
                String.format("%n%-58s %12s %12s  %-22s %s%n", "measure", "value/p50", "p99", "SPEC §7 target", "met"));
        for (String[] r : table) {
            t.append(String.format("%-58s %12s %12s  %-22s %s%n", (Object[]) r));
        }
        System.out.println(t);
        results.put(
                "table",
                table.stream()
                        .map(r -> Map.of("measure", r[0], "p50", r[1], "p99", r[2], "target", r[3], "met", r[4]))
                        .toList());
        StringWriter json = new StringWriter();
        Json.createWriterFactory(Map.of("jakarta.json.stream.JsonGenerator.prettyPrinting", true))
                .createWriter(json)
                .write((JsonObject) toJson(results));
        Files.writeString(out.resolve("results.json"), json.toString());
        Files.writeString(out.resolve("results.txt"), t.toString());
        System.out.println("bench: wrote " + out.resolve("results.json") + " in " + results.get("totalSeconds") + " s");
    }

    /** Maps, lists, numbers (doubles rounded to 3 decimals, NaN as null) and anything else as its string. */
    static JsonValue toJson(Object o) {
        if (o instanceof Map<?, ?> m) {
            JsonObjectBuilder b = Json.createObjectBuilder();
            m.forEach((k, v) -> b.add(k.toString(), toJson(v)));
            return b.build();
        }
        if (o instanceof List<?> l) {
            JsonArrayBuilder b = Json.createArrayBuilder();
            l.forEach(v -> b.add(toJson(v)));
            return b.build();
        }
        if (o instanceof Record r) {
            JsonObjectBuilder b = Json.createObjectBuilder();
            for (java.lang.reflect.RecordComponent c : r.getClass().getRecordComponents()) {
                try {
                    b.add(c.getName(), toJson(c.getAccessor().invoke(r)));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return b.build();
        }
        if (o instanceof Double d) {
            return Double.isNaN(d) ? JsonValue.NULL : Json.createValue(Math.round(d * 1000) / 1000.0);
        }
        if (o instanceof Number n) {
            return Json.createValue(n.longValue());
        }
        return o == null ? JsonValue.NULL : Json.createValue(o.toString());
    }

    static String fmt(double v) {
        return String.format("%.0f", v);
    }

    static String fmt2(double v) {
        return String.format("%.2f", v);
    }

    static String met(boolean ok) {
        return ok ? "MET" : "NOT MET";
    }
}
