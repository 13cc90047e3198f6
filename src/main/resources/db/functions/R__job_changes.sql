-- What every change of a job does to the rows derived from jobs, in the same transaction: the
-- counters behind the limits, the lanes the claim reads, the position and status-count deltas,
-- the usage behind quotas, and the wake-ups of waiting claims. The triggers themselves (job_inserted,
-- job_updated: per statement, over transition tables; job_deleted: per row) are tables' business
-- and live in the V files (see db/schema.sql); their functions live here.
--
--   fq_jobs_inserted, fq_jobs_updated  the statement triggers: collect the changed jobs
--   fq_apply_changes                   applies one statement's changes, grouped
--   fq_slot_delta                      +1 / -1 / 0: does a change take or give back a slot
--   fq_job_deleted                     the archiver's DELETE: counts by status
--
-- PER STATEMENT. The work is done once per statement over its transition tables: one counter
-- UPDATE per user, one per queue, one lane update per lane, one usage append, grouped deltas. A
-- single-row UPDATE (the JPA paths) does what a row trigger would; a statement that moves 50 jobs
-- (a claim, the promoter, a batch) does it once instead of 50 times. Whatever path changes a
-- status (JPA, the bulk statements, the claim), counters and lanes stay equal to a recount
-- (R__recount.sql). Lock order: job -> fq_user (id order) -> queue -> settings -> lane (key
-- order), as in the claim (R__claim.sql); usage is appended without a lock (usage_delta).
--
-- SUBMITS TAKE NO USER LOCK. A user's pending count is derived from the position counts
-- (fq_user_pending, R__counts_and_positions.sql), not kept on the user's row: a submit that held
-- that row until commit would hide its user from claims (they skip locked users). A job that
-- becomes PENDING takes its user's lane guard (shared, see LANE GUARDS), no row lock. (A batch of
-- one INSERT takes its users' gates shared, a keyed batch their rows: R__locks_and_bulk_moves.sql.)
--
-- LANES WITHOUT A HEAD KEEP NO COUNTS. A change of a user's running count rewrites user_running
-- and blocked only on the user's lanes with a head: those columns are sort and filter keys of
-- lane_claim_idx, and lanes are never deleted, so rewriting every lane the user ever had (one per
-- queue, project and off-peak flag) made a new row version with new index entries each time (in
-- the benchmark's end-to-end runs 314,564 lane updates for 50,000 jobs). A lane without a head
-- takes both values when it gets a head. A lane whose head leaves in the same statement (as in
-- every claim) takes them with its next head: one write of the lane per claim, not two.
--
-- LANE GUARDS. A lane that gets a head copies its user's running count (and blocked flag), which
-- must not change until the copy commits; a change of the count must see every lane that has a
-- head. So each user has a guard, a transaction-level advisory lock (fq_lane_guard_class(),
-- hashtext(user id)): a statement that changes a user's count takes it exclusively, one whose
-- jobs give a lane a head or take one away takes it shared, both before they lock any lane (lock
-- order: job -> fq_user -> lane guards -> queue -> settings -> lane). The count's change
-- then locks and rewrites the user's lanes that have a head, read in a later statement than the
-- guard: a lane that got its head from a guarded transaction that committed first is seen, one
-- whose transaction is still open cannot exist (it holds the guard). The guard replaced a row
-- lock on every lane the user ever had: in the benchmark's end-to-end runs each user had 14
-- lanes (one per queue), and those locks were 13 % of the WAL records. An advisory lock writes
-- no WAL and is never on disk; a hash collision of two users only makes them wait for each other.
--
-- WAKE-UPS. A job that becomes PENDING notifies channel fq_claimable with its queue's name; a
-- release that lifts a reached user, queue or global limit notifies with '*', since it may
-- unblock any queue. Waiting long-poll claims on every node LISTEN (ClaimWakeups); PostgreSQL
-- delivers at commit and folds equal notifications of one transaction.
--
-- No identity column in any table written here: EclipseLink reads a new job's id with lastval(),
-- which a sequence used by the trigger would change.

CREATE OR REPLACE FUNCTION fq_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_apply_changes(ARRAY(
        SELECT ROW(n.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   n.user_id, n.queue, n.project_id, n.off_peak_only, n.created_at, n.status, n.priority,
                   n.actual_duration_secs)::fq_change
          FROM new_jobs n));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION fq_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ch fq_change[];
BEGIN
    ch := ARRAY(
        SELECT ROW(n.id, o.user_id, o.queue, o.project_id, o.off_peak_only, o.created_at, o.status, o.priority,
                   o.started_at, o.claimed_at,
                   n.user_id, n.queue, n.project_id, n.off_peak_only, n.created_at, n.status, n.priority,
                   n.actual_duration_secs)::fq_change
          FROM old_jobs o JOIN new_jobs n ON n.id = o.id
         WHERE o.status <> n.status OR o.priority <> n.priority
         ORDER BY n.id);
    IF cardinality(ch) > 0 THEN
        PERFORM fq_apply_changes(ch);
    END IF;
    RETURN NULL;
END $$;

-- One statement's changed jobs (type fq_change: the old values, null for an insert, and the new).
-- Its statements take the array as a parameter, and PL/pgSQL planned them afresh on every call
-- (custom plans): 1 ms of planning per call, outside pg_stat_statements' times; a claim of 10 jobs
-- by fq_claim_each took 19.5 ms with it and 12.5 ms with generic plans (psql \timing, 20 calls).
CREATE OR REPLACE FUNCTION fq_apply_changes(ch fq_change[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    serial   boolean;
    wake     boolean := false;
    tz       text;
    -- the users whose running count changes (their jobs take or give back a slot)
    counted  text[] := ARRAY(SELECT DISTINCT c.n_user FROM unnest(ch) c WHERE fq_slot_delta(c.o_status, c.n_status) <> 0);
    -- the jobs that stop being their lane's candidates (no longer PENDING, or a new priority)
    leaving  bigint[] := ARRAY(SELECT c.id FROM unnest(ch) c
                                WHERE c.o_status = 'PENDING' AND (c.n_status <> 'PENDING' OR c.o_priority <> c.n_priority));
    -- the jobs that become their lane's candidates (PENDING now, or PENDING with a new priority)
    arriving bigint[] := ARRAY(SELECT c.id FROM unnest(ch) c
                                WHERE c.n_status = 'PENDING' AND (c.o_status IS DISTINCT FROM 'PENDING' OR c.o_priority <> c.n_priority));
BEGIN
    -- counts by status and tier
    INSERT INTO job_count_delta (queue, status, tier, delta)
    SELECT queue, status, tier, sum(delta) FROM (
        SELECT c.o_queue, c.o_status, fq_tier(c.o_priority), -1 FROM unnest(ch) c
         WHERE c.o_status IS NOT NULL AND (c.o_status <> c.n_status OR fq_tier(c.o_priority) <> fq_tier(c.n_priority))
        UNION ALL
        SELECT c.n_queue, c.n_status, fq_tier(c.n_priority), 1 FROM unnest(ch) c
         WHERE c.o_status IS NULL OR c.o_status <> c.n_status OR fq_tier(c.o_priority) <> fq_tier(c.n_priority)) d(queue, status, tier, delta)
     GROUP BY 1, 2, 3
    HAVING sum(delta) <> 0;

    -- The users whose counters change, locked first and in id order (the lock order is users,
    -- then lane guards, then lanes). A job that becomes PENDING locks no user, not
    -- even for a new lane: the lane guard keeps its user's count still while the lane copies it.
    PERFORM 1 FROM fq_user
      WHERE id = ANY (counted)
      ORDER BY id FOR NO KEY UPDATE;

    -- The lane guards (see LANE GUARDS above), after the user rows and before any lane: exclusive
    -- for the users whose running count changes here, shared for those whose lanes get or lose a
    -- head; in key order, so that two statements cannot wait for each other's guards.
    PERFORM CASE WHEN g.counts THEN pg_advisory_xact_lock(fq_lane_guard_class(), g.k)
                 ELSE pg_advisory_xact_lock_shared(fq_lane_guard_class(), g.k) END
       FROM (SELECT hashtext(c.n_user) AS k, bool_or(c.n_user = ANY (counted)) AS counts
               FROM unnest(ch) c
              WHERE c.n_user = ANY (counted) OR c.id = ANY (leaving) OR c.id = ANY (arriving)
              GROUP BY 1
              ORDER BY 1) g;

    -- slots taken and given back: users, limited queues, the global count, the users' lanes, usage
    IF cardinality(counted) > 0 THEN
        SELECT per_user_serialization INTO serial FROM settings WHERE id = 1;
        PERFORM 1 FROM lane
          WHERE user_id = ANY (counted) AND head_job_id IS NOT NULL
          ORDER BY user_id, queue, project_key, off_peak FOR NO KEY UPDATE;
        WITH d AS (
            SELECT c.n_user AS id, sum(fq_slot_delta(c.o_status, c.n_status)) AS d,
                   count(*) FILTER (WHERE fq_slot_delta(c.o_status, c.n_status) < 0) AS released
              FROM unnest(ch) c WHERE fq_slot_delta(c.o_status, c.n_status) <> 0 GROUP BY 1),
        u AS (
            UPDATE fq_user u SET running = u.running + d.d FROM d
             WHERE u.id = d.id AND d.d <> 0
            RETURNING u.id, u.running, u.max_concurrent, d.d, d.released),
        -- only lanes with a head: the others are in no claim's index, and get both when they get a
        -- head; and not the lanes whose head leaves in this statement: they get both with their
        -- next head below, so that a claim writes such a lane once, not twice
        l AS (
            UPDATE lane l SET user_running = u.running, blocked = serial AND u.running >= u.max_concurrent
              FROM u WHERE l.user_id = u.id AND l.head_job_id IS NOT NULL
               AND l.head_job_id <> ALL (leaving) -- a head is a job of its own lane, whose key never changes
            RETURNING 1)
        -- a release wakes waiting claims only when it lifted a limit that was reached: a notifying
        -- commit takes PostgreSQL's global notify lock, so notify only when useful (a statement
        -- that took and gave back slots of one user in equal numbers would not wake: none does)
        SELECT coalesce(bool_or(u.released > 0 AND u.running - u.d >= u.max_concurrent), false) INTO wake FROM u;

        -- claims raise a limited queue's count (only fq_claim dispatches, holding the queue's row);
        -- releases append to queue_release without the row (see R__claim.sql)
        UPDATE queue q SET running = q.running + d.k
          FROM (SELECT c.n_queue, count(*) AS k FROM unnest(ch) c
                 WHERE fq_slot_delta(c.o_status, c.n_status) > 0 GROUP BY 1) d
         WHERE q.name = d.n_queue AND q.max_concurrent IS NOT NULL;
        WITH r AS (
            INSERT INTO queue_release (queue, n)
            SELECT q.name, -d.k
              FROM (SELECT c.n_queue, count(*) AS k FROM unnest(ch) c
                     WHERE fq_slot_delta(c.o_status, c.n_status) < 0 GROUP BY 1) d
              JOIN queue q ON q.name = d.n_queue AND q.max_concurrent IS NOT NULL
            RETURNING queue)
        -- the counter's base is never below the true count: a wake-up may be needless, never missed
        SELECT wake OR coalesce(bool_or(q.running >= q.max_concurrent), false) INTO wake
          FROM r JOIN queue q ON q.name = r.queue;
        WITH d AS (SELECT sum(fq_slot_delta(c.o_status, c.n_status)) AS d,
                          count(*) FILTER (WHERE fq_slot_delta(c.o_status, c.n_status) < 0) AS released
                     FROM unnest(ch) c),
        g AS (UPDATE settings s SET running = s.running + d.d FROM d
               WHERE s.id = 1 AND s.global_slots IS NOT NULL AND d.d <> 0
              RETURNING s.running, s.global_slots, d.d, d.released)
        SELECT wake OR coalesce(bool_or(g.released > 0 AND g.running - g.d >= g.global_slots), false) INTO wake FROM g;

        -- run time of ended attempts, per user and project and the local day they ended in:
        -- appended, no lock (folded into usage's day, week and month by fq_compact_usage,
        -- R__quotas.sql)
        tz := fq_quota_tz();
        INSERT INTO usage_delta (scope, key, day, secs)
        SELECT k.scope, k.key, e.local::date, sum(e.secs)
          FROM (SELECT c.n_user, c.n_project, c.n_duration AS secs,
                       (coalesce(c.o_started, c.o_claimed) + make_interval(secs => c.n_duration)) AT TIME ZONE tz AS local
                  FROM unnest(ch) c
                 WHERE fq_slot_delta(c.o_status, c.n_status) < 0 AND c.n_duration > 0) e
         CROSS JOIN LATERAL (VALUES ('USER', e.n_user), ('PROJECT', e.n_project)) k(scope, key)
         WHERE k.key IS NOT NULL
         GROUP BY 1, 2, 3;
    END IF;

    -- jobs that stopped being PENDING (or changed priority): positions, and their lanes' heads
    IF cardinality(leaving) > 0 THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        SELECT c.o_user, c.o_priority, fq_minute(c.o_created), -count(*) FROM unnest(ch) c
         WHERE c.id = ANY (leaving)
         GROUP BY 1, 2, 3;
        -- The lanes are locked first (key order), so the head query's fresh snapshot sees every
        -- job committed before: a concurrent offer either committed already or waits and compares
        -- with the new head (as fq_lane_refresh in R__recount.sql does for one lane). NO KEY
        -- UPDATE, the mode of every lane lock and of the UPDATE below: a claim's counters took
        -- these very lanes so above, and a stronger mode would lock each of them again (a WAL
        -- record per lane); nothing takes a key-share lock on a lane (no foreign key names it).
        PERFORM 1 FROM lane l
          WHERE (l.user_id, l.queue, l.project_key, l.off_peak) IN (
                SELECT c.o_user, c.o_queue, coalesce(c.o_project, ''), c.o_off_peak FROM unnest(ch) c
                 WHERE c.id = ANY (leaving))
          ORDER BY l.user_id, l.queue, l.project_key, l.off_peak
            FOR NO KEY UPDATE;
        -- With the next head, the user's running count and blocked flag (the counters above left
        -- these lanes alone): read under the user's lane guard, which any change of the user's
        -- count takes exclusively before it changes the count, so the read sees the count as it
        -- stays until commit.
        IF serial IS NULL THEN
            SELECT per_user_serialization INTO serial FROM settings WHERE id = 1;
        END IF;
        UPDATE lane l SET (head_job_id, head_priority, head_created_at) = (
               SELECT j.id, j.priority, j.created_at FROM job j
                WHERE j.user_id = l.user_id AND j.queue = l.queue AND coalesce(j.project_id, '') = l.project_key
                  AND j.off_peak_only = l.off_peak AND j.status = 'PENDING'
                ORDER BY j.priority DESC, j.created_at, j.id
                LIMIT 1),
               user_running = u.running, blocked = serial AND u.running >= u.max_concurrent
          FROM fq_user u
         WHERE u.id = l.user_id
           AND l.head_job_id = ANY (leaving)
           AND (l.user_id, l.queue, l.project_key, l.off_peak) IN (
                SELECT c.o_user, c.o_queue, coalesce(c.o_project, ''), c.o_off_peak FROM unnest(ch) c
                 WHERE c.id = ANY (leaving));
    END IF;

    -- jobs that became PENDING (or changed priority): positions, lanes (new heads, new lanes), wake-ups
    IF cardinality(arriving) > 0 THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        SELECT c.n_user, c.n_priority, fq_minute(c.n_created), count(*) FROM unnest(ch) c
         WHERE c.id = ANY (arriving)
         GROUP BY 1, 2, 3;
        -- Existing lanes are locked even where the job does not become the head: until this
        -- statement's transaction commits, a claim of the head must wait and then see the job.
        -- A lane without a head (or a new one) takes its user's running count and blocked flag
        -- with its new head, read under the user's lane guard: a counter change of the user takes
        -- the guard exclusively before it changes the count, so either it committed before this
        -- statement's guard was granted (the read below sees it) or it waits for this transaction
        -- and then finds the lane with a head.
        PERFORM 1 FROM lane l
          WHERE (l.user_id, l.queue, l.project_key, l.off_peak) IN (
                SELECT c.n_user, c.n_queue, coalesce(c.n_project, ''), c.n_off_peak FROM unnest(ch) c
                 WHERE c.id = ANY (arriving))
          ORDER BY l.user_id, l.queue, l.project_key, l.off_peak
            FOR NO KEY UPDATE;
        IF serial IS NULL THEN
            SELECT per_user_serialization INTO serial FROM settings WHERE id = 1;
        END IF;
        INSERT INTO lane AS l (user_id, queue, project_key, off_peak, head_job_id, head_priority, head_created_at,
                               user_running, blocked)
        SELECT b.n_user, b.n_queue, b.project_key, b.n_off_peak, b.id, b.n_priority, b.n_created,
               u.running, serial AND u.running >= u.max_concurrent
          FROM (SELECT DISTINCT ON (c.n_user, c.n_queue, coalesce(c.n_project, ''), c.n_off_peak)
                       c.n_user, c.n_queue, coalesce(c.n_project, '') AS project_key, c.n_off_peak, c.id, c.n_priority, c.n_created
                  FROM unnest(ch) c
                 WHERE c.id = ANY (arriving)
                 ORDER BY c.n_user, c.n_queue, coalesce(c.n_project, ''), c.n_off_peak, c.n_priority DESC, c.n_created, c.id) b
          JOIN fq_user u ON u.id = b.n_user
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (user_id, queue, project_key, off_peak) DO UPDATE
           SET head_job_id = EXCLUDED.head_job_id, head_priority = EXCLUDED.head_priority,
               head_created_at = EXCLUDED.head_created_at,
               user_running = EXCLUDED.user_running, blocked = EXCLUDED.blocked
         WHERE l.head_job_id IS NULL
            OR EXCLUDED.head_priority > l.head_priority
            OR (EXCLUDED.head_priority = l.head_priority
                AND (EXCLUDED.head_created_at, EXCLUDED.head_job_id) < (l.head_created_at, l.head_job_id));
        PERFORM pg_notify('fq_claimable', q) FROM (
            SELECT DISTINCT c.n_queue AS q FROM unnest(ch) c
             WHERE c.n_status = 'PENDING' AND c.o_status IS DISTINCT FROM 'PENDING' ORDER BY 1) nq;
    END IF;

    IF wake THEN
        PERFORM pg_notify('fq_claimable', '*');
    END IF;
END $$;

-- The class (first key) of the lane guards' advisory locks; the second key is hashtext(user id).
CREATE OR REPLACE FUNCTION fq_lane_guard_class() RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT 7313
$$;

-- +1 if the change takes a slot (DISPATCHED or RUNNING), -1 if it gives one back, else 0.
CREATE OR REPLACE FUNCTION fq_slot_delta(o_status text, n_status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN n_status IN ('DISPATCHED', 'RUNNING') AND o_status IS DISTINCT FROM 'DISPATCHED'
                     AND o_status IS DISTINCT FROM 'RUNNING' THEN 1
                WHEN o_status IN ('DISPATCHED', 'RUNNING') AND n_status NOT IN ('DISPATCHED', 'RUNNING') THEN -1
                ELSE 0 END
$$;

-- The archiver deletes terminal jobs (R__archive.sql): they stop being counted by status.
CREATE OR REPLACE FUNCTION fq_job_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_count_delta (queue, status, tier, delta) VALUES (OLD.queue, OLD.status, fq_tier(OLD.priority), -1);
    RETURN NULL;
END $$;
