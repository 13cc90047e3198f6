package io.fairqueue.platform.control;

import java.util.List;

/** PostgreSQL array literals for set-based statements ({@code unnest(CAST(?1 AS text[]))}). */
public final class SqlArrays {

    private SqlArrays() {}

    /** {@code {"a","b",NULL}}: every element quoted (backslashes and quotes escaped), nulls as NULL. */
    public static String of(List<String> values) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            b.append(i == 0 ? "" : ",");
            b.append(v == null ? "NULL" : '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
        }
        return b.append('}').toString();
    }
}
