package io.fairqueue.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The event-stream reader: events, multi-line data, ids, comments and retry lines. */
class SseReaderTest {

    @Test
    void reads_named_events_with_ids_and_skips_comments() throws Exception {
        String text = "retry: 2000\n\n: keepalive\n\nevent: counts\nid: 41\ndata: {\"a\":\n"
                + "data: 1}\n\nevent: jobs\ndata: [{\"id\":5}]\nid: 42\n\n";
        List<QueueEvent> events = new ArrayList<>();
        SseReader.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), events::add);
        assertEquals(2, events.size());
        assertEquals("counts", events.get(0).event());
        assertEquals("41", events.get(0).id());
        assertEquals(1, events.get(0).data().asJsonObject().getInt("a"));
        assertEquals("jobs", events.get(1).event());
        assertEquals("42", events.get(1).id());
        assertEquals(5, events.get(1).data().asJsonArray().getJsonObject(0).getInt("id"));
    }
}
