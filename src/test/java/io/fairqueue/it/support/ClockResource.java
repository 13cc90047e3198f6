package io.fairqueue.it.support;

import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.Map;

/** Test deployments only: {@code POST /api/v1/test/clock/advance?seconds=N} moves {@link MovableClock}. */
@Path("test/clock")
@RequestScoped
@RequiresRole(Role.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class ClockResource {

    @POST
    @Path("advance")
    public Map<String, String> advance(@QueryParam("seconds") long seconds) {
        MovableClock.OFFSET_MILLIS.addAndGet(seconds * 1000);
        return Map.of(
                "now",
                Instant.now().plusMillis(MovableClock.OFFSET_MILLIS.get()).toString());
    }
}
