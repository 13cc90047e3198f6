package io.fairqueue.jobs.boundary;

import static io.fairqueue.platform.json.Params.body;

import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.control.CommitAttempt;
import io.fairqueue.platform.control.CommitOutcomes;
import io.fairqueue.platform.json.Params;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.boundary.RequiresRole;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code /jobs}: submit and manage jobs, and the worker protocol on a claimed job. */
@Path("jobs")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {

    private static final Logger LOG = Logger.getLogger(JobsResource.class.getName());

    @Inject
    Caller caller;

    @Inject
    JobService jobs;

    @Inject
    JobSubmission submission;

    @Inject
    LeaseService leases;

    @Inject
    CommitOutcomes commits;

    /** 201 with the new job; 200 with the first job when the Idempotency-Key was used before. */
    @POST
    public Response submit(JobRequests.Submit request, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        String key = Params.text("Idempotency-Key", idempotencyKey);
        if (key != null && key.length() > JobRequests.MAX_IDEMPOTENCY_KEY) {
            throw ProblemException.badRequest(
                    "Idempotency-Key", "must be at most " + JobRequests.MAX_IDEMPOTENCY_KEY + " characters");
        }
        // a job that exists is never answered with an error, even when the commit's answer was lost
        CommitAttempt<JobSubmission.Created> attempt = new CommitAttempt<>();
        JobSubmission.Created s = commits.settle(attempt, () -> submission.submit(caller, body(request), key, attempt));
        JobView placed = placed(s.job());
        if (!s.created()) {
            return Response.ok(placed).header("Idempotent-Replayed", "true").build();
        }
        return Response.created(UriBuilder.fromPath("/api/v1/jobs/{id}").build(s.id()))
                .entity(placed)
                .build();
    }

    /**
     * The committed job with its placement, read in a transaction of its own (see
     * {@link JobSubmission#submit}). The job exists once the submit committed, so a failure of this
     * read (the database went away in between) must not turn the answer into an error, which a
     * client would retry into a duplicate: it answers the job as committed, without placement.
     */
    JobView placed(JobView committed) {
        try {
            return jobs.get(caller, committed.id());
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "job " + committed.id() + " was created, but its placement could not be read; "
                            + "answered without it",
                    e);
            return committed;
        }
    }

    /** 201 with every job (created, or the first job of a reused idempotencyKey), in request order. */
    @POST
    @Path("batch")
    public Response submitBatch(JobRequests.SubmitBatch request) {
        CommitAttempt<List<JobSubmission.Submitted>> attempt = new CommitAttempt<>();
        List<JobSubmission.Submitted> done =
                commits.settle(attempt, () -> submission.submitBatch(caller, body(request), attempt));
        return Response.status(Response.Status.CREATED)
                .entity(done.stream()
                        .map(s -> new BatchSubmitted(s.job(), s.created()))
                        .toList())
                .build();
    }

    public record BatchSubmitted(JobView job, boolean created) {}

    /** Starts many claimed jobs; 200 with one outcome per item (a stale lease fails its item only). */
    @POST
    @Path("start")
    @RequiresRole({Role.WORKER, Role.ADMIN})
    public List<LeaseService.ItemOutcome> startAll(JobRequests.LeaseBatch request) {
        return leases.startAll(caller, body(request).jobs());
    }

    /** Completes many running jobs; 200 with one outcome per item. */
    @POST
    @Path("complete")
    @RequiresRole({Role.WORKER, Role.ADMIN})
    public List<LeaseService.ItemOutcome> completeAll(JobRequests.CompleteBatch request) {
        return leases.completeAll(caller, body(request).jobs());
    }

    @GET
    @Path("{id}")
    public JobView get(@PathParam("id") long id) {
        return jobs.get(caller, id);
    }

    @GET
    public JobView.Page list(
            @QueryParam("status") String status,
            @BeanParam JobSearchParams search,
            @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor) {
        return jobs.list(
                caller,
                search.filter(Params.enumValue("status", status, JobStatus.class)),
                Params.intIn("limit", limit, 1, 500, 50),
                Params.text("cursor", cursor));
    }

    @POST
    @Path("{id}/pause")
    public JobView pause(@PathParam("id") long id, JobRequests.Reason request) {
        return jobs.pause(caller, id, request == null ? null : request.reason());
    }

    @POST
    @Path("{id}/resume")
    public JobView resume(@PathParam("id") long id) {
        return jobs.resume(caller, id);
    }

    @POST
    @Path("{id}/cancel")
    public JobView cancel(@PathParam("id") long id, JobRequests.Reason request) {
        return jobs.cancel(caller, id, request == null ? null : request.reason());
    }

    @GET
    @Path("{id}/transitions")
    public List<JobView.TransitionView> transitions(@PathParam("id") long id) {
        return jobs.transitions(caller, id);
    }

    /** Retry a dead-lettered job as a new job. */
    @POST
    @Path("{id}/retry")
    public Response retry(@PathParam("id") long id) {
        JobView copy = jobs.retry(caller, id);
        return Response.created(UriBuilder.fromPath("/api/v1/jobs/{id}").build(copy.id()))
                .entity(copy)
                .build();
    }

    @POST
    @Path("{id}/start")
    @RequiresRole({Role.WORKER, Role.ADMIN})
    public JobView start(@PathParam("id") long id, JobRequests.Lease request) {
        return leases.start(caller, id, body(request));
    }

    @POST
    @Path("{id}/heartbeat")
    @RequiresRole({Role.WORKER, Role.ADMIN})
    public JobView.Heartbeat heartbeat(@PathParam("id") long id, JobRequests.Lease request) {
        return leases.heartbeat(caller, id, body(request));
    }

    @POST
    @Path("{id}/complete")
    @RequiresRole({Role.WORKER, Role.ADMIN})
    public JobView complete(@PathParam("id") long id, JobRequests.Complete request) {
        return leases.complete(caller, id, body(request));
    }

    @POST
    @Path("{id}/fail")
    @RequiresRole({Role.WORKER, Role.ADMIN})
    public JobView fail(@PathParam("id") long id, JobRequests.Fail request) {
        return leases.fail(caller, id, body(request));
    }
}
