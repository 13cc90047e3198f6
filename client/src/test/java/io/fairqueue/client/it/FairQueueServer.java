package io.fairqueue.client.it;

import io.fairqueue.client.FairQueueClient;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real FairQueue the client's integration tests run against: the root build's WAR on Payara
 * Micro (a child process, port {@code fairqueue.it.port}), on its own PostgreSQL database
 * ({@code fq_client}, dropped at the start of the suite so every run starts empty; the application
 * creates and migrates it). Started once for the whole suite by the first test class that uses
 * the {@link Extension}, stopped when the suite ends (and by a shutdown hook if the JVM ends
 * first); {@link #restart()} stops and starts it again on the same port and database.
 */
public final class FairQueueServer {

    private static FairQueueServer instance;

    private final int port = Integer.getInteger("fairqueue.it.port", 18481);
    private final String dbUrl = System.getProperty("fairqueue.it.dbUrl", "jdbc:postgresql://127.0.0.1:5432/fq_client");
    private final String adminToken = System.getProperty("fairqueue.it.adminToken");
    private final File log = new File("target/fairqueue-server.log");
    private Process process;
    private final Thread reaper = new Thread(this::kill, "stop-fairqueue-server");

    private FairQueueServer() {}

    /** The server, started on first use. */
    public static synchronized FairQueueServer get() {
        if (instance == null) {
            FairQueueServer s = new FairQueueServer();
            s.dropDatabase();
            Runtime.getRuntime().addShutdownHook(s.reaper);
            s.start();
            instance = s;
        }
        return instance;
    }

    /** The base URL, e.g. http://127.0.0.1:18481. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The bootstrap admin's token (a test value, not a secret). */
    public String adminToken() {
        return adminToken;
    }

    /** A client with the admin's token. */
    public FairQueueClient admin() {
        return client(adminToken);
    }

    /** A client with {@code token}. */
    public FairQueueClient client(String token) {
        return FairQueueClient.builder().url(url()).token(token).build();
    }

    /** A JDBC connection to the test database (for audit-row checks). */
    public Connection db() throws SQLException {
        return DriverManager.getConnection(dbUrl, "postgres", "");
    }

    /** Stops the server (SIGTERM, as an operator would) and starts it again; blocks until ready. */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Stops the server and waits until it is gone. */
    public synchronized void stop() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the server and blocks until {@code /health/ready} answers 200 (3 minutes at most). */
    public synchronized void start() {
        String war = System.getProperty("fairqueue.war");
        if (war == null || !new File(war).isFile()) {
            throw new IllegalStateException("no WAR at " + war
                    + ": build the root project first (mvn -B install, or mvn -B package -DskipTests)");
        }
        String config = System.getProperty("fairqueue.serverConfig");
        ProcessBuilder b = new ProcessBuilder(List.of(
                        System.getProperty("java.home") + "/bin/java",
                        "-Xmx512m",
                        "-Duser.timezone=UTC",
                        "-jar",
                        System.getProperty("payara.microJar"),
                        "--nocluster",
                        "--disablephonehome",
                        "--port",
                        String.valueOf(port),
                        "--prebootcommandfile",
                        config + "/pre-boot-commands.asadmin",
                        "--postbootcommandfile",
                        config + "/post-boot-commands.asadmin",
                        "--deploy",
                        war))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
        Map<String, String> env = b.environment();
        env.put("FAIRQUEUE_DB_URL", dbUrl);
        env.put("FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN", adminToken);
        env.put("FAIRQUEUE_EVENTS_KEEPALIVE_SECONDS", "2");
        try {
            process = b.start();
            awaitReady(Duration.ofMinutes(3));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Payara Micro", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("FairQueue exited during start; see " + log.getAbsolutePath());
            }
            try {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(URI.create(url() + "/health/ready"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(300);
        }
        kill();
        throw new IllegalStateException("FairQueue not ready within " + timeout + " (" + last + "); see " + log);
    }

    private void dropDatabase() {
        String name = dbUrl.substring(dbUrl.lastIndexOf('/') + 1);
        String maintenance = dbUrl.substring(0, dbUrl.lastIndexOf('/') + 1) + "postgres";
        try (Connection c = DriverManager.getConnection(maintenance, "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS \"" + name.replace("\"", "") + "\" WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reset the test database " + name, e);
        }
    }

    private void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    /** Starts the server before a test class (once per suite) and stops it when the suite ends. */
    public static final class Extension implements BeforeAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            context.getRoot()
                    .getStore(ExtensionContext.Namespace.GLOBAL)
                    .getOrComputeIfAbsent(FairQueueServer.class, k -> new Stopper(get()), Stopper.class);
        }
    }

    private record Stopper(FairQueueServer server) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            server.stop();
        }
    }
}
