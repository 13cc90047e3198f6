package io.fairqueue.it.support;

import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Black-box HTTP tests: Arquillian starts one Payara Micro per test class with the WAR Maven
 * built (plus the movable clock) against PostgreSQL; tests talk to it as an admin and as
 * users they create.
 */
@ExtendWith({JmxPortExtension.class, ArquillianExtension.class})
@RunAsClient
public abstract class ApiTestBase {

    @Deployment(testable = false)
    public static WebArchive deployment() {
        return Deployments.fairQueue();
    }

    @ArquillianResource
    protected URL url;

    protected Api admin;
    protected Fixtures fx;

    /** Moves the server's test clock forward; answers the server's new now. */
    protected java.time.OffsetDateTime advance(long seconds) {
        return java.time.OffsetDateTime.parse(admin.post("test/clock/advance?seconds=" + seconds)
                .expect(200)
                .json()
                .getString("now"));
    }

    @BeforeEach
    void connect() {
        admin = Api.admin(url);
        fx = new Fixtures(admin);
    }
}
