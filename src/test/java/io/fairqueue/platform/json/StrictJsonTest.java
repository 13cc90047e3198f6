package io.fairqueue.platform.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** One JSON value per body, stored as sent, or a 400 that says where and why. */
class StrictJsonTest {

    static JsonValue parse(String text) {
        return StrictJson.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    static StrictJson.Invalid refused(String text) {
        return assertThrows(StrictJson.Invalid.class, () -> parse(text));
    }

    static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    @Test
    void a_well_formed_body_reads_as_the_same_value() {
        String text =
                "{\"type\":\"render\",\"payload\":{\"a\":[1,2.5,-3e2,true,false,null,\"\\u00e9\\ud83d\\ude00\"]}}";
        assertEquals(JsonText.parse(text), parse(text));
        assertEquals(JsonText.parse("[]"), parse(" \n[] \t"));
    }

    @Test
    void text_after_the_value_is_refused() {
        assertEquals("body", refused("{\"type\":\"x\"} garbage").field);
        assertEquals("body", refused("{}{}").field);
        assertEquals("body", refused("{} 1").field);
        assertTrue(refused("{}{}").getMessage().contains("after the JSON value"));
    }

    @Test
    void nesting_past_the_limit_is_refused_naming_the_member_whatever_the_depth() {
        assertEquals(JsonText.parse(nested(StrictJson.MAX_DEPTH)), parse(nested(StrictJson.MAX_DEPTH)));
        assertEquals("body", refused(nested(StrictJson.MAX_DEPTH + 1)).field);
        StrictJson.Invalid deep = refused("{\"type\":\"x\",\"payload\":" + nested(200_000) + "}");
        assertEquals("payload", deep.field);
        assertTrue(deep.getMessage().contains("deeper than " + StrictJson.MAX_DEPTH));
    }

    @Test
    void numbers_postgresql_cannot_store_as_sent_are_refused() {
        assertEquals("payload", refused("{\"payload\":" + "9".repeat(1101) + "}").field);
        assertEquals("payload", refused("{\"payload\":1e999999999999}").field);
        assertEquals("payload", refused("{\"payload\":[1e131071]}").field);
        assertEquals("payload", refused("{\"payload\":1e-1000}").field);
        assertEquals("priority", refused("{\"payload\":1,\"priority\":1e1000}").field);
        String thousand = "9".repeat(1000);
        assertEquals(
                thousand,
                parse("[" + thousand + "]")
                        .asJsonArray()
                        .getJsonNumber(0)
                        .bigDecimalValue()
                        .toPlainString());
        assertEquals(100000, parse("[1e5]").asJsonArray().getJsonNumber(0).intValueExact());
    }

    @Test
    void invalid_utf8_is_refused_not_replaced() {
        byte[] body = "{\"type\":\"a?\"}".getBytes(StandardCharsets.UTF_8);
        body[10] = (byte) 0xC3; // a lead byte followed by '"': malformed
        StrictJson.Invalid e = assertThrows(StrictJson.Invalid.class, () -> StrictJson.parse(body));
        assertEquals("body", e.field);
        byte[] overlong = {'[', '"', (byte) 0xC0, (byte) 0xAF, '"', ']'};
        assertThrows(StrictJson.Invalid.class, () -> StrictJson.parse(overlong));
    }

    @Test
    void a_leading_byte_order_mark_is_skipped() {
        byte[] text = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        byte[] bom = new byte[text.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, bom, 3, text.length);
        assertEquals(JsonText.parse("{\"a\":1}"), StrictJson.parse(bom));
    }

    @Test
    void lone_surrogates_are_refused_in_values_and_names() {
        assertEquals("type", refused("{\"type\":\"a\\ud800\"}").field);
        assertEquals("payload", refused("{\"payload\":{\"k\":[\"\\udc00x\"]}}").field);
        assertEquals("payload", refused("{\"payload\":{\"\\ud800\":1}}").field);
        assertEquals("body", refused("{\"\\udfff\":1}").field);
        assertEquals("payload", refused("{\"payload\":\"\\ude00\\ud83d\"}").field); // reversed pair
    }

    @Test
    void a_member_name_twice_in_one_object_is_refused() {
        assertEquals("type", refused("{\"type\":\"a\",\"type\":\"b\"}").field);
        assertEquals("payload", refused("{\"payload\":{\"k\":1,\"k\":2}}").field);
        assertEquals(JsonText.parse("[{\"k\":1},{\"k\":2}]"), parse("[{\"k\":1},{\"k\":2}]"));
    }

    @Test
    void malformed_text_is_refused_as_the_body() {
        assertEquals("body", refused("{\"type\": \"x\",").field);
        assertEquals("body", refused("").field);
        assertEquals("body", refused("{'a':1}").field);
    }
}
