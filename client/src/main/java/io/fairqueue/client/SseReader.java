package io.fairqueue.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} (the WHATWG server-sent events format) line by line and hands
 * each complete event to a consumer: {@code event:}, {@code data:} (several lines joined by
 * newlines), {@code id:}; comments ({@code : keepalive}) and {@code retry:} are skipped.
 */
final class SseReader {

    private SseReader() {}

    /** Reads until the stream ends or fails; each event with data is passed on as it completes. */
    static void read(InputStream in, Consumer<QueueEvent> sink) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String event = null;
        String id = null;
        StringBuilder data = null;
        String line;
        while ((line = r.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    sink.accept(new QueueEvent(event == null ? "message" : event, id, Http.json(data.toString())));
                }
                event = null;
                data = null;
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String name = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (name) {
                case "event" -> event = value;
                case "id" -> id = value;
                case "data" ->
                    data = data == null
                            ? new StringBuilder(value)
                            : data.append('\n').append(value);
                default -> {
                    // retry: and unknown fields are ignored
                }
            }
        }
    }
}
