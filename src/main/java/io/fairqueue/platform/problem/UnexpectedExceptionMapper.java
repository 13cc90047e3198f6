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
 * optimistic-lock race is a 409; no database connection to be had is a 503
 * ({@link DatabaseUnavailable}); anything else is a 500 whose cause is logged.
 */
@Provider
public class UnexpectedExceptionMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = Logger.getLogger(UnexpectedExceptionMapper.class.getName());

    /** Deadlock, serialization failure, lock not available: the client may simply retry. */
    static final java.util.Set<String> RETRYABLE_SQL_STATES = java.util.Set.of("40P01", "40001", "55P03");

    @Override
    public Response toResponse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProblemException p) {
                return p.getResponse();
            }
            if (t instanceof OptimisticLockException || t instanceof PessimisticLockException
                    || t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                            && RETRYABLE_SQL_STATES.contains(sql.getSQLState())) {
                return ProblemException.conflict("concurrent-update",
                        "the resource was changed by another request at the same time; retry").getResponse();
            }
            if (!(t instanceof EJBException) && t instanceof WebApplicationException w
                    && w.getResponse().getStatus() < 500) {
                int status = w.getResponse().getStatus();
                String title = Response.Status.fromStatusCode(status) == null ? "Error"
                        : Response.Status.fromStatusCode(status).getReasonPhrase();
                return Response.status(status).type(ProblemException.MEDIA_TYPE)
                        .entity(new Problem(Problem.TYPE_BASE + "http-" + status, title, status,
                                w.getMessage(), null, null, null))
                        .build();
            }
        }
        if (DatabaseUnavailable.isCause(e)) {
            LOG.log(Level.WARNING, "No database connection; answered 503: " + e);
            return DatabaseUnavailable.response();
        }
        LOG.log(Level.SEVERE, "Unhandled error answered with 500", e);
        return Response.serverError().type(ProblemException.MEDIA_TYPE)
                .entity(new Problem(Problem.TYPE_BASE + "internal-error", "Internal Server Error", 500,
                        "an unexpected error occurred; the cause is in the server log", null, null, null))
                .build();
    }
}
