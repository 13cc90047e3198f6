package io.fairqueue.policies.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.json.JsonText;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.policies.control.OffPeakWindows;
import io.fairqueue.policies.entity.SchedulingPolicy;
import io.fairqueue.scheduling.control.Limits;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.util.List;

/**
 * Scheduling policies. OFF_PEAK needs {@code start} and {@code end} (HH:MM) and an optional
 * {@code timezone}; QUOTA_RESET an optional {@code timezone}; a time zone must be a region name
 * that both Java and PostgreSQL know (e.g. {@code Europe/Berlin}), never an offset. Other types
 * (FAIR_SHARE, ...) are stored as given. Changing a QUOTA_RESET policy lifts every quota block,
 * so the next claim re-checks the windows in the new zone.
 */
@Stateless
public class PolicyService {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    Limits limits;

    @Inject
    OffPeakWindows offPeak;

    /** Off-peak now or not, and until when: the console's preview of the enabled windows. */
    public OffPeakWindows.Preview offPeakPreview() {
        return offPeak.preview(Time.now(clock));
    }

    public List<PolicyView> list() {
        return em
                .createQuery("SELECT p FROM SchedulingPolicy p ORDER BY p.id", SchedulingPolicy.class)
                .getResultList()
                .stream()
                .map(PolicyView::of)
                .toList();
    }

    public PolicyView get(long id) {
        return PolicyView.of(find(id, LockModeType.NONE));
    }

    public PolicyView create(PolicyRequest r) {
        validate(r);
        SchedulingPolicy p = new SchedulingPolicy(
                r.policyType(), r.name(), r.config(), r.enabled() == null || r.enabled(), Time.now(clock));
        em.persist(p);
        em.flush();
        afterChange(p.policyType());
        return PolicyView.of(p);
    }

    public PolicyView update(long id, PolicyRequest r) {
        validate(r);
        SchedulingPolicy p = find(id, LockModeType.PESSIMISTIC_WRITE);
        if (!p.policyType().equals(r.policyType())) {
            throw badRequest("policyType", "cannot change from " + p.policyType() + "; delete and create instead");
        }
        p.change(r.name(), r.config(), r.enabled() == null || r.enabled());
        em.flush();
        afterChange(p.policyType());
        return PolicyView.of(p);
    }

    public void delete(long id) {
        SchedulingPolicy p = find(id, LockModeType.PESSIMISTIC_WRITE);
        em.remove(p);
        em.flush();
        afterChange(p.policyType());
    }

    private void afterChange(String type) {
        if (SchedulingPolicy.QUOTA_RESET.equals(type)) {
            limits.lockJobs();
            em.createNativeQuery("UPDATE lane SET quota_blocked_until = NULL WHERE quota_blocked_until IS NOT NULL")
                    .executeUpdate();
        }
    }

    private void validate(PolicyRequest r) {
        JsonValue v = JsonText.parse(r.config());
        if (v.getValueType() != JsonValue.ValueType.OBJECT) {
            throw badRequest("config", "must be a JSON object");
        }
        JsonObject config = v.asJsonObject();
        if (config.containsKey("timezone")) {
            if (!(config.get("timezone") instanceof JsonString tz) || !knownZone(tz.getString())) {
                throw badRequest("config.timezone", "must be a time zone name such as UTC or Europe/Berlin");
            }
        }
        if (SchedulingPolicy.OFF_PEAK.equals(r.policyType())) {
            try {
                OffPeakWindows.Window.of(config);
            } catch (IllegalArgumentException e) {
                throw badRequest("config", e.getMessage());
            }
        }
    }

    private boolean knownZone(String tz) {
        if (!tz.matches("[A-Za-z][A-Za-z0-9_+/-]{0,63}") || tz.matches(".*[+-]\\d.*") && !tz.startsWith("Etc/")) {
            return false;
        }
        try {
            java.time.ZoneId.of(tz);
        } catch (java.time.DateTimeException e) {
            return false;
        }
        return ((Number) em.createNativeQuery("SELECT count(*) FROM pg_timezone_names WHERE name = ?1")
                                .setParameter(1, tz)
                                .getSingleResult())
                        .longValue()
                > 0;
    }

    private SchedulingPolicy find(long id, LockModeType lock) {
        SchedulingPolicy p = em.find(SchedulingPolicy.class, id, lock);
        if (p == null) {
            throw ProblemException.notFound("scheduling policy", id);
        }
        return p;
    }
}
