package io.fairqueue.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/**
 * A free port for the remote JMX of this test class's Payara Micro, chosen (by
 * {@link JmxPortExtension}) before Arquillian reads {@code arquillian.xml}, which substitutes
 * {@code ${fairqueue.jmxPort}}. Each test class
 * runs in its own JVM (failsafe {@code reuseForks=false}), so the previous class's server, which
 * exits a few seconds after its tests, never holds this port.
 */
public final class JmxPort {

    public static final String PROPERTY = "fairqueue.jmxPort";

    private JmxPort() {}

    public static synchronized int ensure() {
        String set = System.getProperty(PROPERTY);
        if (set != null) {
            return Integer.parseInt(set);
        }
        try (ServerSocket s = new ServerSocket(0)) {
            System.setProperty(PROPERTY, String.valueOf(s.getLocalPort()));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String url() {
        return "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + ensure() + "/jmxrmi";
    }
}
