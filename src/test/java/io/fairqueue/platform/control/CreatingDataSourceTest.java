package io.fairqueue.platform.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The pool's sessions end a transaction left idle by a stuck node (see CreatingDataSource). */
class CreatingDataSourceTest {

    @Test
    void every_session_bounds_its_idle_time_in_a_transaction_whatever_url_the_container_sets() {
        CreatingDataSource ds = new CreatingDataSource();
        ds.setURL("jdbc:postgresql://127.0.0.1:5432/fairqueue?ApplicationName=fairqueue");
        ds.setUser("postgres");
        assertEquals("-c idle_in_transaction_session_timeout=5s", ds.getOptions());
        assertEquals("fairqueue", ds.getApplicationName());
        assertEquals("fairqueue", ds.getDatabaseName());
    }
}
