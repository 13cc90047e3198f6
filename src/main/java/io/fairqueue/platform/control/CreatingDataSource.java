package io.fairqueue.platform.control;

import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * PostgreSQL datasource that creates its database on first use when it does not exist yet
 * (SQLSTATE 3D000). The container connects at deploy time, before any application code runs,
 * so this is the one place early enough for "database created if absent".
 */
public class CreatingDataSource extends PGSimpleDataSource {

    private static final long serialVersionUID = 1L;
    private static final String INVALID_CATALOG = "3D000";

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
