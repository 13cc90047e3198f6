package io.fairqueue.platform.control;

import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * PostgreSQL datasource that creates its database on first use when it does not exist yet
 * (SQLSTATE 3D000). The container connects at deploy time, before any application code runs,
 * so this is the one place early enough for "database created if absent".
 *
 * <p>Its sessions may sit idle inside a transaction for at most {@link #IDLE_IN_TRANSACTION_TIMEOUT};
 * then PostgreSQL ends the session and its locks go. FairQueue's transactions run their statements
 * back to back (no HTTP call and no wait inside one), so only a node that stopped in the middle of
 * one (frozen, suspended, cut off) reaches that bound. Without it such a node would keep the rows
 * it had locked until it came back: a limited queue's counter row, which every claim of the queue
 * takes first, would stall that queue on every node, and a job's row would hide the job from the
 * lease reaper. The bound equals the shortest lease (5 s), so a stuck node holds up nothing longer
 * than its leases run.
 */
public class CreatingDataSource extends PGSimpleDataSource {

    private static final long serialVersionUID = 1L;
    private static final String INVALID_CATALOG = "3D000";

    /** PostgreSQL's {@code idle_in_transaction_session_timeout} for every session of the pool. */
    static final String IDLE_IN_TRANSACTION_TIMEOUT = "5s";

    public CreatingDataSource() {
        // set before the container's properties: setURL keeps what is set already
        setOptions("-c idle_in_transaction_session_timeout=" + IDLE_IN_TRANSACTION_TIMEOUT);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return getConnection(getUser(), getPassword());
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
        try {
            return super.getConnection(user, password);
        } catch (SQLException e) {
            if (!INVALID_CATALOG.equals(e.getSQLState())) {
                throw e;
            }
            DatabaseCreator.ensureExists(getURL(), user, password);
            return super.getConnection(user, password);
        }
    }
}
