package io.fairqueue.platform.control;

import io.fairqueue.platform.problem.Outages;
import io.fairqueue.platform.problem.Problem;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.platform.problem.UnexpectedExceptionMapper;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Settles a commit whose answer was lost. A commit that fails because the connection to
 * PostgreSQL broke (the server was stopped, the backend terminated, the network cut) is in doubt:
 * PostgreSQL may have written the commit before the reply went astray. Answering such a submit with
 * a 503 would be an error after a commit: the job exists, and a client that sends again without an
 * Idempotency-Key makes a duplicate. So when the transaction's method had finished its work
 * ({@link CommitAttempt#reachedCommit()}) and the failure is an outage, the request asks PostgreSQL,
 * on a connection of its own, for the transaction's fate ({@code pg_xact_status}), again and again
 * for up to {@link #WAIT}:
 * <ul>
 *   <li>committed: the request answers what the transaction decided, as if nothing had failed;</li>
 *   <li>aborted: nothing was applied; the outage's 503 stands;</li>
 *   <li>still unknown after {@link #WAIT} (the database is still away, or the backend has not yet
 *       ended): a 503 that says the outcome is unknown and the request may be sent again with the
 *       same Idempotency-Key.</li>
 * </ul>
 * A backend that loses its client, or is terminated, aborts its open transaction as it exits, so
 * "in progress" turns into "aborted" within moments; after a crash of the server, a transaction
 * that never committed reads as aborted too.
 */
@ApplicationScoped
public class CommitOutcomes {

    private static final Logger LOG = Logger.getLogger(CommitOutcomes.class.getName());

    /** The longest a request waits to learn the fate of a commit whose answer was lost. */
    public static final Duration WAIT = Duration.ofSeconds(10);

    /** The pause between two questions while PostgreSQL cannot answer. */
    static final Duration PAUSE = Duration.ofMillis(200);

    /** What {@code pg_xact_status} answers (null before it answered at all). */
    public enum Fate {
        COMMITTED,
        ABORTED,
        UNKNOWN
    }

    @Resource(lookup = Database.JNDI)
    DataSource dataSource;

    /**
     * The answer of {@code attempt} when its transaction committed although {@code failure} was
     * thrown; otherwise throws {@code failure} (not an outage, or the work never reached its commit,
     * or it aborted) or an "outcome unknown" 503.
     */
    public <T> T committedOr(CommitAttempt<T> attempt, RuntimeException failure) {
        if (!attempt.reachedCommit() || !Outages.isUnavailable(failure)) {
            throw failure;
        }
        Fate fate = fate(attempt.xid(), WAIT);
        switch (fate) {
            case COMMITTED -> {
                LOG.log(
                        Level.WARNING,
                        "transaction {0} committed, but the answer to its commit was lost ({1});"
                                + " answered as committed",
                        new Object[] {attempt.xid(), UnexpectedExceptionMapper.rootMessage(failure)});
                return attempt.outcome();
            }
            case ABORTED -> throw failure;
            default -> {
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
     * The fate of transaction {@code xid}, asked until it is known or {@code within} has passed.
     * "In progress" is asked again: the backend of a broken connection aborts as it exits.
     */
    public Fate fate(long xid, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (true) {
            String status = status(xid);
            if ("committed".equals(status)) {
                return Fate.COMMITTED;
            }
            if ("aborted".equals(status)) {
                return Fate.ABORTED;
            }
            if (System.nanoTime() + PAUSE.toNanos() > end) {
                return Fate.UNKNOWN;
            }
            try {
                Thread.sleep(PAUSE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Fate.UNKNOWN;
            }
        }
    }

    /** {@code pg_xact_status}: committed, aborted or in progress; null when the database cannot answer. */
    private String status(long xid) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT pg_xact_status(CAST(CAST(? AS text) AS xid8))")) {
            s.setString(1, Long.toString(xid));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            if (!Outages.isUnavailable(e)) {
                LOG.log(Level.WARNING, "could not ask for the status of transaction " + xid, e);
            }
            return null;
        }
    }

    static ProblemException unknownOutcome() {
        return new ProblemException(new Problem(
                Problem.TYPE_BASE + "service-unavailable",
                "Service Unavailable",
                503,
                "the connection to the database broke while this request was committing, and whether it"
                        + " committed could not be learned within " + WAIT.toSeconds() + " s; send it again"
                        + " with the same Idempotency-Key, which answers the job if it was created",
                null,
                null,
                null));
    }
}
