package io.fairqueue.it.support;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Registered before ArquillianExtension: picks this JVM's JMX port before Arquillian reads its configuration. */
public class JmxPortExtension implements BeforeAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        JmxPort.ensure();
    }
}
