package io.fairqueue.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonValue;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's pieces that need no server: result parsing, output formats, settings precedence. */
class CliUnitTest {

    @Test
    void a_commands_stdout_is_json_when_it_parses_and_text_otherwise() {
        assertEquals(Json.createObjectBuilder().add("a", 1).build(), CommandJob.result("{\"a\": 1}\n"));
        assertEquals(Json.createValue(42), CommandJob.result("42\n"));
        assertEquals(Json.createValue("hello world"), CommandJob.result("hello world\n"));
        assertEquals(Json.createValue("{\"a\": 1} trailing"), CommandJob.result("{\"a\": 1} trailing"));
        assertEquals(JsonValue.NULL, CommandJob.result("\n"));
    }

    @Test
    void the_stderr_buffer_keeps_the_tail_and_stdout_the_head() {
        CommandJob.Bounded tail = new CommandJob.Bounded(5, true);
        byte[] text = "0123456789abcdef".getBytes();
        tail.write(text, text.length);
        assertEquals("bcdef", tail.text());
        CommandJob.Bounded head = new CommandJob.Bounded(5, false);
        head.write(text, text.length);
        assertEquals("01234", head.text());
    }

    @Test
    void output_formats_render_tables_json_and_json_lines() {
        var rows = Json.createArrayBuilder()
                .add(Json.createObjectBuilder().add("id", 1).add("status", "PENDING"))
                .add(Json.createObjectBuilder()
                        .add("id", 22)
                        .add("status", "RUNNING")
                        .add("extra", "x"))
                .build();
        StringWriter table = new StringWriter();
        Output.print(new PrintWriter(table), Output.Format.table, rows, List.of("id", "status", "extra"));
        assertEquals(
                List.of("ID  STATUS   EXTRA", "1   PENDING  -", "22  RUNNING  x"),
                table.toString().lines().toList());
        StringWriter lines = new StringWriter();
        Output.print(new PrintWriter(lines), Output.Format.jsonl, rows, List.of());
        assertEquals(2, lines.toString().lines().count());
        StringWriter json = new StringWriter();
        Output.print(new PrintWriter(json), Output.Format.json, rows, List.of());
        assertEquals(
                rows,
                Json.createReader(new java.io.StringReader(json.toString())).readArray());
    }

    @Test
    void settings_come_from_flags_then_environment_then_the_profile_file() throws Exception {
        Path file = Files.createTempFile("fq", ".config");
        Files.writeString(file, "url=http://file:1\ntoken=file-token\nprod.url=http://prod:2\nprod.token=prod-token\n");
        Map<String, String> env = Map.of("FAIRQUEUE_CONFIG", file.toString(), "FAIRQUEUE_TOKEN", "env-token");
        assertEquals(new Settings("http://file:1", "env-token"), Settings.resolve(null, null, null, env));
        assertEquals(
                new Settings("http://flag:3", "flag-token"),
                Settings.resolve("http://flag:3", "flag-token", null, env));
        assertEquals(new Settings("http://prod:2", "prod-token"), Settings.resolve(null, null, "prod", env));
        assertThrows(IllegalArgumentException.class, () -> Settings.resolve(null, null, "nope", env));
        assertFalse(new Settings("u", "secret").toString().contains("secret"), "the token is never printed");
        assertEquals(
                new Settings(Settings.DEFAULT_URL, null),
                Settings.resolve(null, null, null, Map.of("FAIRQUEUE_CONFIG", "/nonexistent")));
    }

    @Test
    void a_missing_token_and_bad_arguments_are_usage_errors() {
        StringWriter err = new StringWriter();
        int code = Fq.run(
                new String[] {"jobs", "get", "1"},
                Map.of("FAIRQUEUE_CONFIG", "/nonexistent"),
                new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(Fq.USAGE, code);
        assertTrue(err.toString().contains("no token"), err.toString());
        assertEquals(
                Fq.USAGE,
                Fq.run(
                        new String[] {"jobs", "get", "not-a-number"},
                        Map.of(),
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(new StringWriter())));
    }
}
