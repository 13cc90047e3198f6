package io.fairqueue.jobs.control;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.control.Time;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import java.time.Clock;

/** A job as the API shows it, with its placement (position, estimate, waiting reason). */
@Dependent
public class JobViews {

    @Inject
    Clock clock;

    @Inject
    JobPositions positions;

    public JobView view(Job job) {
        return JobView.of(job, positions.place(job, Time.now(clock)), null);
    }
}
