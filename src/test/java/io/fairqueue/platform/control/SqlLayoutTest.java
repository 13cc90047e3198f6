package io.fairqueue.platform.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Where the SQL lives (README, "Where the SQL lives"): the current body of every function in exactly
 * one repeatable migration under {@code db/functions}, none in a versioned migration written after
 * the move, and comments that name files, not migration versions. Reads files only; {@code SchemaIT}
 * checks the same against a migrated database.
 */
class SqlLayoutTest {

    /** A migration version as a comment would name it: a capital V and digits, or "migration" and a number. */
    static final Pattern VERSION = Pattern.compile("\\bV\\d+\\b|\\b[Mm]igrations?\\s+[Vv]?\\d+\\b");

    static final Pattern JAVA_COMMENT = Pattern.compile("//[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);
    static final List<Path> JAVA_SOURCES =
            List.of(Path.of("src/main/java"), Path.of("src/test/java"), Path.of("src/bench/java"));

    @Test
    void every_function_is_defined_in_exactly_one_repeatable_migration() {
        Map<String, List<String>> definedIn = new TreeMap<>();
        for (Path r : SqlFiles.repeatableMigrations()) {
            for (String function : SqlFiles.functionsDefinedIn(r)) {
                definedIn
                        .computeIfAbsent(function, k -> new ArrayList<>())
                        .add(r.getFileName().toString());
            }
        }
        assertFalse(definedIn.isEmpty(), "no function found in " + SqlFiles.FUNCTIONS);
        List<String> twice = definedIn.entrySet().stream()
                .filter(e -> e.getValue().size() > 1)
                .map(e -> e.getKey() + " in " + e.getValue())
                .toList();
        assertEquals(
                List.of(),
                twice,
                "a function has one current body, defined once in one file under " + SqlFiles.FUNCTIONS
                        + ": keep one definition");
    }

    @Test
    void no_versioned_migration_after_the_move_defines_a_function() {
        List<String> offenders = new ArrayList<>();
        for (Path v : SqlFiles.versionedMigrations()) {
            List<String> functions = SqlFiles.functionsDefinedIn(v);
            if (SqlFiles.version(v) > SqlFiles.LAST_VERSION_WITH_FUNCTIONS && !functions.isEmpty()) {
                offenders.add(v.getFileName() + " defines " + functions);
            }
        }
        assertEquals(
                List.of(),
                offenders,
                "function bodies live in " + SqlFiles.FUNCTIONS
                        + "/R__*.sql, one file per concern, edited in place: move each definition into the file of"
                        + " its concern (CREATE OR REPLACE FUNCTION; DROP FUNCTION IF EXISTS first where the signature"
                        + " changes). A versioned migration changes tables, types, indexes and triggers, and may drop"
                        + " functions.");
    }

    @Test
    void every_repeatable_migration_starts_with_a_header_naming_its_functions() {
        List<String> missing = new ArrayList<>();
        for (Path r : SqlFiles.repeatableMigrations()) {
            String header = SqlFiles.header(r);
            if (header.isBlank()) {
                missing.add(r.getFileName() + ": no header comment");
            }
            for (String function : SqlFiles.functionsDefinedIn(r)) {
                if (!header.contains(function)) {
                    missing.add(r.getFileName() + ": " + function + " not named in the header");
                }
            }
        }
        assertEquals(List.of(), missing, "each R file starts with comment lines saying what it holds");
    }

    @Test
    void no_java_comment_names_a_migration_version() throws IOException {
        List<String> stale = new ArrayList<>();
        for (Path root : JAVA_SOURCES) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java"))
                        .sorted()
                        .toList()) {
                    String text = Files.readString(file);
                    Matcher comment = JAVA_COMMENT.matcher(text);
                    while (comment.find()) {
                        Matcher version = VERSION.matcher(comment.group());
                        while (version.find()) {
                            int line = 1
                                    + (int) text.substring(0, comment.start() + version.start())
                                            .chars()
                                            .filter(c -> c == '\n')
                                            .count();
                            stale.add(file + ":" + line + " \"" + version.group() + "\"");
                        }
                    }
                }
            }
        }
        assertEquals(
                List.of(),
                stale,
                "comments name files, not migration versions: a function by its file"
                        + " under db/functions (R__claim.sql, ...), a table or index by db/schema.sql");
    }
}
