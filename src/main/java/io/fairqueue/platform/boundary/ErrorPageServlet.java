package io.fairqueue.platform.boundary;

import io.fairqueue.platform.problem.Outages;
import io.fairqueue.platform.problem.Problem;
import io.fairqueue.platform.problem.ProblemException;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The container's error page (web.xml): an error that leaves the servlet container without passing
 * through a JAX-RS exception mapper (an unknown path outside the API, a filter that threw, a
 * request the container itself refused) is answered as a problem document too, never as the
 * server's HTML page. A database outage found here is a 503, anything else at 500 is logged with
 * its cause. The container's own 503 (the application is starting or stopping, as in a redeploy)
 * is a 503 with Retry-After, logged at INFO: it is no fault.
 */
@WebServlet(ErrorPageServlet.PATH)
public class ErrorPageServlet extends HttpServlet {

    static final String PATH = "/problem";

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(ErrorPageServlet.class.getName());

    /** Made on first use, not when the class loads. */
    private static final class Json {
        static final Jsonb JSONB = JsonbBuilder.create();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Throwable error = (Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : 404;
        Problem problem;
        if (error != null && Outages.isUnavailable(error)) {
            problem = Outages.unavailable().problem();
        } else {
            Level level = logLevel(status);
            if (level != null) {
                LOG.log(
                        level,
                        "Error answered with " + status + " by the container for "
                                + request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI),
                        error);
            }
            problem = new Problem(
                    Problem.TYPE_BASE + (status >= 500 && status != 503 ? "internal-error" : "http-" + status),
                    reason(status),
                    status,
                    detail(status),
                    null,
                    null,
                    null);
        }
        write(response, problem);
    }

    /** Answers a problem document from a servlet (the JAX-RS resources throw ProblemException instead). */
    public static void write(HttpServletResponse response, Problem problem) throws IOException {
        response.resetBuffer();
        response.setStatus(problem.status());
        if (problem.status() == 503) {
            response.setHeader("Retry-After", String.valueOf(Outages.RETRY_AFTER_SECONDS));
        }
        response.setContentType(ProblemException.MEDIA_TYPE);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getWriter().write(Json.JSONB.toJson(problem));
    }

    private static String reason(int status) {
        jakarta.ws.rs.core.Response.Status s = jakarta.ws.rs.core.Response.Status.fromStatusCode(status);
        return s == null ? "Error" : s.getReasonPhrase();
    }

    /**
     * How an error the container answers is logged: any 5xx at SEVERE with its cause, except the
     * container's own 503 (the application is starting or stopping: a redeploy under load sends
     * it to the requests that arrive meanwhile), which is no fault and goes to INFO; below 500
     * not at all (the client's mistake, answered as such).
     */
    static Level logLevel(int status) {
        return status == 503 ? Level.INFO : status >= 500 ? Level.SEVERE : null;
    }

    static String detail(int status) {
        return switch (status) {
            case 503 -> "the application is starting or stopping; try again shortly";
            case 400 -> "the request could not be read (a malformed URL, header or body)";
            case 404 -> "nothing here; the API is under /api/v1 and described at /openapi";
            case 405 -> "this method is not offered here";
            default -> status >= 500 ? "an unexpected error occurred; the cause is in the server log" : reason(status);
        };
    }
}
