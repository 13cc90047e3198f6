package io.fairqueue.jobs.boundary;

import io.fairqueue.jobs.entity.InvalidTransitionException;
import io.fairqueue.platform.problem.ProblemException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

@Provider
public class InvalidTransitionMapper implements ExceptionMapper<InvalidTransitionException> {

    @Override
    public Response toResponse(InvalidTransitionException e) {
        return problem(e).getResponse();
    }

    static ProblemException problem(InvalidTransitionException e) {
        return ProblemException.stateConflict(
                "invalid-transition",
                e.getMessage(),
                e.from().name(),
                e.from().allowedTargets().stream().map(Enum::name).sorted().toList());
    }
}
