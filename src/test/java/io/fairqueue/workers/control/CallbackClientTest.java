package io.fairqueue.workers.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The push client against tiny socket servers on loopback: what it sends, reads and gives up on. */
class CallbackClientTest {

    final CallbackClient client =
            new CallbackClient(Duration.ofSeconds(1), (SSLSocketFactory) SSLSocketFactory.getDefault());
    final List<Server> servers = new CopyOnWriteArrayList<>();

    interface Handler {
        void handle(InputStream in, OutputStream out) throws IOException, InterruptedException;
    }

    /** Accepts connections on 127.0.0.1 and hands each to the handler; counts them. */
    final class Server implements AutoCloseable {
        final ServerSocket socket;
        final AtomicInteger connections = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();

        Server(Handler handler) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        connections.incrementAndGet();
                        s.setSoTimeout(5000);
                        requests.add(readRequest(s.getInputStream()));
                        handler.handle(s.getInputStream(), s.getOutputStream());
                    } catch (IOException | InterruptedException e) {
                        // the client went away, or the test is over
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            servers.add(this);
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @AfterEach
    void stop() throws IOException {
        for (Server s : servers) {
            s.close();
        }
    }

    static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int length = text.lines()
                .filter(l -> l.toLowerCase().startsWith("content-length:"))
                .mapToInt(l -> Integer.parseInt(l.substring(15).trim()))
                .findFirst()
                .orElse(0);
        return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    static void answer(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    static CallbackAllowlist.Target target(String host, int port, String path) {
        return new CallbackAllowlist.Target("http", host, port, false, path, List.of(InetAddress.getLoopbackAddress()));
    }

    @Test
    void a_2xx_answer_is_a_push_and_the_request_goes_to_the_checked_address_with_the_urls_host() throws Exception {
        Server ok = new Server((in, out) -> answer(out, "HTTP/1.1 204 No Content\r\n\r\n"));
        // the name resolves nowhere: only the checked address is ever connected to
        assertNull(client.post(target("callback.invalid", ok.port(), "/jobs?w=1"), "{\"id\":7}".getBytes()));
        String request = ok.requests.get(0);
        assertTrue(request.startsWith("POST /jobs?w=1 HTTP/1.1\r\n"), request);
        assertTrue(request.contains("\r\nHost: callback.invalid:" + ok.port() + "\r\n"), request);
        assertTrue(request.contains("\r\nContent-Type: application/json\r\n"), request);
        assertTrue(request.endsWith("\r\n\r\n{\"id\":7}"), request);
    }

    @Test
    void a_redirect_is_a_failed_push_and_is_not_followed() throws Exception {
        Server elsewhere = new Server((in, out) -> answer(out, "HTTP/1.1 204 No Content\r\n\r\n"));
        Server redirecting = new Server((in, out) -> answer(
                out,
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + elsewhere.port()
                        + "/stolen\r\nContent-Length: 0\r\n\r\n"));
        assertEquals("HTTP 302", client.post(target("127.0.0.1", redirecting.port(), "/"), "{}".getBytes()));
        Thread.sleep(200);
        assertEquals(0, elsewhere.connections.get(), "the Location was not visited");
    }

    @Test
    void an_endless_body_is_never_read() throws Exception {
        Server flood = new Server((in, out) -> {
            answer(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < 100_000; i++) { // 6 GiB, if anybody read it
                out.write(chunk);
            }
        });
        // reading the body would run into the 1 s deadline ("timed out"): a success proves it unread
        assertNull(client.post(target("127.0.0.1", flood.port(), "/"), "{}".getBytes()));
    }

    @Test
    void an_answer_that_trickles_ends_at_the_deadline() throws Exception {
        Server trickle = new Server((in, out) -> {
            for (byte b : "HTTP/1.1 200 OK with a very long reason phrase that never ends".getBytes()) {
                out.write(b);
                out.flush();
                Thread.sleep(100);
            }
        });
        long start = System.nanoTime();
        String failure = client.post(target("127.0.0.1", trickle.port(), "/"), "{}".getBytes());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(failure != null && failure.contains("timed out"), failure);
        assertTrue(millis >= 900 && millis < 5000, millis + " ms (the trickle alone lasts 6.4 s)");
    }

    @Test
    void a_silent_server_ends_at_the_deadline() throws Exception {
        Server silent = new Server((in, out) -> Thread.sleep(3000));
        String failure = client.post(target("127.0.0.1", silent.port(), "/"), "{}".getBytes());
        assertTrue(failure != null && failure.contains("timed out"), failure);
    }

    @Test
    void interim_answers_are_skipped() throws Exception {
        Server s = new Server(
                (in, out) -> answer(
                        out,
                        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\n\r\n"));
        assertNull(client.post(target("127.0.0.1", s.port(), "/"), "{}".getBytes()));
    }

    @Test
    void non_http_answers_and_huge_heads_are_failures() throws Exception {
        Server garbage = new Server((in, out) -> answer(out, "SSH-2.0-OpenSSH_9.2\r\n"));
        String failure = client.post(target("127.0.0.1", garbage.port(), "/"), "{}".getBytes());
        assertTrue(failure.contains("not an HTTP/1.x answer"), failure);
        Server huge = new Server((in, out) -> {
            StringBuilder head = new StringBuilder("HTTP/1.1 100 Continue\r\n");
            for (int i = 0; i < 2000; i++) {
                head.append("X-Filler-")
                        .append(i)
                        .append(": ")
                        .append("y".repeat(100))
                        .append("\r\n");
            }
            answer(out, head.toString());
        });
        // a generous deadline: this is about the size limit, on however busy a machine
        CallbackClient patient =
                new CallbackClient(Duration.ofSeconds(10), (SSLSocketFactory) SSLSocketFactory.getDefault());
        failure = patient.post(target("127.0.0.1", huge.port(), "/"), "{}".getBytes());
        assertTrue(failure.contains("65536"), failure);
    }

    @Test
    void a_refused_connection_is_a_failure_naming_it() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String failure = client.post(target("127.0.0.1", closed, "/"), "{}".getBytes());
        assertTrue(failure.contains("ConnectException"), failure);
    }
}
