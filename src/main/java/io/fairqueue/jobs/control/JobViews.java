package io.fairqueue.jobs.control;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.control.Time;
import io.fairqueue.queues.entity.Queue;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;

/** A job as the API shows it, with its placement (position, estimate, waiting reason). */
@Dependent
public class JobViews {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    JobPositions positions;

    public JobView view(Job job) {
        Queue queue = em.find(Queue.class, job.queue());
        return JobView.of(job, positions.place(job, queue, Time.now(clock)), null);
    }
}
