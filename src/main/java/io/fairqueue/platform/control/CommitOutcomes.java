package io.fairqueue.platform.control;

import io.fairqueue.platform.problem.Outages;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.platform.problem.UnexpectedExceptionMapper;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Settles a commit whose answer was lost. A commit that fails because the connection to
 * PostgreSQL broke (the server was stopped, the backend terminated, the network cut) is in doubt:
 * PostgreSQL may have written the commit before the reply went astray. Answering such a submit with
 * a 503 would be an error after a commit: the job exists, and a client that sends again without an
 * Idempotency-Key makes a duplicate. So when the transaction's method had finished its work
 * ({@link CommitAttempt#reachedCommit()}) and created something, the request asks PostgreSQL, on a
 * connection of its own, for the transaction's fate ({@code pg_xact_status}, and whether a job it
 * created exists), again and again for up to {@link #WAIT} when the failure was an outage, once
 * otherwise:
 * <ul>
 *   <li>committed: the request answers what the transaction decided, as if nothing had failed;</li>
 *   <li>aborted: nothing was applied; the failure's answer (a 503 for an outage) stands;</li>
 *   <li>still unknown after {@link #WAIT} (the database is still away): a 503 that says the outcome
 *       is unknown and how to find out.</li>
 * </ul>
 * A backend that loses its client, or is terminated, aborts its open transaction as it exits, so
 * "in progress" turns into "aborted" within moments; one whose client froze mid-transaction is
 * ended by PostgreSQL after {@code CreatingDataSource.IDLE_IN_TRANSACTION_TIMEOUT}, well within
 * {@link #WAIT}; after a crash of the server, a transaction that never committed reads as aborted.
 * A transaction that created nothing (a submit that replayed its Idempotency-Key) answers the same
 * either way and is answered without asking.
 */
@ApplicationScoped
public class CommitOutcomes {

    private static final Logger LOG = Logger.getLogger(CommitOutcomes.class.getName());

    /**
     * The longest a request goes on asking for the fate of a commit whose answer was lost (one
     * question already under way may add the pool's wait for a connection, 3 s by default).
     */
    public static final Duration WAIT = Duration.ofSeconds(10);

    /** The pause between two questions while PostgreSQL cannot answer. */
    static final Duration PAUSE = Duration.ofMillis(200);

    /** What became of a transaction, as far as PostgreSQL could say. */
    public enum Fate {
        COMMITTED,
        ABORTED,
        UNKNOWN
    }

    @Resource(lookup = Database.JNDI)
    DataSource dataSource;

    /**
     * Runs {@code work} (a transactional method that reports to {@code attempt}); when it throws,
     * answers its result all the same if its transaction committed (see the class comment).
     */
    public <T> T settle(CommitAttempt<T> attempt, Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            return committedOr(attempt, e);
        }
    }

    /**
     * The answer of {@code attempt} when its transaction committed although {@code failure} was
     * thrown; otherwise throws {@code failure} (the work never reached its commit, or it aborted)
     * or an "outcome unknown" 503.
     */
    <T> T committedOr(CommitAttempt<T> attempt, RuntimeException failure) {
        if (!attempt.reachedCommit()) {
            throw failure;
        }
        if (!attempt.wroteAnything()) {
            return attempt.outcome(); // nothing of it depended on the commit
        }
        boolean outage = Outages.isUnavailable(failure);
        Fate fate = fate(attempt.xid(), attempt.witness(), outage ? WAIT : Duration.ZERO);
        switch (fate) {
            case COMMITTED -> {
                LOG.log(
                        Level.WARNING,
                        "transaction {0} committed, but its commit failed ({1}); answered as committed",
                        new Object[] {attempt.xid(), UnexpectedExceptionMapper.rootMessage(failure)});
                return attempt.outcome();
            }
            case ABORTED -> throw failure;
            default -> {
                if (!outage) {
                    throw failure;
                }
                LOG.log(
                        Level.WARNING,
                        "the outcome of transaction {0} is unknown: its commit failed ({1}) and the database"
                                + " did not answer within {2} s; answered 503",
                        new Object[] {attempt.xid(), UnexpectedExceptionMapper.rootMessage(failure), WAIT.toSeconds()});
                throw unknownOutcome();
            }
        }
    }

    /**
     * The fate of transaction {@code xid}, which created job {@code witness}, asked until it is
     * known or {@code within} has passed (at least once). "In progress" is asked again: the backend
     * of a broken connection aborts as it exits.
     */
    public Fate fate(long xid, long witness, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (true) {
            Fate fate = ask(xid, witness, Math.max(1, (end - System.nanoTime()) / 1_000_000));
            if (fate != Fate.UNKNOWN || System.nanoTime() + PAUSE.toNanos() > end) {
                return fate;
            }
            try {
                Thread.sleep(PAUSE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Fate.UNKNOWN;
            }
        }
    }

    /** One question, given at most {@code millis} (at least a second) on the wire. */
    private Fate ask(long xid, long witness, long millis) {
        try (Connection c = dataSource.getConnection()) {
            int before = networkTimeout(c, -1);
            networkTimeout(c, (int) Math.max(1000, Math.min(millis, Integer.MAX_VALUE)));
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT pg_xact_status(CAST(CAST(? AS text) AS xid8)), EXISTS (SELECT 1 FROM job WHERE id = ?)")) {
                s.setString(1, Long.toString(xid));
                s.setLong(2, witness);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    String status = rs.getString(1);
                    if ("committed".equals(status)) {
                        // a transaction id handed out again (a failover) does not find our job
                        return rs.getBoolean(2) ? Fate.COMMITTED : Fate.ABORTED;
                    }
                    return "aborted".equals(status) ? Fate.ABORTED : Fate.UNKNOWN;
                }
            } finally {
                networkTimeout(c, before);
            }
        } catch (SQLException e) {
            if (!Outages.isUnavailable(e)) {
                LOG.log(Level.WARNING, "could not ask for the status of transaction " + xid, e);
            }
            return Fate.UNKNOWN;
        }
    }

    /**
     * Sets the connection's network timeout when {@code millis} is not negative; answers the one
     * it had (0 when the pool's wrapper does not support it: no timeout, as before).
     */
    private static int networkTimeout(Connection c, int millis) throws SQLException {
        try {
            int before = c.getNetworkTimeout();
            if (millis >= 0) {
                c.setNetworkTimeout(Runnable::run, millis);
            }
            return before;
        } catch (SQLFeatureNotSupportedException e) {
            return 0;
        }
    }

    static ProblemException unknownOutcome() {
        return Outages.unavailable("the connection to the database broke while this request was committing, and"
                + " whether it committed could not be learned within " + WAIT.toSeconds() + " s: its jobs may"
                + " exist. Sent again with the same Idempotency-Key (or idempotencyKey of each batch item) it"
                + " answers them if they do; without keys, look for them (GET /api/v1/jobs) before sending again");
    }
}
