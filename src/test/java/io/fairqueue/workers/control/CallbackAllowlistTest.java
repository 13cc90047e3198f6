package io.fairqueue.workers.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallbackAllowlistTest {

    /** Names from this table; numeric forms as the JDK reads them (no name is ever looked up). */
    static final Map<String, List<String>> DNS = Map.of(
            "workers.internal", List.of("10.9.8.7"),
            "evil.example", List.of("169.254.169.254"),
            "half.example", List.of("10.1.1.1", "192.168.1.1"),
            "six.example", List.of("fd00::17"),
            "wildcard.example", List.of("0.0.0.0"),
            "localhost", List.of("127.0.0.1", "::1"));

    static InetAddress[] resolve(String host) throws UnknownHostException {
        List<String> addresses = DNS.get(host);
        if (addresses != null) {
            InetAddress[] out = new InetAddress[addresses.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = InetAddress.getByName(addresses.get(i));
            }
            return out;
        }
        if (!host.isEmpty()
                && (Character.isDigit(host.charAt(0)) || host.contains(":"))
                && host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return InetAddress.getAllByName(host); // a numeric form: the JDK parses it, no lookup
        }
        throw new UnknownHostException(host);
    }

    static final CallbackAllowlist LIST =
            CallbackAllowlist.parse(" 127.0.0.1/32, ::1 ,Workers.Internal., 10.0.0.0/8,fd00::/8,, ");

    static CallbackAllowlist.Target allowed(String url) throws CallbackAllowlist.Refused {
        return LIST.check(url, CallbackAllowlistTest::resolve);
    }

    static String refused(String url) {
        return assertThrows(CallbackAllowlist.Refused.class, () -> allowed(url), url)
                .getMessage();
    }

    @Test
    void loopback_and_listed_networks_are_allowed_on_any_port() throws Exception {
        CallbackAllowlist.Target t = allowed("http://127.0.0.1:8123/jobs?x=1");
        assertEquals("127.0.0.1", t.host());
        assertEquals(8123, t.port());
        assertEquals("/jobs?x=1", t.pathAndQuery());
        assertEquals("127.0.0.1:8123", t.hostHeader());
        assertEquals(80, allowed("http://10.200.3.4").port());
        assertEquals("/", allowed("http://10.200.3.4").pathAndQuery());
        assertEquals(443, allowed("https://10.200.3.4/").port());
        assertEquals("[::1]:9", allowed("http://[::1]:9/").hostHeader());
        allowed("https://[fd12:3456::1]/push");
    }

    @Test
    void cidr_boundaries_are_exact_for_v4_and_v6() {
        CallbackAllowlist l = CallbackAllowlist.parse("192.168.4.0/22,2001:db8:0:100::/56");
        Fixture ok = url -> l.check(url, CallbackAllowlistTest::resolve);
        assertAllowed(
                ok,
                "http://192.168.4.0/",
                "http://192.168.7.255/",
                "http://[2001:db8:0:1ff:ffff::1]/",
                "http://[2001:db8:0:100::]/");
        assertRefused(
                ok,
                "http://192.168.3.255/",
                "http://192.168.8.0/",
                "http://[2001:db8:0:200::1]/",
                "http://[2001:db8:0:ff::1]/");
        CallbackAllowlist all = CallbackAllowlist.parse("0.0.0.0/0");
        Fixture any = url -> all.check(url, CallbackAllowlistTest::resolve);
        assertAllowed(any, "http://8.8.8.8/", "http://127.0.0.1/");
        assertRefused(any, "http://[2001:db8::1]/"); // an IPv4 range says nothing about IPv6
    }

    @Test
    void a_host_name_entry_matches_the_name_in_any_case_with_or_without_its_trailing_dot() throws Exception {
        assertEquals(
                "workers.internal", allowed("http://WORKERS.Internal:8080/x").host());
        assertEquals("workers.internal", allowed("https://workers.internal./x").host());
        assertEquals(
                "workers.internal:8080",
                allowed("http://workers.internal:8080/x").hostHeader());
        assertTrue(refused("http://api.workers.internal/").contains("does not resolve")); // no suffix match
        CallbackAllowlist l = CallbackAllowlist.parse("localhost");
        l.check("http://LocalHost/", CallbackAllowlistTest::resolve); // both its addresses are local
    }

    @Test
    void a_name_is_allowed_only_when_every_address_it_resolves_to_is() {
        assertTrue(refused("http://evil.example/").contains("169.254.169.254"));
        assertTrue(refused("http://half.example/").contains("192.168.1.1"), "one bad address is enough");
        assertTrue(refused("http://nowhere.example/").contains("does not resolve"));
        CallbackAllowlist l = CallbackAllowlist.parse("fd00::/8");
        assertEquals(
                "six.example",
                assertDoesNotThrowTarget(() -> l.check("http://six.example/", CallbackAllowlistTest::resolve))
                        .host());
    }

    @Test
    void user_information_cannot_smuggle_another_host_in() {
        assertTrue(refused("http://127.0.0.1@evil.example/").contains("user information"));
        assertTrue(refused("http://workers.internal:80@evil.example/").contains("user information"));
        assertTrue(refused("http://evil.example@127.0.0.1/").contains("user information"));
        assertTrue(refused("http://user:pw@127.0.0.1/").contains("user information"));
        assertTrue(refused("http://127.0.0.1%40evil.example/").contains("valid host"));
        assertTrue(refused("http://127.0.0.1\\@evil.example/").contains("not a valid URL"));
    }

    @Test
    void only_http_and_https_with_a_host_and_a_real_port() {
        assertTrue(refused("ftp://127.0.0.1/").contains("http:// or https://"));
        assertTrue(refused("file:///etc/passwd").contains("http:// or https://"));
        assertTrue(refused("gopher://127.0.0.1:70/").contains("http:// or https://"));
        assertTrue(refused("/relative/path").contains("http:// or https://"));
        assertTrue(refused("http:127.0.0.1").contains("http:// or https://"));
        assertTrue(refused("http:///jobs").contains("valid host"));
        assertTrue(refused("http://127.0.0.1:0/").contains("port"));
        assertTrue(refused("http://127.0.0.1:70000/").contains("port"));
        assertTrue(refused("http://127.0.0.1/#frag").contains("fragment"));
        assertEquals(
                "https",
                assertDoesNotThrowTarget(() -> allowed("HTTPS://127.0.0.1/")).scheme());
    }

    @Test
    void numeric_host_forms_are_judged_by_the_address_the_jdk_makes_of_them() throws Exception {
        assertEquals(
                "127.0.0.1", allowed("http://2130706433/").addresses().get(0).getHostAddress()); // decimal
        assertTrue(refused("http://127.1/").contains("valid host")); // java.net.URI takes no short forms
        allowed("http://[::ffff:127.0.0.1]/"); // IPv4-mapped IPv6 is the IPv4 address
        allowed("http://[::ffff:a00:1]/"); // 10.0.0.1
        assertTrue(refused("http://[::ffff:169.254.169.254]/").contains("not in"));
        assertTrue(refused("http://2852039166/").contains("169.254.169.254")); // decimal metadata address
        // the JDK reads 0177.0.0.1 as decimal 177.0.0.1, not octal loopback: judged as such
        assertTrue(refused("http://0177.0.0.1/").contains("177.0.0.1"));
        assertTrue(refused("http://[::127.0.0.1]/").contains("not in")); // IPv4-compatible: IPv6, not listed
    }

    @Test
    void the_unspecified_and_multicast_addresses_are_never_allowed() {
        CallbackAllowlist all = CallbackAllowlist.parse("0.0.0.0/0,::/0,wildcard.example");
        Fixture any = url -> all.check(url, CallbackAllowlistTest::resolve);
        assertRefused(
                any,
                "http://0.0.0.0:8080/",
                "http://0/",
                "http://[::]/",
                "http://224.0.0.1/",
                "http://[ff02::1]/",
                "http://wildcard.example/");
    }

    @Test
    void an_empty_list_allows_nothing() {
        for (String spec : new String[] {null, "", " , "}) {
            CallbackAllowlist l = CallbackAllowlist.parse(spec);
            assertTrue(l.isEmpty());
            String why = assertThrows(
                            CallbackAllowlist.Refused.class,
                            () -> l.check("http://127.0.0.1/", CallbackAllowlistTest::resolve))
                    .getMessage();
            assertTrue(why.contains("disabled"), why);
        }
    }

    @Test
    void invalid_entries_are_rejected_with_their_text() {
        for (String bad : new String[] {
            "10.0.0.0/33",
            "10.0.0.1/8",
            "::1/129",
            "0177.0.0.1",
            "10.0.0.0/x",
            "workers.internal:8080",
            "*.internal",
            "http://x",
            "2130706433",
            "300.1.1.1",
            "host name",
            "fd00::/8/9",
            "::ffff:10.0.0.0/95",
            "1.2.3.04"
        }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> CallbackAllowlist.parse("::1," + bad), bad);
            assertTrue(e.getMessage().contains(bad.substring(0, Math.min(bad.length(), 6))), e.getMessage());
        }
        // IPv4-mapped IPv6 ranges are their IPv4 range
        CallbackAllowlist mapped = CallbackAllowlist.parse("::ffff:10.0.0.0/104");
        Fixture m = url -> mapped.check(url, CallbackAllowlistTest::resolve);
        assertAllowed(m, "http://10.255.0.1/");
        assertRefused(m, "http://11.0.0.1/");
    }

    interface Fixture {
        CallbackAllowlist.Target check(String url) throws CallbackAllowlist.Refused;
    }

    interface Checked {
        CallbackAllowlist.Target get() throws CallbackAllowlist.Refused;
    }

    static CallbackAllowlist.Target assertDoesNotThrowTarget(Checked c) {
        try {
            return c.get();
        } catch (CallbackAllowlist.Refused e) {
            throw new AssertionError("refused: " + e.getMessage(), e);
        }
    }

    static void assertAllowed(Fixture f, String... urls) {
        for (String url : urls) {
            assertDoesNotThrowTarget(() -> f.check(url));
        }
    }

    static void assertRefused(Fixture f, String... urls) {
        for (String url : urls) {
            assertThrows(CallbackAllowlist.Refused.class, () -> f.check(url), url);
        }
    }
}
