package io.fairqueue.timers.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ejb.LocalBean;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The liveness rule, and every timer class shaped so that the health check and JMX find it. */
class TimersHealthTest {

    static final Instant T0 = Instant.parse("2026-12-02T12:00:00Z");
    static final Duration SECOND = Duration.ofSeconds(1);

    @Test
    void an_enabled_timer_is_late_after_three_periods_without_a_run() {
        assertEquals("ok", TimersHealth.state(true, SECOND, T0, T0, T0.plusSeconds(3)));
        assertTrue(TimersHealth.state(true, SECOND, T0, T0, T0.plusSeconds(4)).startsWith("late: last run"));
    }

    @Test
    void a_timer_that_never_ran_has_three_periods_from_the_start() {
        assertEquals("ok", TimersHealth.state(true, Duration.ofMinutes(1), null, T0, T0.plusSeconds(170)));
        assertTrue(TimersHealth.state(true, Duration.ofMinutes(1), null, T0, T0.plusSeconds(181))
                .startsWith("late: no run"));
    }

    @Test
    void a_disabled_timer_is_reported_not_failed() {
        assertEquals("disabled", TimersHealth.state(false, SECOND, T0, T0, T0.plusSeconds(3600)));
    }

    /** Every ManagedTimer in the build's classes. */
    static List<Class<?>> timerClasses() throws IOException, ClassNotFoundException {
        Path root = Path.of("target/classes");
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p ->
                            p.toString().endsWith(".class") && !p.toString().contains("$"))
                    .toList()) {
                String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> c = Class.forName(name, false, TimersHealthTest.class.getClassLoader());
                if (ManagedTimer.class.isAssignableFrom(c) && !Modifier.isAbstract(c.getModifiers())) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    @Test
    void every_timer_is_a_started_local_singleton_with_a_volatile_schedule_so_health_and_jmx_find_it()
            throws Exception {
        List<Class<?>> timers = timerClasses();
        assertTrue(timers.size() >= 6, "the timers of SPEC §5 and the vacuum: " + timers);
        for (Class<?> c : timers) {
            assertTrue(
                    c.isAnnotationPresent(Singleton.class) && c.isAnnotationPresent(Startup.class),
                    c + ": @Singleton @Startup");
            assertTrue(
                    c.isAnnotationPresent(LocalBean.class),
                    c + ": @LocalBean (its MXBean interface would hide the bean otherwise)");
            List<Schedule> schedules = new ArrayList<>();
            for (Method m : c.getDeclaredMethods()) {
                if (m.isAnnotationPresent(Schedule.class)) {
                    schedules.add(m.getAnnotation(Schedule.class));
                }
            }
            assertEquals(1, schedules.size(), c + ": one @Schedule method");
            String name = c.getSimpleName().replaceAll("Timer$", "");
            assertTrue(
                    c.getSimpleName().endsWith("Timer")
                            && Files.readString(
                                            Path.of("src/main/java", c.getName().replace('.', '/') + ".java"))
                                    .contains("super(\"" + name + "\","),
                    c + ": named after its class (XTimer is fairqueue:type=Timer,name=X), as TimersIT expects");
            assertTrue(
                    !schedules.get(0).persistent(),
                    c + ": persistent = false (Payara Micro keeps persistent timers in memory only)");
        }
    }
}
