package io.fairqueue.client.cli;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.JsonWriter;
import jakarta.json.JsonWriterFactory;
import jakarta.json.stream.JsonGenerator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints an answer in the format the user chose with {@code -o}: {@code json} (indented, the
 * document as the server sent it, or the command's own document), {@code jsonl} (one compact
 * line per item of an array, else one line), or {@code table} (aligned columns for arrays of
 * objects, name/value lines for an object).
 */
final class Output {

    /** The formats of {@code -o}. */
    enum Format {
        table,
        json,
        jsonl
    }

    private static final JsonWriterFactory PRETTY =
            Json.createWriterFactory(Map.of(JsonGenerator.PRETTY_PRINTING, true));

    private Output() {}

    /** Prints {@code value}; {@code columns} choose and order the table's columns (all when empty). */
    static void print(PrintWriter out, Format format, JsonValue value, List<String> columns) {
        switch (format) {
            case json -> out.println(pretty(value));
            case jsonl -> {
                if (value instanceof JsonArray a) {
                    a.forEach(v -> out.println(v.toString()));
                } else {
                    out.println(value.toString());
                }
            }
            case table -> {
                if (value instanceof JsonArray a) {
                    table(out, a, columns);
                } else if (value instanceof JsonObject o) {
                    o.forEach((k, v) -> {
                        if (columns.isEmpty() || columns.contains(k)) {
                            out.println(k + ": " + cell(v));
                        }
                    });
                } else {
                    out.println(cell(value));
                }
            }
        }
        out.flush();
    }

    static String pretty(JsonValue value) {
        StringWriter w = new StringWriter();
        try (JsonWriter jw = PRETTY.createWriter(w)) {
            jw.write(value);
        }
        return w.toString().strip();
    }

    private static void table(PrintWriter out, JsonArray rows, List<String> columns) {
        List<String> cols = new ArrayList<>(columns);
        if (cols.isEmpty()) {
            rows.getValuesAs(JsonObject.class)
                    .forEach(o -> o.keySet().forEach(k -> {
                        if (!cols.contains(k)) {
                            cols.add(k);
                        }
                    }));
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(cols.stream().map(String::toUpperCase).toArray(String[]::new));
        for (JsonValue row : rows) {
            JsonObject o = row.asJsonObject();
            cells.add(cols.stream().map(c -> cell(o.get(c))).toArray(String[]::new));
        }
        int[] width = new int[cols.size()];
        for (String[] r : cells) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : cells) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                b.append(i == r.length - 1 ? r[i] : String.format("%-" + width[i] + "s  ", r[i]));
            }
            out.println(b.toString().stripTrailing());
        }
    }

    /** One value as table text: strings bare, numbers as written, null/absent as "-", others as JSON. */
    static String cell(JsonValue v) {
        if (v == null || v == JsonValue.NULL) {
            return "-";
        }
        if (v instanceof JsonString s) {
            return s.getString();
        }
        if (v instanceof JsonNumber n) {
            return n.toString();
        }
        String text = v.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }
}
