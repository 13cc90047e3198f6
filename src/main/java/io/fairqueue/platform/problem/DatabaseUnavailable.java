package io.fairqueue.platform.problem;

import jakarta.resource.ResourceException;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;

/**
 * Recognises "no database connection to be had" among an exception's causes: the pool's wait for
 * a free connection expired ({@code fairqueue.db.pool-wait-millis}), or PostgreSQL refused or lost
 * the connection (SQLSTATE class 08, 53 too many connections, 57P01-57P03 shutting down or
 * starting). Such a failure answers 503 {@code database-unavailable} with {@code Retry-After}: the
 * request changed nothing and may simply be sent again.
 */
public final class DatabaseUnavailable {

    static final String RETRY_AFTER_SECONDS = "2";

    private DatabaseUnavailable() {
    }

    public static boolean isCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ResourceException) {
                return true; // the connector layer: the pool could not hand out a connection
            }
            if (t instanceof SQLException sql && unavailable(sql.getSQLState())) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    static boolean unavailable(String state) {
        return state != null && (state.startsWith("08") || state.startsWith("53")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"));
    }

    public static Response response() {
        return Response.status(503).type(ProblemException.MEDIA_TYPE).header("Retry-After", RETRY_AFTER_SECONDS)
                .entity(new Problem(Problem.TYPE_BASE + "database-unavailable", "Service Unavailable", 503,
                        "no database connection is available right now; nothing was changed, retry shortly",
                        null, null, null))
                .build();
    }
}
