package io.fairqueue.queues.control;

import io.fairqueue.security.control.Caller;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * One open {@code GET /queue/events} response. Written without blocking (Servlet non-blocking
 * output): what the client has not read yet waits here, up to {@link #MAX_QUEUED_BYTES}; a
 * client that falls further behind is dropped (its response ends) rather than buffered without
 * bound. Every method may be called from the tick thread and the container's threads at once.
 */
public final class EventStream implements WriteListener, AsyncListener {

    /** What a stream may owe its client before it is dropped. */
    public static final int MAX_QUEUED_BYTES = 1 << 20;

    private final long id;
    private final String tokenHash;
    private final Caller caller;
    private final AsyncContext async;
    private final Consumer<EventStream> onClose;
    private final ArrayDeque<byte[]> queued = new ArrayDeque<>();
    private ServletOutputStream out;
    private long queuedBytes;
    private boolean closed;
    private String lastCounts;
    private long lastSentNanos = System.nanoTime();

    EventStream(long id, String tokenHash, Caller caller, AsyncContext async, Consumer<EventStream> onClose) {
        this.id = id;
        this.tokenHash = tokenHash;
        this.caller = caller;
        this.async = async;
        this.onClose = onClose;
    }

    /** Starts writing: called once, on the request's thread, right after the stream is registered. */
    synchronized void start(String first) throws IOException {
        async.addListener(this);
        out = async.getResponse().getOutputStream();
        queue(first);
        out.setWriteListener(this); // the container calls onWritePossible, which writes what is queued
    }

    public long id() {
        return id;
    }

    public String tokenHash() {
        return tokenHash;
    }

    public Caller caller() {
        return caller;
    }

    /** Queues text for the client; false when the stream is (now) closed. */
    synchronized boolean send(String text) {
        if (closed) {
            return false;
        }
        if (!queue(text)) {
            return false;
        }
        if (out != null) {
            drain();
        }
        return !closed;
    }

    /** Sends the counts unless they are what this stream last got. */
    synchronized boolean sendCounts(String event, String counts) {
        if (counts.equals(lastCounts)) {
            return !closed;
        }
        lastCounts = counts;
        return send(event);
    }

    synchronized long lastSentNanos() {
        return lastSentNanos;
    }

    private boolean queue(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (queuedBytes + bytes.length > MAX_QUEUED_BYTES) {
            close(); // the client does not read: dropped, not buffered without bound
            return false;
        }
        queued.add(bytes);
        queuedBytes += bytes.length;
        lastSentNanos = System.nanoTime();
        return true;
    }

    private void drain() {
        try {
            while (!queued.isEmpty() && out.isReady()) {
                byte[] next = queued.poll();
                queuedBytes -= next.length;
                out.write(next);
            }
            if (queued.isEmpty() && out.isReady()) {
                out.flush();
            }
        } catch (IOException | IllegalStateException e) {
            close(); // the client went away
        }
    }

    /** Ends the response (a revoked token, a stopping node, a client that does not read). */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        queued.clear();
        queuedBytes = 0;
        try {
            async.complete();
        } catch (IllegalStateException alreadyOver) {
            // the container ended it first
        }
        onClose.accept(this);
    }

    @Override
    public synchronized void onWritePossible() {
        if (!closed) {
            drain();
        }
    }

    @Override
    public void onError(Throwable t) {
        close();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        close();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        close();
    }

    @Override
    public void onError(AsyncEvent event) {
        close();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // nothing to do
    }
}
