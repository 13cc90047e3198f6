-- FairQueue schema v8: a limit change (or a recount) takes LOCK TABLE job IN EXCLUSIVE MODE. A
-- VACUUM of job by FairQueue's vacuum timer holds a lock that conflicts with it for the whole
-- (paced) run, which on a large table is minutes, and while the limit change waits for it every
-- claim and status change queues behind the waiting request. Autovacuum yields to such a waiter;
-- a VACUUM command does not. So the timer vacuums job only while holding this advisory lock in
-- shared mode, and fq_lock_jobs() cancels the holder's statement (the timer then skips the table)
-- until it gets the lock exclusively, then takes the table lock. A new vacuum cannot start on job
-- until the transaction ends (it tries the shared lock and skips the table).
CREATE FUNCTION fq_lock_jobs() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOOP
        PERFORM pg_cancel_backend(l.pid)
           FROM pg_locks l
          WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ShareLock'
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = (7312220041 >> 32)::oid AND l.objid = (7312220041 & 4294967295)::oid
            AND l.objsubid = 1 AND l.pid <> pg_backend_pid();
        EXIT WHEN pg_try_advisory_xact_lock(7312220041);
        PERFORM pg_sleep(0.01);
    END LOOP;
    LOCK TABLE job IN EXCLUSIVE MODE;
END $$;

-- the recount takes the same path to its table lock (its own LOCK TABLE is then a no-op)
ALTER FUNCTION fq_recount(boolean) RENAME TO fq_recount_v5;
CREATE FUNCTION fq_recount(p_repair boolean)
    RETURNS TABLE (kind text, key text, stored bigint, actual bigint) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_lock_jobs();
    RETURN QUERY SELECT * FROM fq_recount_v5(p_repair);
END $$;
