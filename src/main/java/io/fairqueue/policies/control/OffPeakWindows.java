package io.fairqueue.policies.control;

import io.fairqueue.policies.entity.SchedulingPolicy;
import jakarta.enterprise.context.Dependent;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.io.StringReader;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.logging.Logger;

/**
 * Is it off-peak now? True when now lies inside any enabled OFF_PEAK policy's window, read in the
 * policy's time zone (default UTC). A window whose start is after its end wraps midnight
 * (22:00-08:00); start == end is the whole day. No enabled policy: never off-peak.
 */
@Dependent
public class OffPeakWindows {

    private static final Logger LOG = Logger.getLogger(OffPeakWindows.class.getName());

    @PersistenceContext
    EntityManager em;

    public boolean isOpen(OffsetDateTime now) {
        return em.createQuery("SELECT p FROM SchedulingPolicy p WHERE p.policyType = :t AND p.enabled = true",
                        SchedulingPolicy.class)
                .setParameter("t", SchedulingPolicy.OFF_PEAK)
                .getResultList().stream()
                .anyMatch(p -> contains(p, now));
    }

    static boolean contains(SchedulingPolicy policy, OffsetDateTime now) {
        try (JsonReader r = Json.createReader(new StringReader(policy.config()))) {
            Window w = Window.of(r.readObject());
            return w.contains(now);
        } catch (RuntimeException e) {
            LOG.warning("OFF_PEAK policy " + policy.id() + " has an unusable config and is ignored: " + e.getMessage());
            return false;
        }
    }

    /** One off-peak window: local start and end times in a zone. */
    public record Window(LocalTime start, LocalTime end, ZoneId zone) {

        public static Window of(JsonObject config) {
            try {
                return new Window(LocalTime.parse(config.getString("start")), LocalTime.parse(config.getString("end")),
                        ZoneId.of(config.getString("timezone", "UTC")));
            } catch (DateTimeException | NullPointerException | ClassCastException e) {
                throw new IllegalArgumentException("OFF_PEAK config needs \"start\" and \"end\" as HH:MM and an optional "
                        + "valid \"timezone\"", e);
            }
        }

        public boolean contains(OffsetDateTime now) {
            LocalTime t = now.atZoneSameInstant(zone).toLocalTime();
            if (start.equals(end)) {
                return true;
            }
            return start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
        }
    }
}
