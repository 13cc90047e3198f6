package io.fairqueue.platform.control;

/**
 * What a transaction tells its caller before the container commits it: PostgreSQL's id of the
 * transaction ({@code pg_current_xact_id()}), a row it wrote, and the answer it will give once
 * committed. When the commit itself fails because the connection broke, the transaction may have
 * committed all the same (PostgreSQL wrote the commit, its reply was lost); {@link CommitOutcomes}
 * then asks PostgreSQL which it was, so that a job that exists is never answered with an error.
 *
 * <p>A plain object passed into the transactional method (an EJB's local view passes it by
 * reference), used by one request thread.
 *
 * @param <T> the answer of the transaction
 */
public final class CommitAttempt<T> {

    /**
     * The current transaction's id as a bigint, for a select list: read in a statement the
     * transaction runs anyway, it costs no round trip.
     */
    public static final String XID = "CAST(CAST(pg_current_xact_id() AS text) AS bigint)";

    private long xid = -1;
    private long witness = -1;
    private T outcome;

    /** The transaction's id, as {@link #XID} gave it. */
    public void began(long transactionId) {
        this.xid = transactionId;
    }

    /**
     * A job this transaction created (the first one counts): a transaction that created none
     * answers the same whether or not it committed. It also vouches for the id: a transaction id
     * PostgreSQL handed out again (after a failover to a standby that had not received the
     * commit) does not find this transaction's job.
     */
    public void wrote(long jobId) {
        if (witness < 0) {
            this.witness = jobId;
        }
    }

    /** The answer, set as the last step of the transaction's method: its work is all done. */
    public void decided(T answer) {
        this.outcome = answer;
    }

    /** True when the method finished its work, so only the commit can have failed. */
    boolean reachedCommit() {
        return outcome != null;
    }

    /** True when the transaction created something, so its answer depends on its commit. */
    boolean wroteAnything() {
        return witness >= 0;
    }

    long xid() {
        return xid;
    }

    long witness() {
        return witness;
    }

    T outcome() {
        return outcome;
    }
}
