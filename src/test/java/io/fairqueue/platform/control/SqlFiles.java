package io.fairqueue.platform.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The schema's SQL files as the tests read them (paths relative to the project, as Maven runs tests). */
final class SqlFiles {

    static final Path DB = Path.of("src/main/resources/db");
    static final Path MIGRATIONS = DB.resolve("migration");
    static final Path FUNCTIONS = DB.resolve("functions");
    static final Path SCHEMA = DB.resolve("schema.sql");

    /** The last version whose files still defined functions; from the next one on, V files define none. */
    static final int LAST_VERSION_WITH_FUNCTIONS = 10;

    private static final Pattern VERSIONED = Pattern.compile("V(\\d+)__.+\\.sql");
    private static final Pattern DEFINITION = Pattern.compile(
            "\\bCREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:FUNCTION|PROCEDURE)\\s+(?:public\\.)?\"?(\\w+)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern COMMENT = Pattern.compile("--[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);

    private SqlFiles() {}

    /** {@code db/functions/R__*.sql}, by name (the order Flyway applies them in). */
    static List<Path> repeatableMigrations() {
        return list(FUNCTIONS).stream()
                .filter(p -> p.getFileName().toString().matches("R__.+\\.sql"))
                .sorted()
                .toList();
    }

    /** {@code db/migration/V*.sql}, by version. */
    static List<Path> versionedMigrations() {
        return list(MIGRATIONS).stream()
                .filter(p -> VERSIONED.matcher(p.getFileName().toString()).matches())
                .sorted(Comparator.comparingInt(SqlFiles::version))
                .toList();
    }

    static int version(Path versioned) {
        Matcher m = VERSIONED.matcher(versioned.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(versioned + " is not a versioned migration");
        }
        return Integer.parseInt(m.group(1));
    }

    /** The names (lower case) of the functions and procedures the file creates, comments ignored. */
    static List<String> functionsDefinedIn(Path file) {
        Matcher m = DEFINITION.matcher(COMMENT.matcher(read(file)).replaceAll(" "));
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1).toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /** The comment lines the file starts with. */
    static String header(Path file) {
        StringBuilder header = new StringBuilder();
        for (String line : read(file).split("\n")) {
            if (!line.startsWith("--")) {
                break;
            }
            header.append(line).append('\n');
        }
        return header.toString();
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
