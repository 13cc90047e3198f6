package io.fairqueue.queues.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A stream's client that does not read: what waits is bounded, and the stream ends at the bound. */
class EventStreamTest {

    /** An output whose client reads only while {@code ready}. */
    static final class Output extends ServletOutputStream {
        volatile boolean ready;
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            // the test calls onWritePossible itself
        }

        @Override
        public void write(int b) {
            if (!ready) {
                throw new IllegalStateException("written while not ready");
            }
            written.write(b);
        }
    }

    final Output out = new Output();
    final AtomicBoolean completed = new AtomicBoolean();
    final AtomicInteger closedCalls = new AtomicInteger();
    final EventStream stream =
            new EventStream(1, "hash", new Caller("alice", Role.USER), async(), s -> closedCalls.incrementAndGet());

    AsyncContext async() {
        ServletResponse response = (ServletResponse) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ServletResponse.class},
                (p, m, a) -> m.getName().equals("getOutputStream") ? out : null);
        return (AsyncContext) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {AsyncContext.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "getResponse" -> {
                            return response;
                        }
                        case "complete" -> completed.set(true);
                        default -> {
                            // addListener and the rest: nothing to do here
                        }
                    }
                    return null;
                });
    }

    @Test
    void a_client_that_stops_reading_is_dropped_once_a_mebibyte_waits() throws Exception {
        out.ready = false;
        stream.start("retry: 2000\n\n");
        String event = "event: jobs\ndata: " + "x".repeat(1000) + "\n\n";
        int accepted = 0;
        while (stream.send(event)) {
            accepted++;
            assertTrue(accepted < 10_000, "the stream never stopped taking events");
        }
        int size = event.getBytes(StandardCharsets.UTF_8).length;
        assertEquals(EventStream.MAX_QUEUED_BYTES / size, accepted, "about a mebibyte waited, no more");
        assertTrue(completed.get(), "its response ended");
        assertEquals(1, closedCalls.get(), "and it left the node's streams once");
        assertFalse(stream.send("data: more\n\n"), "a dropped stream takes nothing");
        assertEquals(0, out.written.size());
    }

    @Test
    void what_waits_is_written_in_order_once_the_client_reads_again() throws Exception {
        out.ready = false;
        stream.start("retry: 2000\n\n");
        for (int i = 0; i < 5; i++) {
            assertTrue(stream.send("data: " + i + "\n\n"));
        }
        assertEquals(0, out.written.size());
        out.ready = true;
        stream.onWritePossible();
        assertEquals(
                "retry: 2000\n\ndata: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n",
                out.written.toString(StandardCharsets.UTF_8));
        assertTrue(stream.send("data: 5\n\n"), "written at once while the client reads");
        assertTrue(out.written.toString(StandardCharsets.UTF_8).endsWith("data: 5\n\n"));
        assertFalse(completed.get());
    }

    @Test
    void counts_go_out_only_when_they_change() throws Exception {
        out.ready = true;
        stream.start("");
        assertTrue(stream.sendCounts("event: counts\ndata: {\"a\":1}\n\n", "{\"a\":1}"));
        assertTrue(stream.sendCounts("event: counts\ndata: {\"a\":1}\n\n", "{\"a\":1}"));
        assertTrue(stream.sendCounts("event: counts\ndata: {\"a\":2}\n\n", "{\"a\":2}"));
        assertEquals(
                "event: counts\ndata: {\"a\":1}\n\nevent: counts\ndata: {\"a\":2}\n\n",
                out.written.toString(StandardCharsets.UTF_8));
    }
}
