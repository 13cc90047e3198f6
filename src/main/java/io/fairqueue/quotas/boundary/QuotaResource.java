package io.fairqueue.quotas.boundary;

import io.fairqueue.platform.json.Params;
import io.fairqueue.security.control.Caller;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /quota/status[?userId=]}: one's own usage; an ADMIN may ask for anyone's. */
@Path("quota")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class QuotaResource {

    @Inject
    Caller caller;

    @Inject
    QuotaService quotas;

    @GET
    @Path("status")
    public QuotaView.Status status(@QueryParam("userId") String userId) {
        return quotas.status(caller, Params.text("userId", userId));
    }
}
