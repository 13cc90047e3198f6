-- Table and row locks that several paths share, and the moves of many jobs at once (promotion,
-- clearing a queue, an admin's bulk actions). Tested by SchedulingIT (a limit change cancelling a vacuum of job in
-- flight), TwoNodeRaceIT (the promoter on two nodes moving each job once) and JobLifecycleIT
-- (queue clear, retry backoff, scheduled starts).
--
--   fq_lock_jobs       LOCK TABLE job IN EXCLUSIVE MODE, after cancelling a vacuum of job
--   fq_lock_user_ids   takes users' gates, then locks their rows in id order
--   fq_lock_users      the same for the users of some jobs
--   fq_user_gates      takes users' gates in key order, exclusive or shared (an unkeyed batch)
--   fq_user_gate_class the first key of the user gates' advisory locks
--   fq_promote         due RETRY_WAIT and SCHEDULED jobs become PENDING
--   fq_cancel_waiting  a queue's waiting jobs become CANCELLED
--   fq_bulk_move       an admin's bulk retry, cancel or reprioritize of given jobs
--
-- THE ONE RULE FOR MOVES OF SEVERAL USERS: their gates, then their rows in id order. A
-- transaction that moves jobs of several users takes those users before their lanes: a
-- keyed batch submit, the moves below and a claim's outcomes with failures among them (several
-- statements: LeaseService.applyOutcomes) with these functions; a batch start or complete through
-- the job trigger, which locks the users of its one statement first (R__job_changes.sql); an
-- unkeyed batch submit with its gates only (below). So such moves never deadlock with each other,
-- and the claim (R__claim.sql) never waits for a user row: it skips a locked user for that call. The moves below take their jobs with SKIP LOCKED, so every node may run them at once.
--
-- AN UNKEYED BATCH SUBMIT LOCKS NO USER ROW. It is one INSERT, whose trigger takes the lane guards
-- and then the lanes each in key order (R__job_changes.sql), like every single-statement move; it
-- needs ordering only against the transactions that move jobs of several users in more than one
-- statement (a keyed batch, the promoter's two UPDATEs, a bulk move, a claim's outcomes with
-- failures). Those take, before their users' rows, each user's gate exclusively (an advisory lock,
-- fq_user_gate_class(), hashtext(user id), in key order); the batch takes its users' gates shared,
-- in key order, before its INSERT. Gates conflict only with gates, so the two kinds wait for each
-- other before either holds a guard or a lane, and claims, which take no gate, are not held off by
-- a batch's INSERT (50 ms for 500 jobs): a user's row locked by a batch hid it from every claim
-- until the batch committed, and in the benchmark's first seconds a claim got through only between
-- two batches (benchmark.md, 2026-12-04). A claim still skips a batch's users from the batch's
-- trigger (their guards and lanes) to its commit.

-- A limit change (or a recount) takes LOCK TABLE job IN EXCLUSIVE MODE. A VACUUM of job by
-- FairQueue's vacuum timer holds a lock that conflicts with it for the whole (paced) run, which on
-- a large table is minutes, and while the limit change waits for it every claim and status change
-- queues behind the waiting request. Autovacuum yields to such a waiter; a VACUUM command does
-- not. So the timer vacuums job only while holding this advisory lock in shared mode, and
-- fq_lock_jobs() cancels the holder's statement (the timer then skips the table) until it gets
-- the lock exclusively, then takes the table lock. A new vacuum cannot start on job until the
-- transaction ends (it tries the shared lock and skips the table).
CREATE OR REPLACE FUNCTION fq_lock_jobs() RETURNS void LANGUAGE plpgsql AS $$
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

-- The class (first key) of the user gates' advisory locks; the second key is hashtext(user id).
CREATE OR REPLACE FUNCTION fq_user_gate_class() RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT 7314
$$;

-- Takes the given users' gates in key order: shared for an unkeyed batch submit (which locks no
-- user row, see above), exclusive for the moves of several users in several statements (through
-- fq_lock_user_ids).
DROP FUNCTION IF EXISTS fq_share_user_gates(text[]);
CREATE OR REPLACE FUNCTION fq_user_gates(p_users text[], p_shared boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM CASE WHEN p_shared THEN pg_advisory_xact_lock_shared(fq_user_gate_class(), g.k)
                 ELSE pg_advisory_xact_lock(fq_user_gate_class(), g.k) END
       FROM (SELECT DISTINCT hashtext(u) AS k FROM unnest(p_users) u ORDER BY 1) g;
END $$;

-- Takes the given users' gates exclusively, then locks their rows in id order (a keyed batch
-- submit has user ids before any job exists). Gates first: waiting for a batch's INSERT, this
-- transaction holds no user row that would hide the user from claims.
CREATE OR REPLACE FUNCTION fq_lock_user_ids(p_users text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_user_gates(p_users, false);
    PERFORM 1 FROM fq_user WHERE id = ANY (p_users) ORDER BY id FOR NO KEY UPDATE;
END $$;

-- Locks the users of the given jobs in id order.
CREATE OR REPLACE FUNCTION fq_lock_users(p_jobs bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_lock_user_ids(ARRAY(SELECT DISTINCT user_id FROM job WHERE id = ANY (p_jobs)));
END $$;

-- Promotion: due RETRY_WAIT and SCHEDULED jobs become PENDING, with their audit rows. Every node
-- may run it at once: the jobs are taken with SKIP LOCKED, their users locked in id order.
CREATE OR REPLACE FUNCTION fq_promote(p_now timestamptz, p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    sids bigint[];
    moved integer := 0;
    n integer;
BEGIN
    -- Both kinds are picked first (SKIP LOCKED), then all their users locked once, in id order.
    SELECT array_agg(id) INTO ids FROM (
        SELECT id FROM job WHERE status = 'RETRY_WAIT' AND next_retry_at <= p_now
         ORDER BY next_retry_at LIMIT p_limit FOR UPDATE SKIP LOCKED) due;
    SELECT array_agg(id) INTO sids FROM (
        SELECT id FROM job WHERE status = 'SCHEDULED' AND scheduled_start_at <= p_now
         ORDER BY scheduled_start_at LIMIT p_limit FOR UPDATE SKIP LOCKED) due;
    IF ids IS NOT NULL OR sids IS NOT NULL THEN
        PERFORM fq_lock_users(coalesce(ids, '{}') || coalesce(sids, '{}'));
    END IF;
    -- RETRY_WAIT whose backoff elapsed (job_retry_due_idx)
    IF ids IS NOT NULL THEN
        WITH moved_rows AS (
            UPDATE job SET status = 'PENDING', next_retry_at = NULL, version = version + 1
             WHERE id = ANY (ids) AND status = 'RETRY_WAIT' RETURNING id)
        INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
        SELECT id, 'RETRY_WAIT', 'PENDING', p_now, NULL, 'retry backoff elapsed' FROM moved_rows;
        GET DIAGNOSTICS n = ROW_COUNT;
        moved := moved + n;
    END IF;
    -- SCHEDULED whose start time came (job_scheduled_due_idx)
    IF sids IS NOT NULL THEN
        WITH moved_rows AS (
            UPDATE job SET status = 'PENDING', version = version + 1
             WHERE id = ANY (sids) AND status = 'SCHEDULED' RETURNING id)
        INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
        SELECT id, 'SCHEDULED', 'PENDING', p_now, NULL, 'start time reached' FROM moved_rows;
        GET DIAGNOSTICS n = ROW_COUNT;
        moved := moved + n;
    END IF;
    PERFORM fq_compact_pending();
    RETURN moved;
END $$;

-- "Clear a queue": its waiting jobs (PENDING, SCHEDULED, RETRY_WAIT, PAUSED), of one user or all,
-- become CANCELLED with their audit rows. Nothing is deleted. Users are locked first, in id order;
-- a job that another transaction holds right now (being claimed, paused) is left alone.
CREATE OR REPLACE FUNCTION fq_cancel_waiting(p_queue text, p_user text, p_now timestamptz, p_by text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    -- Ordered against fq_recount and limit changes (EXCLUSIVE on job) before any row lock.
    LOCK TABLE job IN ROW EXCLUSIVE MODE;
    PERFORM 1 FROM fq_user
      WHERE id IN (SELECT DISTINCT user_id FROM job
                    WHERE queue = p_queue AND status IN ('PENDING', 'SCHEDULED', 'RETRY_WAIT', 'PAUSED')
                      AND (p_user IS NULL OR user_id = p_user))
      ORDER BY id FOR NO KEY UPDATE;
    WITH picked AS (
        SELECT id, status FROM job
         WHERE queue = p_queue AND status IN ('PENDING', 'SCHEDULED', 'RETRY_WAIT', 'PAUSED')
           AND (p_user IS NULL OR user_id = p_user)
         ORDER BY id FOR UPDATE SKIP LOCKED),
    moved AS (
        UPDATE job j SET status = 'CANCELLED', finished_at = p_now, next_retry_at = NULL, version = j.version + 1
          FROM picked p WHERE j.id = p.id
        RETURNING j.id, p.status AS from_status)
    INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
    SELECT id, from_status, 'CANCELLED', p_now, p_by, 'queue cleared' FROM moved;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- An admin's bulk action (POST /admin/jobs/bulk) on the given jobs: 'retry' (FAILED: a new PENDING
-- job with retry_of each, once per dead letter), 'cancel' (PENDING, SCHEDULED, RETRY_WAIT, PAUSED
-- become CANCELLED) or 'reprioritize' (the same waiting states get p_priority, an audit row with the
-- same from and to status, as the reorder). Every audit row carries p_by and p_reason, in this
-- transaction. The jobs are taken with SKIP LOCKED: one that a claim, a worker or another admin holds
-- right now is skipped (and reported), never waited for or moved twice; one whose status changed
-- meanwhile no longer qualifies. Then their users are locked in id order (THE ONE RULE above) and
-- the job trigger keeps counters, lanes and positions right. Answers one row per given id: the job
-- moved (new_job_id: the retry's new job), or skipped with why.
CREATE OR REPLACE FUNCTION fq_bulk_move(p_action text, p_ids bigint[], p_priority integer, p_now timestamptz,
                                        p_by text, p_reason text)
RETURNS TABLE (job_id bigint, new_job_id bigint, skipped text) LANGUAGE plpgsql AS $$
DECLARE
    src    text[] := CASE p_action WHEN 'retry' THEN ARRAY['FAILED']
                                   ELSE ARRAY['PENDING', 'SCHEDULED', 'RETRY_WAIT', 'PAUSED'] END;
    picked bigint[];
BEGIN
    IF p_action NOT IN ('retry', 'cancel', 'reprioritize') THEN
        RAISE EXCEPTION 'unknown bulk action %', p_action;
    END IF;
    -- Ordered against fq_recount and limit changes (EXCLUSIVE on job) before any row lock.
    LOCK TABLE job IN ROW EXCLUSIVE MODE;
    picked := ARRAY(SELECT j.id FROM job j WHERE j.id = ANY (p_ids) AND j.status = ANY (src)
                     ORDER BY j.id FOR UPDATE SKIP LOCKED);
    IF p_action = 'retry' THEN
        -- a dead letter is retried once (job_retry_of_idx), however often the filter is sent
        picked := ARRAY(SELECT x FROM unnest(picked) x
                         WHERE NOT EXISTS (SELECT 1 FROM job r WHERE r.retry_of = x) ORDER BY x);
    END IF;
    IF cardinality(picked) > 0 THEN
        PERFORM fq_lock_users(picked);
        IF p_action = 'retry' THEN
            RETURN QUERY
            WITH created AS (
                INSERT INTO job (queue, user_id, project_id, type, payload, priority, status, off_peak_only,
                                 attempts, max_retries, retry_of, created_at)
                SELECT f.queue, f.user_id, f.project_id, f.type, f.payload, f.priority, 'PENDING', f.off_peak_only,
                       0, f.max_retries, f.id, p_now
                  FROM job f WHERE f.id = ANY (picked) ORDER BY f.id
                RETURNING id, retry_of),
            audited AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT c.id, NULL, 'PENDING', p_now, p_by, p_reason FROM created c ORDER BY c.id
                RETURNING 1)
            SELECT c.retry_of, c.id, NULL::text FROM created c ORDER BY c.retry_of;
        ELSIF p_action = 'cancel' THEN
            RETURN QUERY
            WITH moved AS (
                UPDATE job j SET status = 'CANCELLED', finished_at = p_now, next_retry_at = NULL, version = j.version + 1
                  FROM (SELECT o.id, o.status FROM job o WHERE o.id = ANY (picked)) p
                 WHERE j.id = p.id
                RETURNING j.id, p.status AS from_status),
            audited AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT m.id, m.from_status, 'CANCELLED', p_now, p_by, p_reason FROM moved m ORDER BY m.id
                RETURNING 1)
            SELECT m.id, NULL::bigint, NULL::text FROM moved m ORDER BY m.id;
        ELSE
            RETURN QUERY
            WITH moved AS (
                UPDATE job j SET priority = p_priority, version = j.version + 1
                 WHERE j.id = ANY (picked)
                RETURNING j.id, j.status),
            audited AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
                SELECT m.id, m.status, m.status, p_now, p_by, p_reason FROM moved m ORDER BY m.id
                RETURNING 1)
            SELECT m.id, NULL::bigint, NULL::text FROM moved m ORDER BY m.id;
        END IF;
    END IF;
    RETURN QUERY
    SELECT i, NULL::bigint,
           CASE WHEN j.id IS NULL THEN 'not found'
                WHEN NOT (j.status = ANY (src)) THEN 'is ' || j.status || '; ' || p_action || ' applies to '
                                                     || array_to_string(src, ', ')
                WHEN p_action = 'retry' AND EXISTS (SELECT 1 FROM job r WHERE r.retry_of = i) THEN 'already retried'
                ELSE 'held by another transaction (being claimed or changed); try again' END
      FROM unnest(p_ids) i LEFT JOIN job j ON j.id = i
     WHERE NOT (i = ANY (picked))
     ORDER BY i;
END $$;
