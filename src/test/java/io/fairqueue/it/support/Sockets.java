package io.fairqueue.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux process's TCP sockets, from {@code /proc}: its descriptors name socket inodes
 * ({@code /proc/<pid>/fd/* -> socket:[inode]}), and {@code /proc/net/tcp} and {@code tcp6} list
 * every socket with its inode, addresses and state. No tool (ss, netstat) needed.
 */
public final class Sockets {

    private static final String LISTEN = "0A";
    private static final String ESTABLISHED = "01";
    private static final Pattern SOCKET = Pattern.compile("socket:\\[(\\d+)]");

    /** One TCP socket: local and remote address and port, state (hex, as the kernel writes it). */
    public record Tcp(
            InetAddress localAddress,
            int localPort,
            InetAddress remoteAddress,
            int remotePort,
            String state,
            long inode) {

        public boolean listening() {
            return LISTEN.equals(state);
        }

        @Override
        public String toString() {
            return localAddress.getHostAddress() + ":" + localPort
                    + (listening()
                            ? " LISTEN"
                            : " -> " + remoteAddress.getHostAddress() + ":" + remotePort + " state " + state);
        }
    }

    private Sockets() {}

    /** The TCP sockets the process holds open. */
    public static List<Tcp> of(long pid) {
        Set<Long> inodes = inodes(Path.of("/proc", String.valueOf(pid), "fd"));
        return all().stream().filter(s -> inodes.contains(s.inode())).toList();
    }

    public static List<Tcp> listening(long pid) {
        return of(pid).stream().filter(Tcp::listening).toList();
    }

    /** How many established connections the process has to the given remote port. */
    public static int connectionsTo(long pid, int remotePort) {
        return (int) of(pid).stream()
                .filter(s -> ESTABLISHED.equals(s.state()) && s.remotePort() == remotePort)
                .count();
    }

    /** The process that listens on the given TCP port. */
    public static long pidListeningOn(int port) {
        Set<Long> wanted = new HashSet<>();
        for (Tcp s : all()) {
            if (s.listening() && s.localPort() == port) {
                wanted.add(s.inode());
            }
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(
                Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                Set<Long> held = inodes(proc.resolve("fd"));
                if (held.stream().anyMatch(wanted::contains)) {
                    return Long.parseLong(proc.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no process listens on port " + port);
    }

    static Set<Long> inodes(Path fds) {
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> links = Files.newDirectoryStream(fds)) {
            for (Path link : links) {
                try {
                    Matcher m = SOCKET.matcher(Files.readSymbolicLink(link).toString());
                    if (m.matches()) {
                        inodes.add(Long.parseLong(m.group(1)));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // the process is gone, or not ours to read
        }
        return inodes;
    }

    static List<Tcp> all() {
        List<Tcp> out = new ArrayList<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    String[] local = f[1].split(":");
                    String[] remote = f[2].split(":");
                    out.add(new Tcp(
                            address(local[0]),
                            Integer.parseInt(local[1], 16),
                            address(remote[0]),
                            Integer.parseInt(remote[1], 16),
                            f[3],
                            Long.parseLong(f[9])));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** The kernel writes addresses as 32-bit words in host (little-endian) byte order. */
    static InetAddress address(String hex) {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = (word * 4 + (3 - i)) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(hex, e);
        }
    }
}
