package io.fairqueue.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The local PostgreSQL the benchmark runs on (127.0.0.1:5432, user postgres, trust auth): FairQueue's
 * database {@value #FQ_DB}, plain statements, the machine's description for results.json.
 */
final class BenchDatabase {

    static final String PG = "jdbc:postgresql://127.0.0.1:5432/";
    static final String FQ_DB = "fairqueue_bench";

    private BenchDatabase() {}

    /** A new connection to database {@code db}, as user postgres. */
    static Connection connect(String db) throws SQLException {
        return DriverManager.getConnection(PG + db, "postgres", "");
    }

    /** Runs the statements one after another on one connection (autocommit). */
    static void sql(String db, String... statements) throws SQLException {
        try (Connection c = connect(db);
                Statement s = c.createStatement()) {
            for (String st : statements) {
                s.execute(st);
            }
        }
    }

    /** Cores, Java, OS and PostgreSQL version, as recorded in results.json. */
    static Map<String, Object> machine() throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        try (Connection c = connect("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            m.put("postgresql", rs.getString(1));
        }
        return m;
    }
}
