package io.fairqueue.workers.control;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where push dispatch may send jobs (and their lease tokens): the hosts and networks of
 * {@code fairqueue.push.allowed-hosts}. Pure logic; the resolver is passed in.
 *
 * <p>A callback URL passes when it is an absolute {@code http} or {@code https} URL without user
 * information or fragment, and its host either equals a host-name entry (case-insensitive, a
 * trailing dot ignored: the operator vouches for that name, whatever it resolves to) or resolves
 * only to addresses inside the listed networks (every address, so a name with one allowed and one
 * forbidden address is refused). Numeric host forms (decimal {@code 2130706433}, IPv4-mapped IPv6
 * {@code [::ffff:127.0.0.1]}) are judged by the address the JDK makes of them, which is the address
 * it would connect to. The unspecified address ({@code 0.0.0.0}, {@code ::}, which reach the local
 * host) and multicast addresses are never allowed. Ports are not restricted.
 *
 * <p>Entries are host names, IP addresses ({@code 10.1.2.3}, {@code ::1}) and CIDR ranges
 * ({@code 10.0.0.0/8}, {@code fd00::/8}); IPv4 only in dotted-decimal form without leading zeros,
 * so that no entry means something other than it seems.
 */
public final class CallbackAllowlist {

    /** Resolves a host to the addresses a connection could go to. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** Why a callback URL is refused; the message is meant for the worker's operator. */
    public static final class Refused extends Exception {

        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * A checked callback: connect to one of {@code addresses} (each one allowed), and speak to
     * {@code host} (the Host header, TLS server name and certificate check).
     */
    public record Target(
            String scheme,
            String host,
            int port,
            boolean defaultPort,
            String pathAndQuery,
            List<InetAddress> addresses) {

        public boolean tls() {
            return scheme.equals("https");
        }

        /** The Host header: the URL's host (bracketed if IPv6) and its port unless the scheme's default. */
        public String hostHeader() {
            String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return defaultPort ? h : h + ":" + port;
        }
    }

    private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Set<String> SCHEMES = Set.of("http", "https");

    private final List<String> names;
    private final List<Network> networks;

    private CallbackAllowlist(List<String> names, List<Network> networks) {
        this.names = List.copyOf(names);
        this.networks = List.copyOf(networks);
    }

    /** Parses the comma-separated setting; blank means nothing is allowed (push is off). */
    public static CallbackAllowlist parse(String spec) {
        List<String> names = new ArrayList<>();
        List<Network> networks = new ArrayList<>();
        if (spec != null) {
            for (String raw : spec.split(",")) {
                String entry = raw.trim().toLowerCase(Locale.ROOT);
                if (entry.isEmpty()) {
                    continue;
                }
                if (entry.contains("/")
                        || entry.contains(":")
                        || IPV4.matcher(entry).matches()) {
                    networks.add(Network.parse(entry));
                } else if (isHostName(trimDot(entry))) {
                    names.add(trimDot(entry));
                } else {
                    throw new IllegalArgumentException("'" + raw.trim()
                            + "' is not a host name, an IP address or a CIDR range (host:port is not supported)");
                }
            }
        }
        return new CallbackAllowlist(names, networks);
    }

    public boolean isEmpty() {
        return names.isEmpty() && networks.isEmpty();
    }

    /** The target of an allowed callback URL, or why it is refused. */
    public Target check(String url, Resolver resolver) throws Refused {
        if (isEmpty()) {
            throw new Refused("push dispatch is disabled on this server (fairqueue.push.allowed-hosts is empty)");
        }
        URI uri = parseUrl(url);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String host = trimDot(stripBrackets(uri.getHost()).toLowerCase(Locale.ROOT));
        boolean defaultPort = uri.getPort() == -1;
        int port = defaultPort ? (scheme.equals("https") ? 443 : 80) : uri.getPort();
        InetAddress[] resolved;
        try {
            resolved = resolver.resolve(host);
        } catch (UnknownHostException | SecurityException e) {
            throw new Refused("host '" + host + "' does not resolve");
        }
        if (resolved == null || resolved.length == 0) {
            throw new Refused("host '" + host + "' does not resolve");
        }
        boolean named = names.contains(host);
        for (InetAddress a : resolved) {
            if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
                throw new Refused("host '" + host + "' resolves to " + a.getHostAddress()
                        + ", which is never a callback address");
            }
            if (!named && networks.stream().noneMatch(n -> n.contains(a))) {
                throw new Refused("host '" + host + "'"
                        + (isLiteral(host, a) ? "" : " resolves to " + a.getHostAddress() + ", which")
                        + " is not in fairqueue.push.allowed-hosts");
            }
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String pathAndQuery = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        return new Target(scheme, host, port, defaultPort, pathAndQuery, List.of(resolved));
    }

    /** The URL's form alone (no allowlist, no resolution): scheme, no user information, a host, a port. */
    static URI parseUrl(String url) throws Refused {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Refused("is not a valid URL: " + e.getReason());
        }
        if (uri.getScheme() == null || !SCHEMES.contains(uri.getScheme().toLowerCase(Locale.ROOT)) || uri.isOpaque()) {
            throw new Refused("must be an absolute http:// or https:// URL");
        }
        if (uri.getRawUserInfo() != null) {
            throw new Refused("must not contain user information (user@host)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new Refused("must name a valid host");
        }
        if (uri.getRawFragment() != null) {
            throw new Refused("must not contain a fragment (#...)");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new Refused("port must be between 1 and 65535");
        }
        return uri;
    }

    private static boolean isLiteral(String host, InetAddress a) {
        return host.equals(a.getHostAddress())
                || host.indexOf(':') >= 0
                || IPV4.matcher(host).matches();
    }

    private static boolean isHostName(String s) {
        if (s.isEmpty() || s.length() > 253) {
            return false;
        }
        String[] labels = s.split("\\.", -1);
        for (String l : labels) {
            if (!LABEL.matcher(l).matches()) {
                return false;
            }
        }
        return !labels[labels.length - 1].chars().allMatch(Character::isDigit); // 2130706433, 1.2.3.04: not names
    }

    private static String trimDot(String s) {
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** An address range; an IPv4 range also written as IPv4-mapped IPv6 ({@code ::ffff:10.0.0.0/104}). */
    record Network(byte[] address, int prefix) {

        static Network parse(String entry) {
            int slash = entry.indexOf('/');
            String literal = slash < 0 ? entry : entry.substring(0, slash);
            InetAddress a = literal(literal, entry);
            int bits = a.getAddress().length * 8;
            int prefix = bits;
            if (slash >= 0) {
                String p = entry.substring(slash + 1);
                if (!p.matches("[0-9]{1,3}")) {
                    throw new IllegalArgumentException("'" + entry + "' has no valid prefix length");
                }
                prefix = Integer.parseInt(p);
                if (literal.indexOf(':') >= 0 && a instanceof Inet4Address) {
                    prefix -= 96; // ::ffff:a.b.c.d/n: the JDK already made an IPv4 address of it
                }
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("'" + entry + "' has a prefix length outside 0.." + bits);
                }
            }
            Network n = new Network(a.getAddress(), prefix);
            if (!n.contains(a) || !java.util.Arrays.equals(n.masked(a.getAddress()), a.getAddress())) {
                throw new IllegalArgumentException("'" + entry + "' has bits set past its prefix length");
            }
            return n;
        }

        private static InetAddress literal(String literal, String entry) {
            // only the characters of a literal: InetAddress would look anything else up by name
            if (literal.indexOf(':') >= 0
                    ? !literal.matches("[0-9a-f:.]+")
                    : !IPV4.matcher(literal).matches()) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range"
                        + " (IPv4 in dotted-decimal form without leading zeros)");
            }
            try {
                return InetAddress.getByName(literal); // a literal: no name lookup
            } catch (UnknownHostException | IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range");
            }
        }

        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            return b.length == address.length && java.util.Arrays.equals(masked(b), masked(address));
        }

        private byte[] masked(byte[] b) {
            byte[] m = b.clone();
            for (int i = 0; i < m.length; i++) {
                int keep = Math.max(0, Math.min(8, prefix - i * 8));
                m[i] &= (byte) (0xff << (8 - keep));
            }
            return m;
        }
    }
}
