package io.fairqueue.platform.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.platform.problem.ProblemException;
import jakarta.json.Json;
import java.io.StringReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonFieldsTest {

    static JsonFields fields(String json) {
        return JsonFields.of(Json.createReader(new StringReader(json)).readValue());
    }

    static ProblemException rejected(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(ProblemException.class, e);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"p\": \"urgent\"} | 10", "{\"p\": \"NORMAL\"} | 0", "{\"p\": \"Background\"} | -10",
                "{\"p\": 5} | 5", "{\"p\": -100} | -100", "{\"p\": 100} | 100"
            })
    void priority_accepts_tier_names_and_integers_in_range(String json, int expected) {
        assertEquals(expected, fields(json).priority("p"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"p\": \"HIGH\"}",
                "{\"p\": 101}",
                "{\"p\": -101}",
                "{\"p\": 1.5}",
                "{\"p\": true}",
                "{\"p\": 99999999999}"
            })
    void priority_rejects_anything_else_naming_the_field(String json) {
        ProblemException e = rejected(() -> fields(json).priority("p"));
        assertEquals(400, e.problem().status());
        assertEquals("p", e.problem().field());
    }

    @Test
    void a_body_that_is_not_an_object_is_rejected_as_body() {
        for (String json : new String[] {"[1]", "\"x\"", "3", "null"}) {
            ProblemException e = rejected(() ->
                    JsonFields.of(Json.createReader(new StringReader(json)).readValue()));
            assertEquals("body", e.problem().field());
        }
    }

    @Test
    void unknown_members_are_rejected_by_name() {
        ProblemException e =
                rejected(() -> fields("{\"type\": \"a\", \"prioirty\": 1}").allow("type", "priority"));
        assertEquals("prioirty", e.problem().field());
    }

    @Test
    void wrong_types_name_the_member() {
        assertEquals(
                "type",
                rejected(() -> fields("{\"type\": 3}").string("type")).problem().field());
        assertEquals(
                "n",
                rejected(() -> fields("{\"n\": \"3\"}").integer("n")).problem().field());
        assertEquals(
                "b",
                rejected(() -> fields("{\"b\": \"yes\"}").bool("b")).problem().field());
        assertEquals(
                "q",
                rejected(() -> fields("{\"q\": [1]}").strings("q")).problem().field());
    }

    @Test
    void timestamps_need_an_offset() {
        assertEquals(
                "2026-01-31T22:00Z",
                fields("{\"t\": \"2026-01-31T22:00:00Z\"}").timestamp("t").toString());
        assertEquals(
                "t",
                rejected(() -> fields("{\"t\": \"2026-01-31 22:00\"}").timestamp("t"))
                        .problem()
                        .field());
        assertEquals(
                "t",
                rejected(() -> fields("{\"t\": \"2026-01-31T22:00:00\"}").timestamp("t"))
                        .problem()
                        .field());
    }

    @Test
    void a_document_over_one_mebibyte_is_413_and_one_at_the_limit_passes() {
        String atLimit = "\"" + "a".repeat(JsonFields.MAX_DOCUMENT_BYTES - 2) + "\"";
        assertEquals(
                JsonFields.MAX_DOCUMENT_BYTES,
                fields("{\"payload\": " + atLimit + "}").document("payload").length());
        String over = "\"" + "a".repeat(JsonFields.MAX_DOCUMENT_BYTES - 1) + "\"";
        ProblemException e =
                rejected(() -> fields("{\"payload\": " + over + "}").document("payload"));
        assertEquals(413, e.problem().status());
        assertEquals("payload", e.problem().field());
    }

    @Test
    void nul_characters_are_refused_anywhere_in_strings_and_documents() {
        assertEquals(
                "type",
                rejected(() -> fields("{\"type\": \"a\\u0000b\"}").string("type"))
                        .problem()
                        .field());
        assertEquals(
                "payload",
                rejected(() -> fields("{\"payload\": {\"k\": [\"\\u0000\"]}}").document("payload"))
                        .problem()
                        .field());
    }

    @Test
    void absent_and_null_members_read_as_null_but_has_tells_them_apart() {
        JsonFields f = fields("{\"a\": null}");
        assertNull(f.string("a"));
        assertNull(f.integer("b"));
        assertTrue(f.has("a"));
        assertEquals(false, f.has("b"));
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> f.allow("a"), "a null member is still a known one");
        assertEquals("a", rejected(() -> f.allow("b")).problem().field());
    }
}
