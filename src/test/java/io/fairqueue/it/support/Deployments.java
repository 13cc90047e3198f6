package io.fairqueue.it.support;

import java.io.File;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/** The WAR Maven built (the real artifact), plus the movable clock for tests. */
public final class Deployments {

    private Deployments() {}

    public static WebArchive fairQueue() {
        File war = new File(System.getProperty("fairqueue.war", "target/fairqueue.war"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, war).addClasses(MovableClock.class, ClockResource.class);
    }
}
