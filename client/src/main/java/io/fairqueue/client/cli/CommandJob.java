package io.fairqueue.client.cli;

import io.fairqueue.client.JobContext;
import io.fairqueue.client.JobHandler;
import jakarta.json.Json;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

/**
 * Runs one job as an operating-system command (seed 002's daemon starting each task): the payload
 * as JSON on stdin, {@code FQ_JOB_ID}, {@code FQ_JOB_TYPE}, {@code FQ_USER}, {@code FQ_QUEUE} and
 * {@code FQ_ATTEMPT} in the environment. Exit 0 completes the job with its stdout (the JSON it
 * printed, or the text as a string); any other exit fails the attempt with the exit code and the
 * tail of stderr. A cancel or pause (or the end of the shutdown grace) kills the command and its
 * children: SIGTERM, then SIGKILL after 5 s.
 */
final class CommandJob implements JobHandler<JsonValue> {

    /** Most stdout kept as the result (the server takes 1 MiB). */
    static final int MAX_STDOUT = 1 << 20;
    /** Most stderr quoted in the error. */
    static final int STDERR_TAIL = 4000;

    private final List<String> command;

    CommandJob(List<String> command) {
        this.command = List.copyOf(command);
    }

    /** Runs the command for one job; see the class comment. */
    @Override
    public Object handle(JsonValue payload, JobContext ctx) throws Exception {
        ProcessBuilder b = new ProcessBuilder(command);
        b.environment().put("FQ_JOB_ID", String.valueOf(ctx.jobId()));
        b.environment().put("FQ_JOB_TYPE", ctx.type());
        b.environment().put("FQ_USER", ctx.userId());
        b.environment().put("FQ_QUEUE", ctx.queue());
        b.environment().put("FQ_ATTEMPT", String.valueOf(ctx.attempt()));
        b.environment().remove("FAIRQUEUE_TOKEN"); // the job's command does not get the worker's token
        Process p = b.start();
        Bounded stdout = new Bounded(MAX_STDOUT, false);
        Bounded stderr = new Bounded(STDERR_TAIL, true);
        Thread out = pump(p.getInputStream(), stdout, "stdout-" + ctx.jobId());
        Thread err = pump(p.getErrorStream(), stderr, "stderr-" + ctx.jobId());
        Thread in = new Thread(() -> feed(p.getOutputStream(), payload), "stdin-" + ctx.jobId());
        in.setDaemon(true);
        in.start();
        try {
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                if (ctx.isStopped()) {
                    kill(p);
                    throw new CancellationException("job " + ctx.jobId() + " stopped: "
                            + ctx.stopReason().orElseThrow());
                }
            }
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        }
        out.join(5000);
        err.join(5000);
        if (p.exitValue() != 0) {
            throw new CommandFailed("exit " + p.exitValue()
                    + (stderr.text().isBlank() ? "" : ": " + stderr.text().strip()));
        }
        return result(stdout.text());
    }

    /** stdout as JSON when it parses as one JSON value, else as a string (trailing newline trimmed). */
    static JsonValue result(String stdout) {
        String text = stdout.strip();
        if (text.isEmpty()) {
            return JsonValue.NULL;
        }
        try (JsonParser p = Json.createParser(new StringReader(text))) {
            p.next();
            JsonValue value = p.getValue();
            if (!p.hasNext()) {
                return value;
            }
        } catch (JsonParsingException | IllegalStateException | NoSuchElementException e) {
            // not one JSON value: the text itself
        }
        return Json.createValue(stdout.endsWith("\n") ? stdout.substring(0, stdout.length() - 1) : stdout);
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void feed(OutputStream stdin, JsonValue payload) {
        try (OutputStream o = stdin) {
            if (payload != null && payload != JsonValue.NULL) {
                o.write(payload.toString().getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the command did not read its stdin: that is its business
        }
    }

    private static Thread pump(InputStream from, Bounded to, String name) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[8192];
                    try (InputStream in = from) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            to.write(buf, n);
                        }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Keeps the first (or, with {@code tail}, the last) {@code max} bytes written. */
    static final class Bounded {
        private final int max;
        private final boolean tail;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Bounded(int max, boolean tail) {
            this.max = max;
            this.tail = tail;
        }

        synchronized void write(byte[] b, int n) {
            if (!tail) {
                bytes.write(b, 0, Math.min(n, Math.max(0, max - bytes.size())));
                return;
            }
            bytes.write(b, 0, n);
            if (bytes.size() > 2 * max) {
                byte[] all = bytes.toByteArray();
                bytes.reset();
                bytes.write(all, all.length - max, max);
            }
        }

        synchronized String text() {
            byte[] all = bytes.toByteArray();
            int from = tail && all.length > max ? all.length - max : 0;
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        }
    }

    /** The command exited with a non-zero code. */
    static final class CommandFailed extends Exception {
        CommandFailed(String message) {
            super(message);
        }
    }
}
