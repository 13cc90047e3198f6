package io.fairqueue.client;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.Optional;

/**
 * An error answered by FairQueue as an RFC 9457 problem document ({@code application/problem+json}),
 * or a transport failure ({@link #status()} 0). Carries the problem's stable {@link #type()}, its
 * HTTP {@link #status()}, and {@link #field()} for bad input, so callers branch on data rather than
 * on message text. Subclasses name the statuses a caller typically handles.
 */
public class FairQueueException extends RuntimeException {

    /** The prefix of every FairQueue problem type. */
    public static final String TYPE_PREFIX = "https://fairqueue.io/problems/";

    private final int status;
    private final String type;
    private final String title;
    private final String detail;
    private final String field;
    private final String currentState;
    private final transient JsonObject problem;

    /** An error from a problem document (any member may be missing when the server sent none). */
    public FairQueueException(int status, JsonObject problem) {
        super(message(status, problem));
        this.status = status;
        this.problem = problem;
        this.type = string(problem, "type");
        this.title = string(problem, "title");
        this.detail = string(problem, "detail");
        this.field = string(problem, "field");
        this.currentState = string(problem, "currentState");
    }

    /** A failure without an answer (connection refused, timeout): status 0. */
    public FairQueueException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.problem = null;
        this.type = null;
        this.title = null;
        this.detail = message;
        this.field = null;
        this.currentState = null;
    }

    private static String message(int status, JsonObject problem) {
        String title = string(problem, "title");
        String detail = string(problem, "detail");
        StringBuilder b = new StringBuilder("HTTP ").append(status);
        if (title != null) {
            b.append(' ').append(title);
        }
        if (detail != null) {
            b.append(": ").append(detail);
        }
        return b.toString();
    }

    private static String string(JsonObject o, String name) {
        if (o == null || !o.containsKey(name) || o.isNull(name)) {
            return null;
        }
        JsonValue v = o.get(name);
        return v instanceof JsonString s ? s.getString() : v.toString();
    }

    /** The HTTP status, or 0 when no answer came (transport failure). */
    public int status() {
        return status;
    }

    /** The full problem type URI, e.g. {@code https://fairqueue.io/problems/stale-lease}; null without one. */
    public String type() {
        return type;
    }

    /** The last segment of {@link #type()} ({@code stale-lease}); null without a type. */
    public String typeName() {
        return type == null ? null : type.substring(type.lastIndexOf('/') + 1);
    }

    /** The problem's short title. */
    public String title() {
        return title;
    }

    /** The problem's human-readable detail. */
    public String detail() {
        return detail;
    }

    /** The request member, query parameter or header to blame (400 and 413 only). */
    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    /** The job's status when the problem is about its state (409 only). */
    public Optional<String> currentState() {
        return Optional.ofNullable(currentState);
    }

    /** The problem document as received (empty when there was none). */
    public Optional<JsonObject> problem() {
        return Optional.ofNullable(problem);
    }
}
