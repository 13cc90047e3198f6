package io.fairqueue.platform.control;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;

/**
 * Databases of a test's own on the build's PostgreSQL server (named after the build's IT database,
 * {@code -Dfairqueue.it.dbUrl}), for tests that run on PostgreSQL directly rather than through
 * Payara.
 */
public final class TestDatabases {

    public static final String IT_URL =
            System.getProperty("fairqueue.it.dbUrl", "jdbc:postgresql://127.0.0.1:5432/fairqueue_it");
    public static final String SERVER = IT_URL.replaceFirst("/[^/]*$", "/");
    public static final String BASE = IT_URL.replaceFirst("^.*/", "").replaceFirst("\\?.*$", "");

    private TestDatabases() {}

    public static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(SERVER + database, "postgres", "");
    }

    /** A new, empty database {@code database} (dropped first if it exists). */
    public static void create(String database) throws SQLException {
        admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)", "CREATE DATABASE " + database);
    }

    /** A new database {@code database} (dropped first if it exists), migrated to the latest schema. */
    public static void createMigrated(String database) throws SQLException {
        create(database);
        migrate(database, null, SchemaMigration.LOCATIONS);
    }

    public static void migrate(String database, String target, String... locations) {
        var config =
                Flyway.configure().dataSource(SERVER + database, "postgres", "").locations(locations);
        if (target != null) {
            config.target(target);
        }
        config.load().migrate();
    }

    /** Runs the statements in the server's {@code postgres} database (creating and dropping databases). */
    public static void admin(String... sql) throws SQLException {
        execute("postgres", sql);
    }

    /** Runs the statements in {@code database}, one after another on one connection (autocommit). */
    public static void execute(String database, String... sql) throws SQLException {
        try (Connection c = connect(database);
                Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** The first column of every row of {@code sql}, as text. */
    public static List<String> query(String database, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = connect(database);
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                rows.add(r.getString(1));
            }
        }
        return rows;
    }
}
