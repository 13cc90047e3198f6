package io.fairqueue.queues.control;

import io.fairqueue.platform.control.Database;
import io.fairqueue.platform.control.FairQueueMetrics;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.Problem;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.servlet.AsyncContext;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The live queue events of this node ({@code GET /api/v1/queue/events}): every tick, ONE database
 * read ({@code fq_events}, R__events.sql) whatever the number of open streams, fanned out to all
 * of them. Events:
 *
 * <ul>
 *   <li>{@code counts}: jobs by status, PENDING by tier, slots in use, their limit and who holds
 *       them (the shape of {@code GET /queue}'s {@code counts}, {@code pending} and
 *       {@code active}); sent when they change. A USER's are of its own jobs.
 *   <li>{@code jobs}: the status changes since the last tick, from the audit log, in order: job
 *       id, status, the status before, owner, queue, priority, when, and the position of a job
 *       PENDING now. A USER's carry its own jobs only; no event carries a payload.
 * </ul>
 *
 * A tick comes every {@code fairqueue.events.tick-millis}, and sooner ({@link #SOON_MILLIS}
 * after, at most one per {@link #MIN_SPACING_MILLIS}) when a job becomes PENDING or a slot is
 * released: the same {@code fq_claimable} notification that wakes waiting claims
 * ({@link EventsWakeup}). Each event's {@code id:} is the highest audit row id it covers. A comment line keeps idle
 * streams open every {@code fairqueue.events.keepalive-seconds}. A stream ends when its token is
 * revoked or expires, its owner's role changes, the node stops, or its client stops reading.
 *
 * <p>Audit row ids are taken at insert but rows appear at commit, so an id below the highest one
 * read may still come: such gaps are asked for again every tick until they appear or are
 * {@link #GAP_GIVE_UP_NANOS} old (a rolled-back transaction leaves a gap for good).
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class QueueEvents {

    private static final Logger LOG = Logger.getLogger(QueueEvents.class.getName());

    static final String READ = "SELECT fq_events(?, ?, ?, ?, ?, ?)";

    /** Audit rows read per tick at most; the rest come next tick. */
    static final int ROWS_PER_TICK = 5000;

    static final long GAP_GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(30);

    static final int MAX_GAPS = 10_000;

    /** A notified change is read this much later, so that changes arriving together share a tick. */
    static final long SOON_MILLIS = 20;

    /** Ticks asked for by notifications come at most this often. */
    static final long MIN_SPACING_MILLIS = 100;

    /** The client's reconnect delay, sent first on every stream. */
    static final int RETRY_MILLIS = 2000;

    /** How long undeploy waits for a tick in flight. */
    static final int STOP_SECONDS = 5;

    @Resource(lookup = Database.JNDI)
    DataSource db;

    /**
     * Makes the tick thread: the application's own, which ends at undeploy. (A thread of the
     * server's default ManagedScheduledExecutorService is created lazily by the first task and
     * lives as long as the server; it keeps the access control context it was created in, and
     * with it the classloader of the deployment that happened to submit that task.)
     */
    @Resource
    ManagedThreadFactory threads;

    private ScheduledThreadPoolExecutor scheduler;

    @Inject
    Clock clock;

    @Inject
    FairQueueMetrics metrics;

    @Inject
    @ConfigProperty(name = "fairqueue.events.tick-millis", defaultValue = "1000")
    long tickMillis;

    @Inject
    @ConfigProperty(name = "fairqueue.events.keepalive-seconds", defaultValue = "15")
    long keepaliveSeconds;

    @Inject
    @ConfigProperty(name = "fairqueue.events.max-streams-per-token", defaultValue = "8")
    int maxStreamsPerToken;

    private final Map<Long, EventStream> streams = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private ScheduledFuture<?> ticking;
    private final java.util.concurrent.atomic.AtomicBoolean soon = new java.util.concurrent.atomic.AtomicBoolean();
    private final Object tickLock = new Object();
    private volatile long lastTickNanos;

    // the tick thread's own state
    private Long high;
    private final Map<Long, Long> gaps = new LinkedHashMap<>();
    private boolean failing;

    @PostConstruct
    void start() {
        metrics.streamsGauge(streams::size);
        scheduler = new ScheduledThreadPoolExecutor(1, threads);
        scheduler.setRemoveOnCancelPolicy(true);
        ticking = scheduler.scheduleWithFixedDelay(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        ticking.cancel(false);
        List.copyOf(streams.values()).forEach(EventStream::close);
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(STOP_SECONDS, TimeUnit.SECONDS)) {
                LOG.warning("the events tick still runs " + STOP_SECONDS + " s after undeploy began");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Opens a stream for this caller on an async request whose response headers are set; 429
     * when the token has {@code fairqueue.events.max-streams-per-token} open already.
     */
    public synchronized EventStream open(String tokenHash, Caller caller, AsyncContext async) throws IOException {
        long mine = streams.values().stream()
                .filter(s -> s.tokenHash().equals(tokenHash))
                .count();
        if (mine >= maxStreamsPerToken) {
            throw new ProblemException(new Problem(
                    Problem.TYPE_BASE + "too-many-streams",
                    "Too many streams",
                    429,
                    "this token has " + mine + " event streams open on this node, the most allowed"
                            + " (fairqueue.events.max-streams-per-token); close one first",
                    null,
                    null,
                    null));
        }
        EventStream s = new EventStream(ids.incrementAndGet(), tokenHash, caller, async, this::closed);
        streams.put(s.id(), s);
        s.start("retry: " + RETRY_MILLIS + "\n: connected\n\n");
        return s;
    }

    private void closed(EventStream s) {
        streams.remove(s.id());
    }

    /**
     * A change was notified: tick soon instead of at the next regular tick, unless no stream is
     * open or a notified tick is already on its way.
     */
    public void soon() {
        if (streams.isEmpty() || !soon.compareAndSet(false, true)) {
            return;
        }
        long sinceLast = (System.nanoTime() - lastTickNanos) / 1_000_000;
        long delay = Math.max(SOON_MILLIS, MIN_SPACING_MILLIS - sinceLast);
        scheduler.schedule(
                () -> {
                    soon.set(false);
                    tick();
                },
                delay,
                TimeUnit.MILLISECONDS);
    }

    /** One tick: one read, then every stream gets what is its own. Ticks never overlap. */
    void tick() {
        synchronized (tickLock) {
            lastTickNanos = System.nanoTime();
            tickNow();
        }
    }

    private void tickNow() {
        try {
            if (streams.isEmpty()) {
                high = null;
                gaps.clear();
                return;
            }
            List<EventStream> now = List.copyOf(streams.values());
            JsonObject read = read(now);
            metrics.eventsTicked();
            failing = false;
            fanOut(now, read, fresh(read));
        } catch (SQLException | RuntimeException e) {
            if (!failing) {
                LOG.log(Level.WARNING, "queue events: the tick's read failed; streams wait for the next tick", e);
            }
            failing = true;
        }
    }

    private JsonObject read(List<EventStream> now) throws SQLException {
        Set<String> users = new LinkedHashSet<>();
        Set<String> tokens = new LinkedHashSet<>();
        for (EventStream s : now) {
            tokens.add(s.tokenHash());
            if (s.caller().role() == Role.USER) {
                users.add(s.caller().id());
            }
        }
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement(READ)) {
            if (high == null) {
                ps.setNull(1, java.sql.Types.BIGINT);
            } else {
                ps.setLong(1, high);
            }
            ps.setArray(2, c.createArrayOf("bigint", gaps.keySet().toArray()));
            ps.setInt(3, ROWS_PER_TICK);
            ps.setArray(4, c.createArrayOf("text", users.toArray()));
            ps.setArray(5, c.createArrayOf("text", tokens.toArray()));
            ps.setTimestamp(6, Timestamp.from(Time.now(clock).toInstant()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                metrics.eventsRead();
                return Json.createReader(new StringReader(rs.getString(1))).readObject();
            }
        }
    }

    /** The audit rows not sent before, in id order; keeps {@link #high} and the gaps. */
    private List<JsonObject> fresh(JsonObject read) {
        if (high == null) {
            high = read.getJsonNumber("maxId").longValue();
            return List.of();
        }
        List<JsonObject> fresh = new ArrayList<>();
        long before = high;
        Set<Long> above = new java.util.HashSet<>();
        for (JsonValue v : read.getJsonArray("changes")) {
            JsonObject change = v.asJsonObject();
            long t = change.getJsonNumber("transitionId").longValue();
            if (t > before) {
                above.add(t);
                high = Math.max(high, t);
                fresh.add(change);
            } else if (gaps.remove(t) != null) {
                fresh.add(change);
            }
        }
        long nowNanos = System.nanoTime();
        for (long t = before + 1; t < high && gaps.size() < MAX_GAPS; t++) {
            if (!above.contains(t)) {
                gaps.put(t, nowNanos);
            }
        }
        gaps.values().removeIf(since -> nowNanos - since > GAP_GIVE_UP_NANOS);
        return fresh; // in id order: fq_events orders the rows, gaps and new ones alike
    }

    private void fanOut(List<EventStream> now, JsonObject read, List<JsonObject> fresh) {
        Map<String, String> validTokens = new HashMap<>();
        for (JsonValue v : read.getJsonArray("tokens")) {
            validTokens.put(v.asJsonObject().getString("hash"), v.asJsonObject().getString("role"));
        }
        String id = "id: " + high + "\n";
        String allCounts = counts(read.getJsonArray("counts"), read.getJsonObject("slots"));
        String allJobs = jobs(fresh, null);
        Map<String, String[]> perUser = new HashMap<>();
        for (JsonValue v : read.getJsonArray("users")) {
            JsonObject u = v.asJsonObject();
            JsonObject slots = Json.createObjectBuilder()
                    .add("max", u.get("maxConcurrent"))
                    .add(
                            "byUser",
                            Json.createArrayBuilder()
                                    .add(Json.createObjectBuilder()
                                            .add("userId", u.getString("userId"))
                                            .add("running", u.getInt("running"))
                                            .add("maxConcurrent", u.getInt("maxConcurrent"))))
                    .build();
            perUser.put(
                    u.getString("userId"),
                    new String[] {counts(u.getJsonArray("counts"), slots), jobs(fresh, u.getString("userId"))});
        }
        long keepalive = TimeUnit.SECONDS.toNanos(keepaliveSeconds);
        long nowNanos = System.nanoTime();
        for (EventStream s : now) {
            String role = validTokens.get(s.tokenHash());
            if (role == null || !role.equals(s.caller().role().name())) {
                s.close(); // revoked, expired, or its owner's role changed
                continue;
            }
            String[] mine = s.caller().role() == Role.USER
                    ? perUser.getOrDefault(s.caller().id(), new String[] {null, null})
                    : new String[] {allCounts, allJobs};
            boolean open = mine[0] == null || s.sendCounts(id + "event: counts\ndata: " + mine[0] + "\n\n", mine[0]);
            if (open && mine[1] != null) {
                open = s.send(id + "event: jobs\ndata: " + mine[1] + "\n\n");
            }
            if (open && nowNanos - s.lastSentNanos() >= keepalive) {
                s.send(": keepalive\n\n");
            }
        }
    }

    /** The counts event's data: by status (all nine), PENDING by tier, and the slots. */
    static String counts(JsonArray rows, JsonObject slots) {
        StatusCounts counts = new StatusCounts();
        for (JsonValue v : rows) {
            JsonObject r = v.asJsonObject();
            counts.add(
                    r.getString("status"),
                    r.getInt("tier"),
                    r.getJsonNumber("n").longValue());
        }
        JsonObjectBuilder byStatus = Json.createObjectBuilder();
        counts.byStatus().forEach(byStatus::add);
        return Json.createObjectBuilder()
                .add("counts", byStatus)
                .add(
                        "pending",
                        Json.createObjectBuilder()
                                .add("urgent", counts.urgent())
                                .add("normal", counts.normal())
                                .add("background", counts.background())
                                .add("total", counts.pendingTotal()))
                .add(
                        "active",
                        Json.createObjectBuilder()
                                .add("slotsUsed", counts.slotsUsed())
                                .add("slotsMax", slots.get("max"))
                                .add("byUser", slots.getJsonArray("byUser")))
                .build()
                .toString();
    }

    /** The jobs event's data for one USER (or everyone: null); null when there is nothing to send. */
    static String jobs(List<JsonObject> fresh, String userId) {
        JsonArrayBuilder out = Json.createArrayBuilder();
        boolean any = false;
        for (JsonObject c : fresh) {
            if (userId != null && !userId.equals(c.getString("userId"))) {
                continue;
            }
            JsonObjectBuilder j = Json.createObjectBuilder(c);
            j.remove("transitionId");
            if (c.isNull("position")) {
                j.remove("position");
            }
            out.add(j);
            any = true;
        }
        return any ? out.build().toString() : null;
    }
}
