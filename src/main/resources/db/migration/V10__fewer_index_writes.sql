-- FairQueue schema v10: fewer index writes per status change.
--
-- ONE INDEX FEWER ON JOB.
--
-- job_queue_status_idx (queue, status) is a prefix of job_finished_idx (queue, status,
-- finished_at): every lookup it served, the longer index serves too. Every status change of a job
-- is a non-HOT update (status is indexed), so each write of a job wrote an entry into both; the
-- per-queue counts and stats read job_count, not this index. The benchmark's end-to-end runs used
-- it 92 times against 150,000 job updates (pg_stat_user_indexes, issue 5).
DROP INDEX job_queue_status_idx;

-- LANES WITHOUT A HEAD KEEP NO COUNTS. Every change of a user's running count rewrote the
-- user_running and blocked columns of every lane of the user, one per queue (and project, and
-- off-peak flag) the user ever submitted to: lanes are never deleted. Those columns are sort and
-- filter keys of lane_claim_idx, so each rewrite was a new row version with new index entries.
-- Only lanes with a head are in that index; a lane without one now takes both values when it
-- gets a head. In the benchmark's end-to-end runs each user had one lane per run's queue, and
-- the lane table took 314,564 updates for 50,000 jobs. The lock order is unchanged (users, then
-- all of their lanes, then usage), and fq_recount compares the columns of lanes with a head only.
CREATE OR REPLACE FUNCTION fq_apply_changes(ch fq_change[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    serial boolean;
    wake   boolean := false;
    moved  integer;
    tz     text;
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

    -- The users whose counters change, and those that get a new lane (a new lane copies its
    -- user's running count: the row is locked meanwhile; only then, so that a submit does not
    -- hide its user from claims), locked first and in id order: the lock order is users, then
    -- lanes (never deleted, so "new" stays true), then usage.
    PERFORM 1 FROM fq_user
      WHERE id IN (SELECT c.n_user FROM unnest(ch) c WHERE fq_slot_delta(c.o_status, c.n_status) <> 0
                   UNION
                   SELECT c.n_user FROM unnest(ch) c
                    WHERE c.n_status = 'PENDING' AND (c.o_status IS DISTINCT FROM 'PENDING' OR c.o_priority <> c.n_priority)
                      AND NOT EXISTS (SELECT 1 FROM lane l WHERE l.user_id = c.n_user AND l.queue = c.n_queue
                                         AND l.project_key = coalesce(c.n_project, '') AND l.off_peak = c.n_off_peak))
      ORDER BY id FOR NO KEY UPDATE;

    -- slots taken and given back: users, limited queues, the global count, the users' lanes, usage
    SELECT count(*) INTO moved FROM unnest(ch) c WHERE fq_slot_delta(c.o_status, c.n_status) <> 0;
    IF moved > 0 THEN
        SELECT per_user_serialization INTO serial FROM settings WHERE id = 1;
        PERFORM 1 FROM lane
          WHERE user_id IN (SELECT c.n_user FROM unnest(ch) c WHERE fq_slot_delta(c.o_status, c.n_status) <> 0)
          ORDER BY user_id, queue, project_key, off_peak FOR NO KEY UPDATE;
        WITH d AS (
            SELECT c.n_user AS id, sum(fq_slot_delta(c.o_status, c.n_status)) AS d,
                   count(*) FILTER (WHERE fq_slot_delta(c.o_status, c.n_status) < 0) AS released
              FROM unnest(ch) c WHERE fq_slot_delta(c.o_status, c.n_status) <> 0 GROUP BY 1),
        u AS (
            UPDATE fq_user u SET running = u.running + d.d FROM d
             WHERE u.id = d.id AND d.d <> 0
            RETURNING u.id, u.running, u.max_concurrent, d.d, d.released),
        -- only lanes with a head: the others are in no claim's index, and get both when they get a head
        l AS (
            UPDATE lane l SET user_running = u.running, blocked = serial AND u.running >= u.max_concurrent
              FROM u WHERE l.user_id = u.id AND l.head_job_id IS NOT NULL
            RETURNING 1)
        -- a release wakes waiting claims only when it lifted a limit that was reached: a notifying
        -- commit takes PostgreSQL's global notify lock, so notify only when useful (a statement
        -- that took and gave back slots of one user in equal numbers would not wake: none does)
        SELECT coalesce(bool_or(u.released > 0 AND u.running - u.d >= u.max_concurrent), false) INTO wake FROM u;

        -- claims raise a limited queue's count (only fq_claim dispatches, holding the queue's row);
        -- releases append to queue_release without the row (see V5)
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

        -- run time of ended attempts, per user and project, day, week and month (fq_add_usage)
        tz := fq_quota_tz();
        INSERT INTO usage AS us (scope, key, period, period_start, used_secs)
        SELECT k.scope, k.key, p.period, p.start, sum(e.secs)
          FROM (SELECT c.n_user, c.n_project, c.n_duration AS secs,
                       (coalesce(c.o_started, c.o_claimed) + make_interval(secs => c.n_duration)) AT TIME ZONE tz AS local
                  FROM unnest(ch) c
                 WHERE fq_slot_delta(c.o_status, c.n_status) < 0 AND c.n_duration > 0) e
         CROSS JOIN LATERAL (VALUES ('USER', e.n_user), ('PROJECT', e.n_project)) k(scope, key)
         CROSS JOIN LATERAL (VALUES ('DAY', e.local::date), ('WEEK', date_trunc('week', e.local)::date),
                                    ('MONTH', date_trunc('month', e.local)::date)) p(period, start)
         WHERE k.key IS NOT NULL
         GROUP BY 1, 2, 3, 4
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (scope, key, period, period_start) DO UPDATE SET used_secs = us.used_secs + EXCLUDED.used_secs;
    END IF;

    -- jobs that stopped being PENDING (or changed priority): positions, and their lanes' heads
    IF EXISTS (SELECT 1 FROM unnest(ch) c WHERE c.o_status = 'PENDING'
                  AND (c.n_status <> 'PENDING' OR c.o_priority <> c.n_priority)) THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        SELECT c.o_user, c.o_priority, fq_minute(c.o_created), -count(*) FROM unnest(ch) c
         WHERE c.o_status = 'PENDING' AND (c.n_status <> 'PENDING' OR c.o_priority <> c.n_priority)
         GROUP BY 1, 2, 3;
        -- The lanes are locked first (key order), so the head query's fresh snapshot sees every
        -- job committed before: a concurrent offer either committed already or waits and compares
        -- with the new head (fq_lane_refresh of V2).
        PERFORM 1 FROM lane l
          WHERE (l.user_id, l.queue, l.project_key, l.off_peak) IN (
                SELECT c.o_user, c.o_queue, coalesce(c.o_project, ''), c.o_off_peak FROM unnest(ch) c
                 WHERE c.o_status = 'PENDING' AND (c.n_status <> 'PENDING' OR c.o_priority <> c.n_priority))
          ORDER BY l.user_id, l.queue, l.project_key, l.off_peak
            FOR UPDATE;
        UPDATE lane l SET (head_job_id, head_priority, head_created_at) = (
               SELECT j.id, j.priority, j.created_at FROM job j
                WHERE j.user_id = l.user_id AND j.queue = l.queue AND coalesce(j.project_id, '') = l.project_key
                  AND j.off_peak_only = l.off_peak AND j.status = 'PENDING'
                ORDER BY j.priority DESC, j.created_at, j.id
                LIMIT 1)
         WHERE l.head_job_id IN (SELECT c.id FROM unnest(ch) c
                                  WHERE c.o_status = 'PENDING' AND (c.n_status <> 'PENDING' OR c.o_priority <> c.n_priority))
           AND (l.user_id, l.queue, l.project_key, l.off_peak) IN (
                SELECT c.o_user, c.o_queue, coalesce(c.o_project, ''), c.o_off_peak FROM unnest(ch) c
                 WHERE c.o_status = 'PENDING' AND (c.n_status <> 'PENDING' OR c.o_priority <> c.n_priority));
    END IF;

    -- jobs that became PENDING (or changed priority): positions, lanes (fq_lane_offer), wake-ups
    IF EXISTS (SELECT 1 FROM unnest(ch) c WHERE c.n_status = 'PENDING'
                  AND (c.o_status IS DISTINCT FROM 'PENDING' OR c.o_priority <> c.n_priority)) THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        SELECT c.n_user, c.n_priority, fq_minute(c.n_created), count(*) FROM unnest(ch) c
         WHERE c.n_status = 'PENDING' AND (c.o_status IS DISTINCT FROM 'PENDING' OR c.o_priority <> c.n_priority)
         GROUP BY 1, 2, 3;
        -- Existing lanes are locked even where the job does not become the head: until this
        -- statement's transaction commits, a claim of the head must wait and then see the job.
        -- A lane without a head takes its user's running count and blocked flag with its new head,
        -- read after this lock: a counter change of the user locks all of the user's lanes before
        -- it changes the count, so either it committed before this lock was granted (the read
        -- below sees it) or it waits for this transaction and then finds the lane with a head.
        PERFORM 1 FROM lane l
          WHERE (l.user_id, l.queue, l.project_key, l.off_peak) IN (
                SELECT c.n_user, c.n_queue, coalesce(c.n_project, ''), c.n_off_peak FROM unnest(ch) c
                 WHERE c.n_status = 'PENDING' AND (c.o_status IS DISTINCT FROM 'PENDING' OR c.o_priority <> c.n_priority))
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
                 WHERE c.n_status = 'PENDING' AND (c.o_status IS DISTINCT FROM 'PENDING' OR c.o_priority <> c.n_priority)
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

ALTER FUNCTION fq_recount(boolean) RENAME TO fq_recount_v8;
CREATE FUNCTION fq_recount(p_repair boolean)
    RETURNS TABLE (kind text, key text, stored bigint, actual bigint) LANGUAGE plpgsql AS $$
BEGIN
    -- locked before the query below takes its snapshot: no lane gains or loses a head meanwhile
    PERFORM fq_lock_jobs();
    RETURN QUERY
    SELECT r.kind, r.key, r.stored, r.actual FROM fq_recount_v8(p_repair) r
     WHERE r.kind NOT IN ('lane.user_running', 'lane.blocked')
        OR EXISTS (SELECT 1 FROM lane l
                    WHERE l.user_id || '/' || l.queue || '/' || l.project_key || '/' || l.off_peak = r.key
                      AND l.head_job_id IS NOT NULL);
END $$;
