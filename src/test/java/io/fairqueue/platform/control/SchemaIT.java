package io.fairqueue.platform.control;

import static io.fairqueue.platform.control.TestDatabases.admin;
import static io.fairqueue.platform.control.TestDatabases.connect;
import static io.fairqueue.platform.control.TestDatabases.create;
import static io.fairqueue.platform.control.TestDatabases.migrate;
import static io.fairqueue.platform.control.TestDatabases.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The schema as the migrations build it: equal to the committed dump {@code db/schema.sql}, every
 * function defined in one repeatable migration, and a database migrated before the function bodies
 * moved to {@code db/functions} upgrading to the very schema of a fresh one. Runs on PostgreSQL
 * directly (databases of its own, named after the build's IT database, dropped after), not through
 * Payara; needs {@code pg_dump} on the PATH (or {@code -Dfairqueue.pg_dump=/path/to/pg_dump}) of
 * the server's major version.
 */
class SchemaIT {

    static final String SERVER = TestDatabases.SERVER;
    static final String BASE = TestDatabases.BASE;
    static final String FRESH = BASE + "_schema_fresh";
    static final String UPGRADED = BASE + "_schema_upgraded";
    static final String PG_DUMP = System.getProperty("fairqueue.pg_dump", "pg_dump");

    /** Rewrites db/schema.sql from a fresh database instead of comparing with it. */
    static final String UPDATE = "fairqueue.schema.update";

    static final String REGENERATE = "mvn -B verify -Dit.test=SchemaIT -Dtest=none"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dfairqueue.schema.update=true";

    @BeforeAll
    static void freshDatabase() throws SQLException {
        TestDatabases.createMigrated(FRESH);
    }

    @AfterAll
    static void dropDatabases() throws SQLException {
        admin(
                "DROP DATABASE IF EXISTS " + FRESH + " WITH (FORCE)",
                "DROP DATABASE IF EXISTS " + UPGRADED + " WITH (FORCE)");
    }

    @Test
    void the_committed_schema_dump_is_the_schema_of_a_fresh_database() throws Exception {
        String dump = dump(FRESH);
        if (Boolean.getBoolean(UPDATE)) {
            Files.writeString(SqlFiles.SCHEMA, dump);
            return;
        }
        String committed = Files.exists(SqlFiles.SCHEMA) ? Files.readString(SqlFiles.SCHEMA) : "";
        if (!committed.equals(dump)) {
            fail(SqlFiles.SCHEMA + " is not the schema the migrations build (" + firstDifference(committed, dump)
                    + "). If the change is meant, regenerate the file and commit it with the change:\n  " + REGENERATE);
        }
    }

    @Test
    void every_function_of_a_migrated_database_is_defined_in_exactly_one_repeatable_migration() throws SQLException {
        Map<String, List<String>> definedIn = new TreeMap<>();
        for (var r : SqlFiles.repeatableMigrations()) {
            for (String function : SqlFiles.functionsDefinedIn(r)) {
                definedIn
                        .computeIfAbsent(function, k -> new ArrayList<>())
                        .add(r.getFileName().toString());
            }
        }
        List<String> wrong = new ArrayList<>();
        for (String function : query(FRESH, """
                SELECT p.proname FROM pg_proc p
                 WHERE p.pronamespace = 'public'::regnamespace
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
                 ORDER BY 1""")) {
            List<String> files = definedIn.getOrDefault(function, List.of());
            if (files.size() != 1) {
                wrong.add(function + (files.isEmpty() ? " is in no file" : " is in " + files));
            }
        }
        assertEquals(
                List.of(),
                wrong,
                "every function's current body is in exactly one " + SqlFiles.FUNCTIONS
                        + "/R__*.sql; a function no file defines any more is dropped by a new versioned migration");
    }

    @Test
    void a_database_migrated_before_the_move_upgrades_to_the_schema_of_a_fresh_one() throws Exception {
        create(UPGRADED);
        migrate(UPGRADED, String.valueOf(SqlFiles.LAST_VERSION_WITH_FUNCTIONS), "classpath:db/migration");
        try (Connection c = connect(UPGRADED);
                Statement s = c.createStatement()) {
            // some state for the new bodies to take over: a limited queue, running and pending
            // jobs, a released slot not yet folded, position and count deltas
            s.execute("""
                    INSERT INTO fq_user (id, display_name, role, max_concurrent, created_at)
                    VALUES ('u1', 'u1', 'USER', 2, now()), ('u2', 'u2', 'USER', 1, now()), ('w', 'w', 'WORKER', 1, now());
                    INSERT INTO worker (id, name, owner_id, capacity, registered_at, last_heartbeat_at)
                    VALUES ('w1', 'w1', 'w', 10, now(), now());
                    INSERT INTO queue (name, max_concurrent) VALUES ('q', 3);
                    INSERT INTO job (queue, user_id, project_id, type, status, priority, max_retries, created_at)
                    SELECT 'q', 'u' || (1 + g % 2), CASE WHEN g % 3 = 0 THEN 'p' END, 't', 'PENDING', g % 4, 3,
                           now() - g * interval '1 minute'
                      FROM generate_series(1, 12) g;
                    SELECT count(*) FROM fq_claim('w1', ARRAY['q'], NULL, 3, now(), 'w', false);
                    UPDATE job SET status = 'COMPLETED', finished_at = now(), actual_duration_secs = 2
                     WHERE id = (SELECT min(id) FROM job WHERE status = 'DISPATCHED');
                    """);
        }
        migrate(UPGRADED, null, SchemaMigration.LOCATIONS);

        assertEquals(dump(FRESH), dump(UPGRADED), "the upgraded database's schema differs from a fresh one's");
        assertEquals(
                List.of(),
                query(UPGRADED, "SELECT kind || ' ' || key FROM fq_recount(false)"),
                "the upgraded functions find no drift in the counters and lanes kept by the old ones");
        assertEquals(
                List.of("1"),
                query(UPGRADED, "SELECT count(*) FROM fq_claim('w1', ARRAY['q'], NULL, 5, now(), 'w', false)"),
                "the freed slot of the limited queue is claimed again");
    }

    static String firstDifference(String expected, String actual) {
        String[] a = expected.split("\n", -1);
        String[] b = actual.split("\n", -1);
        int i = 0;
        while (i < a.length && i < b.length && a[i].equals(b[i])) {
            i++;
        }
        return "first difference at line " + (i + 1) + ": committed \"" + (i < a.length ? a[i] : "<end>")
                + "\", built \"" + (i < b.length ? b[i] : "<end>") + "\"";
    }

    /**
     * {@code pg_dump --schema-only --no-owner --no-privileges} without Flyway's history table and
     * without what changes from run to run or machine to machine: the versions of server and
     * pg_dump, and the random key of the {@code \restrict} lines.
     */
    static String dump(String database) throws IOException, InterruptedException {
        URI server = URI.create(SERVER.substring("jdbc:".length()));
        Process p = new ProcessBuilder(
                        PG_DUMP,
                        "--schema-only",
                        "--no-owner",
                        "--no-privileges",
                        "--exclude-table=public.flyway_schema_history",
                        "-h",
                        server.getHost(),
                        "-p",
                        String.valueOf(server.getPort() < 0 ? 5432 : server.getPort()),
                        "-U",
                        "postgres",
                        database)
                .start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            fail(PG_DUMP + " failed: " + new String(err.join(), StandardCharsets.UTF_8));
        }
        StringBuilder dump =
                new StringBuilder("""
                -- The schema a fresh database gets from db/migration and db/functions: tables, types,
                -- indexes, triggers and every function. Not applied by anything; SchemaIT compares it with a
                -- freshly migrated database. Regenerate it after changing a migration:
                """).append("--   ").append(REGENERATE).append("\n\n");
        boolean dropped = false;
        for (String line : out.split("\n", -1)) {
            if (line.startsWith("\\restrict ")
                    || line.startsWith("\\unrestrict ")
                    || line.startsWith("-- Dumped from database version")
                    || line.startsWith("-- Dumped by pg_dump version")) {
                dropped = true;
            } else if (!(dropped && line.isEmpty())) {
                dump.append(line).append('\n');
                dropped = false;
            }
        }
        return dump.toString().strip() + "\n";
    }
}
