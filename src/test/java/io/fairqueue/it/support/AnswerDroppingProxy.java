package io.fairqueue.it.support;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in front of PostgreSQL that can lose one answer on purpose: armed with a marker and
 * a command tag, it watches every connection for the marker in what the client sends (a bind
 * parameter: an Idempotency-Key, a job's type) and, on that connection, drops the server's
 * {@code CommandComplete} with the tag (say {@code COMMIT}) and cuts both sides instead of
 * passing it on. PostgreSQL has done the command; the client never hears so. This is what a
 * network cut or a terminated backend does at the worst moment, made exact.
 *
 * <p>It reads the server's side as PostgreSQL's protocol messages (type byte, length, body), so
 * the client must not ask for TLS or GSS encryption ({@link #jdbcUrl(String)} says so); the client's
 * side is passed on as bytes.
 */
public final class AnswerDroppingProxy implements AutoCloseable {

    private record Cut(byte[] marker, String tag, int nth) {}

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final AtomicReference<Cut> armed = new AtomicReference<>();
    private final AtomicInteger cuts = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private AnswerDroppingProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "answer-dropping-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy for the server of a JDBC URL such as {@code jdbc:postgresql://127.0.0.1:5432/fq}. */
    public static AnswerDroppingProxy to(String jdbcUrl) throws IOException {
        String hostPort = hostPort(jdbcUrl);
        int colon = hostPort.lastIndexOf(':');
        return new AnswerDroppingProxy(new InetSocketAddress(
                colon < 0 ? hostPort : hostPort.substring(0, colon),
                colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1))));
    }

    /** {@code jdbcUrl} pointed at this proxy, without TLS or GSS encryption. */
    public String jdbcUrl(String jdbcUrl) {
        String through = jdbcUrl.replace(hostPort(jdbcUrl), "127.0.0.1:" + listener.getLocalPort());
        return through + (through.contains("?") ? "&" : "?") + "sslmode=disable&gssEncMode=disable";
    }

    private static String hostPort(String jdbcUrl) {
        int start = jdbcUrl.indexOf("//") + 2;
        int end = jdbcUrl.indexOf('/', start);
        return jdbcUrl.substring(start, end);
    }

    /**
     * Drops the {@code nth} answer tagged {@code tag} (a prefix: {@code INSERT} matches
     * {@code INSERT 0 1}) on the first connection that sends {@code marker} from then on, once.
     */
    public void dropAnswer(String marker, String tag, int nth) {
        armed.set(new Cut(marker.getBytes(StandardCharsets.UTF_8), tag, nth));
    }

    /** How many answers were dropped so far. */
    public int dropped() {
        return cuts.get();
    }

    /** True while an armed cut has not yet happened. */
    public boolean armed() {
        return armed.get() != null;
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
                continue;
            }
            start(() -> connect(client), "proxy-connect");
        }
    }

    /** Connects one accepted client to PostgreSQL (in its own thread: a slow connect stalls no other). */
    private void connect(Socket client) {
        Socket server = new Socket();
        try {
            server.connect(target, 5000);
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
        } catch (IOException e) {
            close(client); // the client hears the refusal at once
            close(server);
            return;
        }
        open.add(client);
        open.add(server);
        Connection c = new Connection(client, server);
        start(c::clientToServer, "proxy-c2s");
        start(c::serverToClient, "proxy-s2c");
    }

    private static void start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** One proxied connection: the client's bytes are scanned for the marker, the server's parsed. */
    private final class Connection {
        private final Socket client;
        private final Socket server;
        private volatile Cut marked;
        /** Answers with the cut's tag seen since the marker; written by the client side at marking. */
        private volatile int matched;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void clientToServer() {
            byte[] buf = new byte[16384];
            byte[] tail = new byte[0];
            try (InputStream in = client.getInputStream();
                    OutputStream out = server.getOutputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    Cut cut = armed.get();
                    if (cut != null && marked != cut) { // a connection marked for an older cut may serve a newer one
                        byte[] window = new byte[tail.length + n];
                        System.arraycopy(tail, 0, window, 0, tail.length);
                        System.arraycopy(buf, 0, window, tail.length, n);
                        if (indexOf(window, cut.marker()) >= 0) {
                            matched = 0;
                            marked = cut; // before the bytes go on: the answer cannot come sooner
                        }
                        int keep = Math.min(window.length, cut.marker().length - 1);
                        tail = java.util.Arrays.copyOfRange(window, window.length - keep, window.length);
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side closed, or the cut did
            } finally {
                closeBoth();
            }
        }

        void serverToClient() {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(server.getInputStream()));
                    OutputStream out = new BufferedOutputStream(client.getOutputStream())) {
                while (true) {
                    int type = in.read();
                    if (type < 0) {
                        return;
                    }
                    int length = in.readInt();
                    if (length < 4) {
                        throw new IOException("not a PostgreSQL message: length " + length);
                    }
                    byte[] body = new byte[length - 4];
                    in.readFully(body);
                    Cut cut = marked;
                    if (type == 'C' && cut != null && armed.get() == cut) {
                        String tag = new String(body, 0, Math.max(0, body.length - 1), StandardCharsets.UTF_8);
                        if (tag.startsWith(cut.tag()) && ++matched == cut.nth() && armed.compareAndSet(cut, null)) {
                            cuts.incrementAndGet();
                            out.flush(); // what came before the dropped answer still arrives
                            return; // finally: both sides cut
                        }
                    }
                    out.write(type);
                    out.write(length >>> 24);
                    out.write(length >>> 16);
                    out.write(length >>> 8);
                    out.write(length);
                    out.write(body);
                    if (in.available() == 0) {
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // the other side closed, or the cut did
            } finally {
                closeBoth();
            }
        }

        private void closeBoth() {
            close(client);
            close(server);
            open.remove(client);
            open.remove(server);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        open.forEach(AnswerDroppingProxy::close);
    }
}
