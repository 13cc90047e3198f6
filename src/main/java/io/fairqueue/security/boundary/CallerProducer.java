package io.fairqueue.security.boundary;

import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.control.Caller;
import jakarta.enterprise.context.RequestScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;

/** Makes the request's {@link Caller} injectable into resources (never into pooled EJBs). */
@RequestScoped
public class CallerProducer {

    @Inject
    HttpServletRequest request;

    @Produces
    Caller caller() {
        Caller caller = (Caller) request.getAttribute(Caller.REQUEST_ATTRIBUTE);
        if (caller == null) {
            throw ProblemException.unauthorized();
        }
        return caller;
    }
}
