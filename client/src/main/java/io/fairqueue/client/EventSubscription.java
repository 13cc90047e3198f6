package io.fairqueue.client;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A running subscription to {@code GET /queue/events}: a daemon thread reads the stream with the
 * bearer header (a streaming body, never a token in the URL) and passes every event on. A dropped
 * stream is reopened after a jittered backoff; 401, 403 and 429 end the subscription (reported to
 * the error consumer), since reopening would not help. {@link #close()} stops it.
 */
public final class EventSubscription implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EventSubscription.class.getName());

    private final Http http;
    private final Consumer<QueueEvent> listener;
    private final Consumer<FairQueueException> onError;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closed;
    private volatile InputStream current;

    private EventSubscription(Http http, Consumer<QueueEvent> listener, Consumer<FairQueueException> onError) {
        this.http = http;
        this.listener = listener;
        this.onError = onError;
        this.thread = new Thread(this::run, "fairqueue-events");
        this.thread.setDaemon(true);
    }

    static EventSubscription start(Http http, Consumer<QueueEvent> listener, Consumer<FairQueueException> onError) {
        EventSubscription s = new EventSubscription(http, listener, onError);
        s.thread.start();
        return s;
    }

    private void run() {
        int failures = 0;
        try {
            while (!closed) {
                try (InputStream in = http.stream("/queue/events")) {
                    current = in;
                    failures = 0;
                    SseReader.read(in, e -> {
                        if (!closed) {
                            listener.accept(e);
                        }
                    });
                } catch (FairQueueException e) {
                    if (e.status() == 401 || e.status() == 403 || e.status() == 429) {
                        onError.accept(e);
                        return;
                    }
                    LOG.log(Level.DEBUG, "event stream unavailable: {0}", e.getMessage());
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "event stream dropped: {0}", e.toString());
                }
                if (!closed) {
                    Thread.sleep(Backoff.DEFAULT.delay(++failures).toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ended.countDown();
        }
    }

    /** Waits until the subscription has ended (closed, or stopped by an error); false on timeout. */
    public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return ended.await(timeout, unit);
    }

    /** Stops reading and closes the stream. */
    @Override
    public void close() {
        closed = true;
        InputStream in = current;
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
        thread.interrupt();
    }
}
