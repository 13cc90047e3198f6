package io.fairqueue.ear;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A full Payara Server 6 domain driven through {@code asadmin}, as an operator would: the
 * distribution unpacked by Maven into {@code target/payara6}, a domain of its own ({@value #DOMAIN},
 * port base {@value #PORT_BASE}: admin +48, HTTP +80, JMX +86), every command with a bounded time.
 * A server left over by an earlier run on the admin or Hazelcast port is killed first; the domain is
 * stopped at the end and, should the JVM end first, by a shutdown hook.
 */
final class PayaraServer implements AutoCloseable {

    static final String DOMAIN = "fq";
    static final int PORT_BASE = 24000;
    static final int ADMIN_PORT = PORT_BASE + 48;
    static final int HTTP_PORT = PORT_BASE + 80;
    static final int JMX_PORT = PORT_BASE + 86;
    /** Payara's Hazelcast DAS port: a failed start can leave a server holding only this one. */
    static final int HAZELCAST_PORT = PORT_BASE + 49;

    private final Path home;
    private final Map<String, String> environment;
    private Thread hook;

    PayaraServer(Path home, Map<String, String> environment) {
        this.home = home;
        this.environment = environment;
    }

    Path domainDir() {
        return home.resolve("glassfish/domains/" + DOMAIN);
    }

    Path serverLog() {
        return domainDir().resolve("logs/server.log");
    }

    /** The server's process id (its pid file). */
    long pid() throws IOException {
        return Long.parseLong(
                Files.readString(domainDir().resolve("config/pid")).trim());
    }

    /** Kills leftovers, deletes the stock and any old domain, creates ours and starts it. */
    void createAndStart() throws Exception {
        killListeners(ADMIN_PORT, HAZELCAST_PORT, HTTP_PORT);
        deleteTree(home.resolve("glassfish/domains/domain1"));
        deleteTree(domainDir());
        run(Duration.ofMinutes(3), "create-domain", "--portbase", "" + PORT_BASE, "--nopassword", DOMAIN);
        hook = new Thread(this::stopQuietly, "payara-server-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        run(Duration.ofMinutes(5), "start-domain", "--timeout", "240", DOMAIN);
    }

    /** {@code asadmin --port ADMIN_PORT <args>} against the running domain. */
    String admin(Duration timeout, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--port", "" + ADMIN_PORT));
        all.addAll(List.of(args));
        return run(timeout, all.toArray(String[]::new));
    }

    /** Runs an asadmin command file (multimode); fails on the first command that failed. */
    String script(Path file) throws Exception {
        String out = admin(Duration.ofMinutes(5), "multimode", "--file", file.toString());
        if (out.contains("failed")) {
            throw new IllegalStateException("asadmin multimode " + file + ":\n" + out);
        }
        return out;
    }

    String run(Duration timeout, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/asadmin").toString());
        command.addAll(List.of(args));
        Path output = Files.createTempFile("asadmin", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(environment);
        Process p = pb.start();
        boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        String text = Files.readString(output);
        Files.delete(output);
        if (!ended) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "asadmin " + String.join(" ", args) + ": no answer in " + timeout + ":\n" + text);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(
                    "asadmin " + String.join(" ", args) + " exited " + p.exitValue() + ":\n" + text);
        }
        return text;
    }

    /** Stops the domain; kills it when it does not stop. */
    @Override
    public void close() {
        stopQuietly();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs already
            }
        }
    }

    private void stopQuietly() {
        try {
            run(Duration.ofMinutes(2), "stop-domain", "--kill", "false", DOMAIN);
        } catch (Exception e) {
            System.err.println("stop-domain failed: " + e.getMessage());
        }
        try {
            killListeners(ADMIN_PORT, HAZELCAST_PORT, HTTP_PORT);
        } catch (Exception e) {
            System.err.println("cannot kill the server: " + e.getMessage());
        }
    }

    /** Kills (SIGKILL) every process listening on one of these TCP ports, and waits for it to go. */
    static void killListeners(int... ports) throws Exception {
        Process ss =
                new ProcessBuilder("ss", "-ltnpH").redirectErrorStream(true).start();
        String listing = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ss.waitFor(10, TimeUnit.SECONDS);
        Pattern pid = Pattern.compile("pid=(\\d+)");
        for (String line : listing.split("\n")) {
            for (int port : ports) {
                if (line.matches(".*[:\\]]" + port + "\\s.*")) {
                    Matcher m = pid.matcher(line);
                    while (m.find()) {
                        long id = Long.parseLong(m.group(1));
                        ProcessHandle.of(id).ifPresent(h -> {
                            System.out.println("killing process " + id + ", left listening on port " + port);
                            h.destroyForcibly();
                            h.onExit().orTimeout(30, TimeUnit.SECONDS).join();
                        });
                    }
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
