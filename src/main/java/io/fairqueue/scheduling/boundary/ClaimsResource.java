package io.fairqueue.scheduling.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.security.control.Caller;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** {@code POST /claims}: the next eligible jobs with their lease tokens; {@code []} when none. */
@Path("claims")
@RequestScoped
@RequiresRole({Role.WORKER, Role.ADMIN})
@Produces(MediaType.APPLICATION_JSON)
public class ClaimsResource {

    @Inject
    Caller caller;

    @Inject
    ClaimService claims;

    @POST
    public List<JobView> claim(ClaimRequest request) {
        return claims.claim(caller, body(request));
    }
}
