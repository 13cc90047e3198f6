package io.fairqueue.platform.control;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Creates the configured database when it does not exist yet (first start on a fresh server). */
final class DatabaseCreator {

    private static final Logger LOG = Logger.getLogger(DatabaseCreator.class.getName());
    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/]*/)([^?;]+)(.*)$");
    private static final String DUPLICATE_DATABASE = "42P04";

    private DatabaseCreator() {}

    static void ensureExists(String url, String user, String password) throws SQLException {
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            LOG.warning("fairqueue.db.url has no database name; not creating one: " + redact(url));
            return;
        }
        String database = m.group(2);
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null && !password.isEmpty()) {
            props.setProperty("password", password);
        }
        try (Connection c = new org.postgresql.Driver().connect(m.group(1) + "postgres" + m.group(3), props)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, database);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
                LOG.info("Created database " + database);
            }
        } catch (SQLException e) {
            if (!DUPLICATE_DATABASE.equals(e.getSQLState())) { // another node won the race: fine
                throw new SQLException(
                        "cannot create database " + database + ": " + e.getMessage(), e.getSQLState(), e);
            }
        }
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)password=[^&;]*", "password=***");
    }
}
