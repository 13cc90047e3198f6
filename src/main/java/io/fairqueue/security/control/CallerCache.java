package io.fairqueue.security.control;

import io.fairqueue.users.entity.Role;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who a token belongs to, kept in memory so that a request does not need a database round trip
 * before its own work (every API call authenticates). Keyed by the token's hash, never the token.
 *
 * <p>Dropped as a whole the moment a token or a user's role changes anywhere: the tables'
 * triggers notify {@code fq_callers} (migration V7), which {@code ClaimWakeups} listens to on
 * every node, and the node that made the change drops it itself right after its commit. While
 * that listening connection is known to be down the cache is not used at all, and an entry is
 * never used for longer than {@link #MAX_AGE_NANOS} whatever happens (a connection that broke
 * without an error, which the node cannot see). A request that arrives in the milliseconds between a
 * change's commit and its notification on another node is treated as if it had arrived a moment
 * earlier. Unknown tokens are never cached (they are looked up every time).
 */
public final class CallerCache {

    static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Beyond this many tokens the cache starts again from empty (a bound, not an eviction policy). */
    static final int MAX_ENTRIES = 10_000;

    /** A token's caller, when it was read, and in which generation. */
    private record Entry(String userId, Role role, long atNanos, long generation) {
    }

    private static final ConcurrentHashMap<String, Entry> ENTRIES = new ConcurrentHashMap<>();

    /** Bumped by {@link #invalidate}: a lookup that began before a change is never kept. */
    private static final AtomicLong GENERATION = new AtomicLong();

    private static volatile boolean listening;

    private CallerCache() {
    }

    /** The generation a lookup starts in; pass it to {@link #put}. */
    public static long generation() {
        return GENERATION.get();
    }

    /** The cached caller of this token hash, if there is a current one. */
    public static Optional<Caller> get(String tokenHash) {
        if (!listening) {
            return Optional.empty();
        }
        Entry e = ENTRIES.get(tokenHash);
        if (e == null || e.generation() != GENERATION.get() || System.nanoTime() - e.atNanos() >= MAX_AGE_NANOS) {
            return Optional.empty();
        }
        return Optional.of(new Caller(e.userId(), e.role()));
    }

    /** Keeps a lookup's answer, unless a change happened since the lookup began ({@code generation}). */
    public static void put(String tokenHash, Caller caller, long generation, long startedNanos) {
        if (!listening || generation != GENERATION.get()) {
            return;
        }
        if (ENTRIES.size() >= MAX_ENTRIES) {
            ENTRIES.clear();
        }
        // an invalidation landing after the check leaves an entry of an old generation: never used
        ENTRIES.put(tokenHash, new Entry(caller.id(), caller.role(), startedNanos, generation));
    }

    /** A token or a role changed somewhere: every entry goes. */
    public static void invalidate() {
        GENERATION.incrementAndGet();
        ENTRIES.clear();
    }

    /**
     * Whether this node hears the change notifications right now; the cache is only used while it
     * does. Either way the entries of before go.
     */
    public static void listening(boolean now) {
        listening = now;
        invalidate();
    }
}
