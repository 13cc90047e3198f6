package io.fairqueue.it.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * A PostgreSQL outage of one database, without restarting the server other tests share: the
 * database refuses new connections ({@code ALLOW_CONNECTIONS false}) and every backend connected
 * to it is terminated, again and again, for the whole window; then connections are allowed again.
 * Run from the {@code postgres} maintenance database of the same server.
 */
public final class PostgresOutage {

    private final String database;
    private final String maintenanceUrl;

    private PostgresOutage(String database, String maintenanceUrl) {
        this.database = database;
        this.maintenanceUrl = maintenanceUrl;
    }

    /** For the database of a JDBC URL such as {@code jdbc:postgresql://127.0.0.1:5432/fairqueue_it_faults}. */
    public static PostgresOutage of(String jdbcUrl) {
        int query = jdbcUrl.indexOf('?');
        String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
        int slash = base.lastIndexOf('/');
        return new PostgresOutage(
                base.substring(slash + 1),
                base.substring(0, slash + 1) + "postgres" + (query < 0 ? "" : jdbcUrl.substring(query)));
    }

    public String database() {
        return database;
    }

    /**
     * Blocks the database for {@code length}, terminating its backends every {@code every};
     * connections are allowed again whatever happens. Answers how many backends were terminated.
     */
    public int run(Duration length, Duration every) throws SQLException, InterruptedException {
        try (Connection c = DriverManager.getConnection(maintenanceUrl, "postgres", "")) {
            allowConnections(c, false);
            try (PreparedStatement terminate = c.prepareStatement("""
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                     WHERE datname = ? AND pid <> pg_backend_pid()""")) {
                terminate.setString(1, database);
                int terminated = 0;
                long end = System.nanoTime() + length.toNanos();
                while (System.nanoTime() < end) {
                    try (ResultSet rs = terminate.executeQuery()) {
                        rs.next();
                        terminated += rs.getInt(1);
                    }
                    Thread.sleep(every.toMillis());
                }
                return terminated;
            } finally {
                allowConnections(c, true);
            }
        }
    }

    /** Allows connections again (a test that ended inside its window, or a run killed in one). */
    public void ensureOpen() throws SQLException {
        try (Connection c = DriverManager.getConnection(maintenanceUrl, "postgres", "");
                PreparedStatement closed =
                        c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ? AND NOT datallowconn")) {
            closed.setString(1, database);
            try (ResultSet rs = closed.executeQuery()) {
                if (rs.next()) {
                    allowConnections(c, true);
                }
            }
        }
    }

    private void allowConnections(Connection c, boolean allow) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE \"" + database.replace("\"", "\"\"") + "\" ALLOW_CONNECTIONS " + allow);
        }
    }
}
