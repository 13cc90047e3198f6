package io.fairqueue.client.cli;

import io.fairqueue.client.FairQueueClient;
import io.fairqueue.client.FairQueueException;
import jakarta.json.JsonValue;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code fq}, FairQueue's command line: noun-verb commands over the REST API for users and
 * operators (seed 002's enqueue, status, clear, release, cleanup_stale and daemon among them).
 *
 * <p>Exit codes scripts can test: 0 ok, 1 error, 2 usage (bad arguments, a destructive command
 * without {@code --yes}), 3 not found (404), 4 conflict (409). Output with {@code -o table|json|jsonl};
 * errors go to stderr (with {@code -o json} the problem document itself). The server and token
 * come from {@code --url}/{@code --token}, {@code FAIRQUEUE_URL}/{@code FAIRQUEUE_TOKEN}, or the
 * profile file ({@link Settings}); the token is never printed.
 */
@Command(
        name = "fq",
        mixinStandardHelpOptions = true,
        version = "fq 0.1.0",
        description = "FairQueue command line.",
        subcommands = {
            JobsCommand.class,
            QueueCommand.class,
            QueuesCommand.class,
            LocksCommand.class,
            UsageCommand.class,
            WorkersCommand.class,
            DeadLetterCommand.class,
            WatchCommand.class,
            WorkCommand.class
        })
public final class Fq implements Callable<Integer> {

    /** Exit code: success. */
    public static final int OK = 0;
    /** Exit code: any error not listed below. */
    public static final int ERROR = 1;
    /** Exit code: bad arguments, or a destructive command without --yes. */
    public static final int USAGE = 2;
    /** Exit code: the job, queue, user or lock does not exist (404). */
    public static final int NOT_FOUND = 3;
    /** Exit code: the change conflicts with the current state (409). */
    public static final int CONFLICT = 4;

    @Option(names = "--url", scope = ScopeType.INHERIT, description = "Server URL (or FAIRQUEUE_URL, or the profile).")
    String url;

    @Option(
            names = "--token",
            scope = ScopeType.INHERIT,
            description = "Bearer token (or FAIRQUEUE_TOKEN, or the profile).")
    String token;

    @Option(names = "--profile", scope = ScopeType.INHERIT, description = "A profile of ~/.config/fairqueue/config.")
    String profile;

    @Option(
            names = {"-o", "--output"},
            scope = ScopeType.INHERIT,
            defaultValue = "table",
            description = "Output format: ${COMPLETION-CANDIDATES} (default table).")
    Output.Format output;

    final Map<String, String> env;
    final PrintWriter out;
    final PrintWriter err;
    private FairQueueClient client;

    Fq(Map<String, String> env, PrintWriter out, PrintWriter err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    /** Runs {@code fq} and exits with its exit code. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(args, System.getenv(), out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs {@code fq} with {@code args} and answers the exit code (for tests and embedding). */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        Fq fq = new Fq(env, out, err);
        CommandLine cl = new CommandLine(fq);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> fq.report(e));
        return cl.execute(args);
    }

    /** {@code fq} alone: the usage, exit 2. */
    @Override
    public Integer call() {
        new CommandLine(this).usage(err);
        return USAGE;
    }

    /** The client for the resolved server and token (made once). */
    FairQueueClient client() {
        if (client == null) {
            Settings s = Settings.resolve(url, token, profile, env);
            if (s.token() == null) {
                throw new UsageError(
                        "no token: pass --token, set FAIRQUEUE_TOKEN or write token= in " + Settings.configPath(env));
            }
            client = FairQueueClient.builder().url(s.url()).token(s.token()).build();
        }
        return client;
    }

    /** Prints {@code value} in the chosen format. */
    void print(JsonValue value, String... columns) {
        Output.print(out, output, value, List.of(columns));
    }

    /** Fails with exit code 2 unless {@code yes}: destructive commands ask for --yes. */
    static void requireYes(boolean yes, String what) {
        if (!yes) {
            throw new UsageError(what + " is destructive: add --yes to confirm");
        }
    }

    private int report(Exception e) {
        if (e instanceof FairQueueException f) {
            if (output != Output.Format.table && f.problem().isPresent()) {
                err.println(f.problem().get());
            } else {
                err.println("fq: " + f.getMessage());
            }
            err.flush();
            return switch (f.status()) {
                case 404 -> NOT_FOUND;
                case 409 -> CONFLICT;
                default -> ERROR;
            };
        }
        err.println("fq: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        err.flush();
        return e instanceof UsageError || e instanceof IllegalArgumentException ? USAGE : ERROR;
    }

    /** A command used wrongly (exit 2). */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message);
        }
    }
}
