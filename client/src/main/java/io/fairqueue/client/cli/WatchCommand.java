package io.fairqueue.client.cli;

import io.fairqueue.client.EventSubscription;
import io.fairqueue.client.FairQueueException;
import io.fairqueue.client.QueueEvent;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fq watch}: follows the live event stream ({@code GET /queue/events}) and prints a
 * compact view as it changes: a counts line on every {@code counts} event and one line per status
 * change. With {@code -o json|jsonl} every event is one JSON line ({@code {event, id, data}}).
 * {@code --poll} reads {@code GET /queue} every {@code --interval} seconds instead (for proxies
 * that buffer streams). {@code --count} / {@code --duration} end it (for scripts).
 */
@Command(name = "watch", description = "Follow the queue live.", mixinStandardHelpOptions = true)
final class WatchCommand implements Runnable {

    @ParentCommand
    Fq fq;

    @Option(names = "--poll", description = "Poll GET /queue instead of the event stream.")
    boolean poll;

    @Option(names = "--interval", defaultValue = "2", description = "Seconds between polls (default 2).")
    int interval;

    @Option(names = "--count", defaultValue = "0", description = "Stop after this many events (0 = never).")
    int count;

    @Option(names = "--duration", defaultValue = "0", description = "Stop after this many seconds (0 = never).")
    int duration;

    /** Follows until --count events, --duration seconds, an error or Ctrl-C. */
    @Override
    public void run() {
        long end = duration > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(duration) : Long.MAX_VALUE;
        if (poll) {
            pollLoop(end);
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger seen = new AtomicInteger();
        AtomicReference<FairQueueException> error = new AtomicReference<>();
        try (EventSubscription s = fq.client()
                .subscribe(
                        e -> {
                            show(e);
                            if (count > 0 && seen.incrementAndGet() >= count) {
                                done.countDown();
                            }
                        },
                        e -> {
                            error.set(e);
                            done.countDown();
                        })) {
            long wait = end == Long.MAX_VALUE ? Long.MAX_VALUE : end - System.nanoTime();
            done.await(Math.max(0, wait), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (error.get() != null) {
            throw error.get();
        }
    }

    private synchronized void show(QueueEvent e) {
        if (fq.output != Output.Format.table) {
            var b = Json.createObjectBuilder()
                    .add("event", e.event())
                    .add("data", e.data() == null ? JsonValue.NULL : e.data());
            if (e.id() != null) {
                b.add("id", e.id());
            }
            fq.out.println(b.build());
        } else if (e.event().equals("counts")) {
            fq.out.println(countsLine(e.data().asJsonObject()));
        } else if (e.data() instanceof jakarta.json.JsonArray changes) {
            for (JsonObject c : changes.getValuesAs(JsonObject.class)) {
                fq.out.printf(
                        "  job %s %s -> %s  user %s  queue %s%s%n",
                        c.get("id"),
                        c.getString("from", "new"),
                        c.getString("status"),
                        c.getString("userId", "?"),
                        c.getString("queue", "?"),
                        c.containsKey("position") ? "  position " + c.get("position") : "");
            }
        }
        fq.out.flush();
    }

    private void pollLoop(long end) {
        int n = 0;
        while (System.nanoTime() < end && (count == 0 || n < count)) {
            JsonObject view = fq.client().queueView(null, null, 0);
            if (fq.output != Output.Format.table) {
                fq.out.println(Json.createObjectBuilder()
                        .add("event", "counts")
                        .add(
                                "data",
                                Json.createObjectBuilder()
                                        .add("counts", view.get("counts"))
                                        .add("pending", view.get("pending"))
                                        .add("active", view.get("active")))
                        .build());
            } else {
                fq.out.println(countsLine(view));
            }
            fq.out.flush();
            n++;
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(1, interval)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String countsLine(JsonObject v) {
        JsonObject p = v.getJsonObject("pending");
        JsonObject a = v.getJsonObject("active");
        JsonObject c = v.getJsonObject("counts");
        return String.format(
                "%s pending (urgent %s, normal %s, background %s) | running %s%s | scheduled %s, retry %s, paused %s",
                p.get("total"),
                p.get("urgent"),
                p.get("normal"),
                p.get("background"),
                a.get("slotsUsed"),
                a.containsKey("slotsMax") ? "/" + a.get("slotsMax") : "",
                c.get("SCHEDULED"),
                c.get("RETRY_WAIT"),
                c.get("PAUSED"));
    }
}
