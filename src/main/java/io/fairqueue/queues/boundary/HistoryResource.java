package io.fairqueue.queues.boundary;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.json.Params;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.control.HistoryQuery;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * {@code GET /admin/history?queue=&range=hour|day}: the last hour in 60 one-minute points, or the
 * last day in 288 five-minute points, of one queue or of all, ending with the last closed minute.
 */
@Path("admin/history")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class HistoryResource {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    HistoryQuery history;

    @GET
    public HistoryView get(@QueryParam("queue") String queue, @QueryParam("range") String range) {
        String q = Params.text("queue", queue);
        if (q != null && em.find(Queue.class, q) == null) {
            throw ProblemException.notFound("queue", q);
        }
        String r = Params.text("range", range);
        r = r == null ? "hour" : r.toLowerCase(Locale.ROOT);
        int bucket;
        long minutes;
        switch (r) {
            case "hour" -> {
                bucket = 60;
                minutes = 60;
            }
            case "day" -> {
                bucket = 300;
                minutes = 1440;
            }
            default -> throw ProblemException.badRequest("range", "must be hour or day");
        }
        OffsetDateTime to =
                Time.now(clock).withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES);
        if (bucket == 300) {
            to = to.minusMinutes(to.getMinute() % 5);
        }
        OffsetDateTime from = to.minusMinutes(minutes);
        return new HistoryView(q, r, bucket, from, to, history.points(q == null ? "*" : q, from, to, bucket));
    }
}
