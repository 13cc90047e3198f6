package io.fairqueue.security.control;

import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who a token belongs to and until when it is valid, kept in memory so that a request does not
 * need a database round trip before its own work (every API call authenticates). Keyed by the
 * token's hash, never the token.
 *
 * <p>Dropped as a whole the moment a token (issued, revoked, expiry) or a user's role changes
 * anywhere: the tables' triggers (db/schema.sql) notify {@code fq_callers} (fq_callers_changed,
 * R__notifications.sql), which every node hears ({@link CallerChanges}), and the node that
 * made the change drops it itself right after its commit ({@link #forgetAfterCommit}). While that
 * listening connection is known to be down the cache is not used at all, and an entry is never used
 * for longer than {@link #MAX_AGE_NANOS} whatever happens (a connection that broke without an
 * error, which the node cannot see). A request that arrives in the milliseconds between a change's
 * commit and its notification on another node is treated as if it had arrived a moment earlier. An
 * entry past its token's expiry is never used, however fresh. Unknown and expired tokens are never
 * cached (they are looked up every time).
 */
public final class CallerCache {

    static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Beyond this many tokens the cache starts again from empty (a bound, not an eviction policy). */
    static final int MAX_ENTRIES = 10_000;

    /** A token's owner, when it was read, and in which generation. */
    private record Entry(KnownToken token, long atNanos, long generation) {}

    private static final ConcurrentHashMap<String, Entry> ENTRIES = new ConcurrentHashMap<>();

    /** Bumped by {@link #invalidate}: a lookup that began before a change is never kept. */
    private static final AtomicLong GENERATION = new AtomicLong();

    private static volatile boolean listening;

    private CallerCache() {}

    /** The generation a lookup starts in; pass it to {@link #put}. */
    public static long generation() {
        return GENERATION.get();
    }

    /** The cached token of this hash, if there is a current one that has not expired at {@code now}. */
    public static Optional<KnownToken> get(String tokenHash, Instant now) {
        if (!listening) {
            return Optional.empty();
        }
        Entry e = ENTRIES.get(tokenHash);
        if (e == null
                || e.generation() != GENERATION.get()
                || System.nanoTime() - e.atNanos() >= MAX_AGE_NANOS
                || e.token().expiredAt(now)) {
            return Optional.empty();
        }
        return Optional.of(e.token());
    }

    /** Keeps a lookup's answer, unless a change happened since the lookup began ({@code generation}). */
    public static void put(String tokenHash, KnownToken token, long generation, long startedNanos) {
        if (!listening || generation != GENERATION.get()) {
            return;
        }
        if (ENTRIES.size() >= MAX_ENTRIES) {
            ENTRIES.clear();
        }
        // an invalidation landing after the check leaves an entry of an old generation: never used
        ENTRIES.put(tokenHash, new Entry(token, startedNanos, generation));
    }

    /** The token's use was just recorded: its entry (if still there) keeps its age and learns the time. */
    public static void used(String tokenHash, KnownToken token) {
        ENTRIES.computeIfPresent(
                tokenHash,
                (hash, e) ->
                        e.token().tokenId() == token.tokenId() ? new Entry(token, e.atNanos(), e.generation()) : e);
    }

    /** A token or a role changed somewhere: every entry goes. */
    public static void invalidate() {
        GENERATION.incrementAndGet();
        ENTRIES.clear();
    }

    /**
     * This node's entries go right after the current transaction commits (other nodes hear of it
     * through the tables' notification, which comes a moment later): the next request here is
     * judged by what the transaction changed.
     */
    public static void forgetAfterCommit(TransactionSynchronizationRegistry transaction) {
        transaction.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
                // nothing to do before
            }

            @Override
            public void afterCompletion(int status) {
                if (status == Status.STATUS_COMMITTED) {
                    invalidate();
                }
            }
        });
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
