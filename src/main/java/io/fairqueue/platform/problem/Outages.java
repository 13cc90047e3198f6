package io.fairqueue.platform.problem;

import java.net.ConnectException;
import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import javax.transaction.xa.XAException;

/**
 * Tells an outage of PostgreSQL (or of the connection pool in front of it) from a defect. An
 * outage answers 503 with {@code Retry-After}: the request may be sent again (its transaction
 * rolled back, or never began; a submit whose commit's fate could not be learned says so in its
 * detail, see {@code CommitOutcomes}); anything else that nobody mapped is a 500 whose cause is
 * logged.
 *
 * <p>What counts as an outage, wherever it sits in the cause chain (EJB, JPA, JTA and the pool
 * each wrap it):
 * <ul>
 *   <li>an {@link SQLException} in SQLSTATE class 08 (connection exception) or one of 57P01
 *       (admin shutdown), 57P02 (crash shutdown), 57P03 (cannot connect now), 53300 (too many
 *       connections), 53000 / 53100 / 53200 (insufficient resources), 25P03 (the session sat idle
 *       inside its transaction too long and PostgreSQL ended it: a node that was frozen mid-transaction,
 *       see {@code CreatingDataSource}; the transaction rolled back);</li>
 *   <li>the pool's "cannot allocate a connection" failure, which carries no SQLSTATE at all (its
 *       {@code PoolingException} or {@code ResourceException} cause, or the JDBC connection
 *       exception classes);</li>
 *   <li>a refused or broken socket under a JDBC call;</li>
 *   <li>a commit the database connection could not carry out: Payara's connector turns any
 *       failure of the local commit into an {@link XAException} {@code XAER_RMERR} that keeps the
 *       cause in its message only (for example "This Managed Connection is not valid as the
 *       physical connection is not usable"), under the transaction manager's
 *       {@code SystemException}. FairQueue has no deferred constraints and runs at READ COMMITTED,
 *       so PostgreSQL refuses no commit for its own reasons: a failed commit is a lost
 *       connection. Its outcome is in doubt only if the connection broke after the commit was
 *       sent: a submit then asks PostgreSQL what became of its transaction
 *       ({@code CommitOutcomes}) and answers the job it committed instead of this 503.</li>
 * </ul>
 */
public final class Outages {

    static final Set<String> UNAVAILABLE_SQL_STATES =
            Set.of("57P01", "57P02", "57P03", "53300", "53000", "53100", "53200", "25P03");

    private static final Set<String> POOL_FAILURES = Set.of(
            "com.sun.appserv.connectors.internal.api.PoolingException",
            "jakarta.resource.ResourceException",
            "javax.resource.ResourceException",
            "jakarta.resource.spi.ResourceAllocationException",
            "com.sun.enterprise.resource.allocator.ResourceAllocationException");

    private Outages() {}

    /** True when {@code e}, or anything it wraps, says the database cannot be reached or used now. */
    public static boolean isUnavailable(Throwable e) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        return scan(e, seen, false);
    }

    private static boolean scan(Throwable t, Map<Throwable, Boolean> seen, boolean underSql) {
        if (t == null || seen.put(t, Boolean.TRUE) != null || seen.size() > 64) {
            return false;
        }
        if (t instanceof SQLException sql) {
            String state = sql.getSQLState();
            if (state != null && (state.startsWith("08") || UNAVAILABLE_SQL_STATES.contains(state))) {
                return true;
            }
            if (sql instanceof SQLNonTransientConnectionException || sql instanceof SQLTransientConnectionException) {
                return true;
            }
            if (scan(sql.getNextException(), seen, true)) {
                return true;
            }
        }
        if (t instanceof XAException xa
                && (xa.errorCode == XAException.XAER_RMERR
                        || xa.errorCode == XAException.XAER_RMFAIL
                        || xa.errorCode == XAException.XA_RBCOMMFAIL)) {
            return true;
        }
        if (isPoolFailure(t.getClass())) {
            return true;
        }
        if (underSql && (t instanceof ConnectException || t instanceof SocketException)) {
            return true;
        }
        boolean sqlBelow = underSql || t instanceof SQLException;
        for (Throwable s : t.getSuppressed()) {
            if (scan(s, seen, sqlBelow)) {
                return true;
            }
        }
        return scan(t.getCause(), seen, sqlBelow);
    }

    private static boolean isPoolFailure(Class<?> type) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            if (POOL_FAILURES.contains(c.getName())) {
                return true;
            }
        }
        return false;
    }

    /** How long a client should wait before trying again, in seconds. */
    public static final int RETRY_AFTER_SECONDS = 2;

    public static ProblemException unavailable() {
        return unavailable("the database cannot be reached right now; retry after " + RETRY_AFTER_SECONDS
                + " s (a submit with an Idempotency-Key is safe to repeat)");
    }

    /** The 503 problem, with {@code Retry-After}, saying {@code detail}. */
    public static ProblemException unavailable(String detail) {
        return new ProblemException(new Problem(
                Problem.TYPE_BASE + "service-unavailable", "Service Unavailable", 503, detail, null, null, null));
    }
}
