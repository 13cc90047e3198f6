package io.fairqueue.platform.control;

/**
 * What a transaction tells its caller before the container commits it: PostgreSQL's id of the
 * transaction ({@code pg_current_xact_id()}) and the answer it will give once committed. When the
 * commit itself fails because the connection broke, the transaction may have committed all the
 * same (PostgreSQL wrote the commit, its reply was lost); {@link CommitOutcomes} then asks
 * PostgreSQL which it was, so that a job that exists is never answered with an error.
 *
 * <p>A plain object passed into the transactional method (an EJB's local view passes it by
 * reference), used by one request thread.
 *
 * @param <T> the answer of the transaction
 */
public final class CommitAttempt<T> {

    private long xid = -1;
    private T outcome;

    /** The transaction's id, as {@code CAST(CAST(pg_current_xact_id() AS text) AS bigint)} gave it. */
    public void began(long transactionId) {
        this.xid = transactionId;
    }

    /** The answer, set as the last step of the transaction's method: its work is all done. */
    public void decided(T answer) {
        this.outcome = answer;
    }

    /** True when the method finished its work, so only the commit can have failed. */
    boolean reachedCommit() {
        return xid >= 0 && outcome != null;
    }

    long xid() {
        return xid;
    }

    T outcome() {
        return outcome;
    }
}
