package io.fairqueue.platform.problem;

import jakarta.ejb.EJBException;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.PessimisticLockException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Everything that is not already a problem: JAX-RS errors (404 for unknown paths, 405, 415...)
 * become problem documents; exceptions wrapped by the EJB container are unwrapped; a lost
 * optimistic-lock race is a 409; an outage of the database is a 503 ({@link Outages}); anything
 * else is a 500 whose cause is logged.
 */
@Provider
public class UnexpectedExceptionMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = Logger.getLogger(UnexpectedExceptionMapper.class.getName());

    /** Deadlock, serialization failure, lock not available: the client may simply retry. */
    static final java.util.Set<String> RETRYABLE_SQL_STATES = java.util.Set.of("40P01", "40001", "55P03");

    @Override
    public Response toResponse(Throwable e) {
        return problemFor(e).getResponse();
    }

    /**
     * The problem that answers {@code e}; a 500 is logged with its cause. Also for answers written
     * outside a mapper (a servlet, a claim reporting beside committed outcomes).
     */
    public static ProblemException problemFor(Throwable e) {
        if (Outages.isUnavailable(e)) {
            LOG.log(Level.WARNING, "Database unavailable, answered 503: {0}", rootMessage(e));
            return Outages.unavailable();
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProblemException p) {
                return p;
            }
            if (t instanceof OptimisticLockException
                    || t instanceof PessimisticLockException
                    || t instanceof java.sql.SQLException sql
                            && sql.getSQLState() != null
                            && RETRYABLE_SQL_STATES.contains(sql.getSQLState())) {
                return ProblemException.conflict(
                        "concurrent-update", "the resource was changed by another request at the same time; retry");
            }
            if (!(t instanceof EJBException)
                    && t instanceof WebApplicationException w
                    && w.getResponse().getStatus() < 500) {
                int status = w.getResponse().getStatus();
                Response.Status known = Response.Status.fromStatusCode(status);
                return new ProblemException(new Problem(
                        Problem.TYPE_BASE + "http-" + status,
                        known == null ? "Error" : known.getReasonPhrase(),
                        status,
                        w.getMessage(),
                        null,
                        null,
                        null));
            }
        }
        LOG.log(Level.SEVERE, "Unhandled error answered with 500", e);
        return new ProblemException(new Problem(
                Problem.TYPE_BASE + "internal-error",
                "Internal Server Error",
                500,
                "an unexpected error occurred; the cause is in the server log",
                null,
                null,
                null));
    }

    /** The innermost message: the useful line of a five-deep wrapper chain. */
    public static String rootMessage(Throwable e) {
        Throwable root = e;
        for (int i = 0; i < 32 && root.getCause() != null && root.getCause() != root; i++) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
