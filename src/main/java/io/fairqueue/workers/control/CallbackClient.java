package io.fairqueue.workers.control;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * POSTs a job to a checked callback ({@link CallbackAllowlist.Target}): one HTTP/1.1 request on a
 * fresh connection to one of the addresses that were checked, never to a second resolution of the
 * name (DNS may answer differently a moment later). java.net.http cannot do that: it resolves the
 * URL's host itself, and would need a JVM-wide switch to send another Host header. So this is a
 * deliberately small client: TLS with the URL's host as server name and certificate identity, the
 * status line read (1xx answers skipped), then the connection closed. Redirects are never followed
 * (a 3xx is a failed push); at most {@link #MAX_RESPONSE_BYTES} of the answer's head are taken (read
 * from the socket through one {@value #BUFFER_BYTES}-byte buffer, so never more than the two
 * together) and its body never; the whole exchange, connect included, ends by one deadline.
 */
public final class CallbackClient {

    /** Status lines and interim (1xx) headers: read at most this much of an answer. */
    public static final int MAX_RESPONSE_BYTES = 64 * 1024;

    static final int BUFFER_BYTES = 4096;

    private final Duration timeout;
    private final SSLSocketFactory tls;

    public CallbackClient(Duration timeout, SSLSocketFactory tls) {
        this.timeout = timeout;
        this.tls = tls;
    }

    /** Null when the callback took the job (2xx), else why not. */
    public String post(CallbackAllowlist.Target target, byte[] json) {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        for (InetAddress address : target.addresses()) {
            Socket socket = new Socket();
            try (socket) {
                socket.connect(new InetSocketAddress(address, target.port()), remainingMillis(deadline));
                Socket s = target.tls() ? handshake(socket, target, deadline) : socket;
                s.setSoTimeout(remainingMillis(deadline));
                write(s.getOutputStream(), target, json);
                int status = readStatus(new BufferedInputStream(s.getInputStream(), BUFFER_BYTES), deadline, s);
                return status / 100 == 2 ? null : "HTTP " + status;
            } catch (SocketTimeoutException e) {
                return "timed out after " + timeout.toSeconds() + " s";
            } catch (IOException e) {
                last = e; // refused or unreachable: the next checked address, if any
                if (System.nanoTime() - deadline >= 0) {
                    break;
                }
            }
        }
        return last == null
                ? "no address"
                : last.getClass().getSimpleName() + (last.getMessage() == null ? "" : ": " + last.getMessage());
    }

    private Socket handshake(Socket plain, CallbackAllowlist.Target target, long deadline) throws IOException {
        plain.setSoTimeout(remainingMillis(deadline));
        SSLSocket s = (SSLSocket) tls.createSocket(plain, target.host(), target.port(), true);
        // the layered socket takes the URL's host as its peer: the JDK sends it as server name (SNI)
        // unless it is an IP literal, and with this the certificate must name it
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static void write(OutputStream out, CallbackAllowlist.Target target, byte[] json) throws IOException {
        String head = "POST " + target.pathAndQuery() + " HTTP/1.1\r\n"
                + "Host: " + target.hostHeader() + "\r\n"
                + "User-Agent: FairQueue-dispatcher\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + json.length + "\r\n"
                + "Connection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(json);
        out.flush();
    }

    /** The final status code; interim 1xx answers are skipped. Reads nothing of the body. */
    static int readStatus(InputStream in, long deadline, Socket socket) throws IOException {
        int budget = MAX_RESPONSE_BYTES;
        while (true) {
            String line = readLine(in, deadline, socket, budget);
            budget -= line.length() + 2;
            int status = parseStatus(line);
            if (status >= 200) {
                return status;
            }
            // an interim answer (100 Continue, 103 Early Hints): skip its headers, read the next
            for (String header = readLine(in, deadline, socket, budget);
                    !header.isEmpty();
                    header = readLine(in, deadline, socket, budget)) {
                budget -= header.length() + 2;
            }
            budget -= 2;
        }
    }

    static int parseStatus(String line) throws IOException {
        // HTTP/1.1 302 Found
        if (!line.startsWith("HTTP/1.")
                || line.length() < 12
                || line.charAt(8) != ' '
                || !line.substring(9, 12).chars().allMatch(Character::isDigit)
                || (line.length() > 12 && line.charAt(12) != ' ')) {
            throw new IOException("not an HTTP/1.x answer: '" + abbreviate(line) + "'");
        }
        return Integer.parseInt(line.substring(9, 12));
    }

    private static String readLine(InputStream in, long deadline, Socket socket, int budget) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            if (line.length() >= budget) {
                throw new IOException("answer longer than " + MAX_RESPONSE_BYTES + " bytes before its status");
            }
            socket.setSoTimeout(remainingMillis(deadline)); // a slow trickle of bytes still ends on time
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the answer's status");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
