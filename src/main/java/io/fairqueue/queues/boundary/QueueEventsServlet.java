package io.fairqueue.queues.boundary;

import io.fairqueue.platform.boundary.ErrorPageServlet;
import io.fairqueue.platform.problem.Outages;
import io.fairqueue.platform.problem.Problem;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.platform.problem.UnexpectedExceptionMapper;
import io.fairqueue.queues.control.QueueEvents;
import io.fairqueue.security.boundary.BearerTokenMechanism;
import io.fairqueue.security.control.Caller;
import io.fairqueue.security.control.Tokens;
import jakarta.inject.Inject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET /api/v1/queue/events}: the live queue as server-sent events ({@link QueueEvents}).
 * A servlet rather than a JAX-RS resource so that the stream is written without blocking and a
 * client that stops reading can be dropped instead of buffered (JAX-RS's SSE sink blocks or
 * buffers). Authentication is the API's: {@code Authorization: Bearer}, never a token in the URL
 * (a browser reads the stream with {@code fetch}); every role may listen, a USER hears of its own
 * jobs only. Errors are problem documents, as everywhere.
 */
@WebServlet(urlPatterns = "/api/v1/queue/events", asyncSupported = true)
public class QueueEventsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient QueueEvents events;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Caller caller = (Caller) request.getAttribute(Caller.REQUEST_ATTRIBUTE);
        if (caller == null) {
            if (request.getAttribute(BearerTokenMechanism.DATABASE_UNAVAILABLE) != null) {
                ErrorPageServlet.write(response, Outages.unavailable().problem());
            } else {
                response.setHeader("WWW-Authenticate", "Bearer realm=\"fairqueue\"");
                ErrorPageServlet.write(response, ProblemException.unauthorized().problem());
            }
            return;
        }
        String token = request.getHeader("Authorization").substring(7).trim();
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Accel-Buffering", "no");
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        try {
            events.open(Tokens.hash(token), caller, async);
        } catch (RuntimeException e) { // the token's cap (429), an outage (503), else a logged 500
            ErrorPageServlet.write(
                    response, UnexpectedExceptionMapper.problemFor(e).problem());
            async.complete();
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String method = request.getMethod();
        if ("GET".equals(method)) {
            doGet(request, response);
            return;
        }
        response.setHeader("Allow", "GET");
        ErrorPageServlet.write(
                response,
                new Problem(
                        Problem.TYPE_BASE + "http-405",
                        "Method Not Allowed",
                        405,
                        "the queue events are read with GET",
                        null,
                        null,
                        null));
    }
}
