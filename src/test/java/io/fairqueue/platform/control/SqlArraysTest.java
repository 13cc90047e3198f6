package io.fairqueue.platform.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlArraysTest {

    @Test
    void every_element_is_quoted_so_commas_braces_and_spaces_stay_inside_it() {
        assertEquals("{\"a,b\",\"{x}\",\" y \"}", SqlArrays.of(List.of("a,b", "{x}", " y ")));
    }

    @Test
    void quotes_and_backslashes_are_escaped() {
        assertEquals("{\"say \\\"hi\\\"\",\"C:\\\\dir\"}", SqlArrays.of(List.of("say \"hi\"", "C:\\dir")));
    }

    @Test
    void null_is_the_bare_word_and_the_text_null_stays_text() {
        assertEquals("{NULL,\"NULL\",\"\"}", SqlArrays.of(Arrays.asList(null, "NULL", "")));
    }

    @Test
    void an_empty_list_is_an_empty_array() {
        assertEquals("{}", SqlArrays.of(List.of()));
    }
}
