package io.fairqueue.platform.problem;

import jakarta.ejb.ApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * A client error that leaves as a problem document. Thrown from boundaries, it rolls the
 * transaction back, so a rejected request never half-applies.
 */
@ApplicationException(rollback = true)
public class ProblemException extends RuntimeException {

    public static final String MEDIA_TYPE = "application/problem+json";

    private final Problem problem;

    public ProblemException(Problem problem) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
    }

    public Response getResponse() {
        Response.ResponseBuilder r =
                Response.status(problem.status()).type(MEDIA_TYPE).entity(problem);
        if (problem.status() == 503) {
            r.header("Retry-After", Outages.RETRY_AFTER_SECONDS);
        }
        return r.build();
    }

    public Problem problem() {
        return problem;
    }

    public static ProblemException badRequest(String field, String detail) {
        return new ProblemException(new Problem(
                Problem.TYPE_BASE + "invalid-input", "Invalid input", 400, field + ": " + detail, field, null, null));
    }

    public static ProblemException tooLarge(String field, String detail) {
        return new ProblemException(new Problem(
                Problem.TYPE_BASE + "payload-too-large",
                "Payload too large",
                413,
                field + ": " + detail,
                field,
                null,
                null));
    }

    public static ProblemException notFound(String what, Object id) {
        return new ProblemException(new Problem(
                Problem.TYPE_BASE + "not-found",
                "Not found",
                404,
                what + " '" + id + "' does not exist",
                null,
                null,
                null));
    }

    public static ProblemException conflict(String type, String detail) {
        return new ProblemException(new Problem(Problem.TYPE_BASE + type, "Conflict", 409, detail, null, null, null));
    }

    public static ProblemException stateConflict(
            String type, String detail, String currentState, List<String> allowedTargets) {
        return new ProblemException(
                new Problem(Problem.TYPE_BASE + type, "Conflict", 409, detail, null, currentState, allowedTargets));
    }

    public static ProblemException unauthorized() {
        return new ProblemException(new Problem(
                Problem.TYPE_BASE + "unauthorized",
                "Unauthorized",
                401,
                "a valid 'Authorization: Bearer <token>' header is required",
                null,
                null,
                null));
    }

    public static ProblemException forbidden(String detail) {
        return new ProblemException(
                new Problem(Problem.TYPE_BASE + "forbidden", "Forbidden", 403, detail, null, null, null));
    }
}
