package io.fairqueue.timers.boundary;

import io.fairqueue.platform.control.FairQueueMetrics;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * One {@code fairqueue:type=Queue,name=<queue>} MXBean per queue (Pending, Running, DeadLetter),
 * and the same three as MicroProfile gauges,
 * registered at start and for new queues on every usage-refresher run; all unregistered at
 * undeploy, so a redeploy finds none left behind.
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class QueueMXBeans {

    private static final Logger LOG = Logger.getLogger(QueueMXBeans.class.getName());

    /** JMX view of one queue. */
    public interface QueueMXBean {
        long getPending();

        long getRunning();

        long getDeadLetter();
    }

    private final Set<ObjectName> registered = new HashSet<>();

    @Inject
    QueueCounts counts;

    @Inject
    FairQueueMetrics metrics;

    @PostConstruct
    void start() {
        refresh();
    }

    @PreDestroy
    synchronized void stop() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName name : registered) {
            try {
                if (server.isRegistered(name)) {
                    server.unregisterMBean(name);
                }
            } catch (JMException e) {
                LOG.log(Level.WARNING, "cannot unregister " + name, e);
            }
        }
        registered.clear();
    }

    public synchronized void refresh() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        List<String> queues = counts.queueNames();
        for (String queue : queues) {
            try {
                // queue names are [a-z0-9_.-]: safe as an ObjectName value
                ObjectName name = new ObjectName("fairqueue:type=Queue,name=" + queue);
                if (registered.contains(name)) {
                    continue;
                }
                if (server.isRegistered(name)) {
                    server.unregisterMBean(name);
                }
                server.registerMBean(
                        new QueueMXBean() {
                            @Override
                            public long getPending() {
                                return counts.count(queue, "PENDING");
                            }

                            @Override
                            public long getRunning() {
                                return counts.count(queue, "DISPATCHED", "RUNNING");
                            }

                            @Override
                            public long getDeadLetter() {
                                return counts.count(queue, "FAILED");
                            }
                        },
                        name);
                registered.add(name);
                metrics.queueGauge("pending", queue, () -> counts.count(queue, "PENDING"));
                metrics.queueGauge("running", queue, () -> counts.count(queue, "DISPATCHED", "RUNNING"));
                metrics.queueGauge("dead_letter", queue, () -> counts.count(queue, "FAILED"));
            } catch (JMException e) {
                LOG.log(Level.WARNING, "cannot register the MXBean of queue " + queue, e);
            }
        }
    }
}
