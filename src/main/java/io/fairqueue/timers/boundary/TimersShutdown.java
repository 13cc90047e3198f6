package io.fairqueue.timers.boundary;

import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

/**
 * Halts every timer when the application is undeployed or redeployed: the web module stops before
 * the EJB containers do, so no timer starts a run that would call a bean already stopped, and a
 * run in flight ends first ({@link ManagedTimer#halt()}). PayaraServerIT redeploys under load and
 * reads the server log for the warnings this prevents.
 */
@WebListener
public class TimersShutdown implements ServletContextListener {

    @Inject
    @Any
    Instance<ManagedTimer> timers;

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        timers.forEach(ManagedTimer::halt);
    }
}
