package io.fairqueue.platform.problem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ejb.EJBException;
import jakarta.persistence.PersistenceException;
import java.net.ConnectException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** An outage of the database is a 503 with Retry-After, wherever it hides in the cause chain; a defect is not. */
class OutagesTest {

    static Throwable wrapped(Throwable root) {
        return new EJBException(new PersistenceException("Exception [EclipseLink-4002]", root));
    }

    @Test
    void connection_sqlstates_and_server_shutdowns_are_outages() {
        for (String state : new String[] {"08001", "08006", "08003", "57P01", "57P02", "57P03", "53300"}) {
            assertTrue(Outages.isUnavailable(wrapped(new SQLException("x", state))), state);
        }
    }

    @Test
    void a_session_ended_for_idling_in_its_transaction_is_an_outage() {
        // what a node frozen mid-transaction meets when it thaws (CreatingDataSource's timeout)
        assertTrue(Outages.isUnavailable(wrapped(
                new SQLException("FATAL: terminating connection due to idle-in-transaction timeout", "25P03"))));
    }

    @Test
    void a_commit_the_connection_could_not_carry_out_is_an_outage_but_a_protocol_error_is_not() {
        // Payara's ConnectorXAResource: the ResourceException survives only in the message
        javax.transaction.xa.XAException lost =
                new javax.transaction.xa.XAException("jakarta.resource.ResourceException:"
                        + " This Managed Connection is not valid as the physical connection is not usable");
        lost.errorCode = javax.transaction.xa.XAException.XAER_RMERR;
        jakarta.transaction.SystemException commit = new jakarta.transaction.SystemException();
        commit.initCause(lost);
        assertTrue(Outages.isUnavailable(new EJBException(commit)));
        javax.transaction.xa.XAException protocol =
                new javax.transaction.xa.XAException(javax.transaction.xa.XAException.XAER_PROTO);
        jakarta.transaction.SystemException misuse = new jakarta.transaction.SystemException();
        misuse.initCause(protocol);
        assertFalse(Outages.isUnavailable(new EJBException(misuse)));
    }

    @Test
    void the_pools_allocation_failure_without_a_sqlstate_is_an_outage() {
        SQLException pool = new SQLException(
                "Error in allocating a connection. Cause: Connection could not be allocated",
                (String) null,
                new ConnectException("Connection refused"));
        assertTrue(Outages.isUnavailable(wrapped(pool)));
        SQLException viaResource = new SQLException(
                "Error in allocating a connection",
                (String) null,
                new jakarta.resource.ResourceException("pool exhausted"));
        assertTrue(Outages.isUnavailable(wrapped(viaResource)));
    }

    @Test
    void defects_and_client_errors_are_not_outages() {
        assertFalse(Outages.isUnavailable(wrapped(new SQLException("syntax error", "42601"))));
        assertFalse(Outages.isUnavailable(wrapped(new SQLException("no state"))));
        assertFalse(Outages.isUnavailable(new IllegalStateException("bug")));
        assertFalse(Outages.isUnavailable(new ConnectException("refused, but not under JDBC: a push callback")));
    }

    @Test
    void a_cause_cycle_ends_the_scan() {
        SQLException a = new SQLException("a", "42000");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertFalse(Outages.isUnavailable(b));
    }

    @Test
    void the_mapper_answers_an_outage_with_the_503_problem() {
        Problem p = UnexpectedExceptionMapper.problemFor(wrapped(new SQLException(
                        "Error in allocating a connection", (String) null, new ConnectException("Connection refused"))))
                .problem();
        assertEquals(503, p.status());
        assertEquals(Problem.TYPE_BASE + "service-unavailable", p.type());
    }

    @Test
    void an_exception_without_a_sqlstate_is_a_logged_500_not_a_crash_of_the_mapper() {
        Problem p = UnexpectedExceptionMapper.problemFor(wrapped(new SQLException("odd, no state")))
                .problem();
        assertEquals(500, p.status());
        assertEquals(Problem.TYPE_BASE + "internal-error", p.type());
    }

    @Test
    void a_deadlock_is_a_409_the_client_may_retry() {
        Problem p = UnexpectedExceptionMapper.problemFor(wrapped(new SQLException("deadlock detected", "40P01")))
                .problem();
        assertEquals(409, p.status());
    }
}
