package io.fairqueue.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Deployments;
import io.fairqueue.jobs.boundary.JobRequests;
import io.fairqueue.jobs.boundary.JobSubmission;
import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.platform.control.CommitAttempt;
import io.fairqueue.queues.boundary.QueueRequests;
import io.fairqueue.queues.boundary.QueueService;
import io.fairqueue.scheduling.boundary.SchedulingService;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.boundary.UserRequests;
import io.fairqueue.users.boundary.UserService;
import io.fairqueue.users.entity.Role;
import io.fairqueue.workers.boundary.WorkerRequests;
import io.fairqueue.workers.boundary.WorkerService;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** In the container: seed 000's service methods, as a Java caller in the application uses them. */
@ExtendWith({io.fairqueue.it.support.JmxPortExtension.class, ArquillianExtension.class})
class SchedulingServiceIT {

    @Deployment
    static WebArchive deployment() {
        // the test runs inside the WAR, with the classes its annotations name
        return Deployments.fairQueue()
                .addClasses(
                        SchedulingServiceIT.class,
                        io.fairqueue.it.support.JmxPortExtension.class,
                        io.fairqueue.it.support.JmxPort.class);
    }

    @Inject
    SchedulingService scheduling;

    @Inject
    UserService users;

    @Inject
    QueueService queues;

    @Inject
    WorkerService workers;

    @Inject
    JobSubmission jobs;

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    Caller user(Role role, int maxConcurrent) {
        String id = unique(role.name().toLowerCase());
        users.create(new UserRequests.Create(id, id, role, maxConcurrent, null));
        return new Caller(id, role);
    }

    long submit(Caller owner, String queue) {
        return jobs.submit(
                        owner,
                        new JobRequests.Submit(queue, "t", null, null, null, null, null, null, null),
                        null,
                        new CommitAttempt<>())
                .id();
    }

    static long id(Optional<JobView> claimed) {
        assertTrue(claimed.isPresent(), "a job was claimed");
        return claimed.get().id();
    }

    @Test
    void counts_claims_for_a_user_and_across_users_and_positions_follow_seed_000() {
        String q = unique("q");
        queues.create(new QueueRequests.Create(q, null, null, null, null, null));
        Caller alice = user(Role.USER, 2);
        Caller bob = user(Role.USER, 1);
        Caller fleet = user(Role.WORKER, 1);
        String worker = workers.register(fleet, new WorkerRequests.Register("gpu", 4, null, List.of(q)))
                .id();
        long a1 = submit(alice, q);
        long a2 = submit(alice, q);
        long a3 = submit(alice, q);
        long b1 = submit(bob, q);

        assertEquals(3, scheduling.pendingCount(alice.id()));
        assertEquals(0, scheduling.runningCount(alice.id()));
        assertEquals(Optional.of(2L), scheduling.queuePosition(a2));

        assertEquals(a1, id(scheduling.claimNextTaskForUser(worker, alice.id())));
        assertEquals(1, scheduling.runningCount(alice.id()));
        assertEquals(2, scheduling.pendingCount(alice.id()));
        assertEquals(Optional.empty(), scheduling.queuePosition(a1), "a claimed job has no position");
        assertEquals(Optional.of(1L), scheduling.queuePosition(a2));

        assertEquals(b1, id(scheduling.claimNextTaskAnyUser(worker)), "bob runs nothing: his job first");
        assertEquals(a2, id(scheduling.claimNextTaskAnyUser(worker)), "alice may run 2");
        assertEquals(Optional.empty(), scheduling.claimNextTaskAnyUser(worker), "everyone is at the limit");
        assertEquals(Optional.empty(), scheduling.claimNextTaskForUser(worker, bob.id()));
        assertEquals(Optional.of(1L), scheduling.queuePosition(a3));
        assertEquals(2, scheduling.runningCount(alice.id()));
    }

    @Test
    void the_timer_mxbeans_are_readable_in_the_container() throws Exception {
        javax.management.MBeanServer jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName promoter = new javax.management.ObjectName("fairqueue:type=Timer,name=Promoter");
        assertTrue(jmx.isRegistered(promoter));
        long before = (Long) jmx.getAttribute(promoter, "RunCount");
        jmx.invoke(promoter, "runNow", null, null);
        assertTrue((Long) jmx.getAttribute(promoter, "RunCount") > before);
        assertEquals(Boolean.TRUE, jmx.getAttribute(promoter, "Enabled"));
    }
}
