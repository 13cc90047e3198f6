package io.fairqueue.platform.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class ErrorPageServletTest {

    @Test
    void the_containers_503_is_no_fault_and_every_other_5xx_is_logged_as_one() {
        assertEquals(Level.INFO, ErrorPageServlet.logLevel(503), "a redeploy's requests meanwhile");
        assertEquals(Level.SEVERE, ErrorPageServlet.logLevel(500));
        assertEquals(Level.SEVERE, ErrorPageServlet.logLevel(502));
        assertNull(ErrorPageServlet.logLevel(404));
        assertNull(ErrorPageServlet.logLevel(400));
    }

    @Test
    void the_containers_503_says_to_try_again_and_a_500_where_the_cause_is() {
        assertEquals("the application is starting or stopping; try again shortly", ErrorPageServlet.detail(503));
        assertEquals("an unexpected error occurred; the cause is in the server log", ErrorPageServlet.detail(500));
    }
}
