-- FairQueue schema v9: set-based claims and status changes.
--
-- The benchmark (issue 5) showed the claim of one limited queue as the bottleneck: every claim of
-- the queue holds the queue's counter row until it commits, and a claim of 50 jobs held it for
-- about 65 ms, because it took its jobs one by one (a lane scan, a job lock, a user lock, a quota
-- check, an UPDATE whose row trigger ran ten statements). Two changes:
--
-- 1. THE JOB TRIGGER IS PER STATEMENT. fq_job_changed ran once per changed row. The same work is
--    now done once per statement over its transition tables (fq_apply_changes): one counter
--    UPDATE per user, one per queue, one lane refresh per lane, one usage upsert, grouped deltas.
--    A single-row UPDATE (the JPA paths) does what it did; a statement that moves 50 jobs (a
--    claim, the promoter, a batch) does it once instead of 50 times. Lock order is unchanged:
--    job -> fq_user (id order) -> queue -> settings -> lane (key order) -> usage (key order).
--
-- 2. A CLAIM FROM ONE QUEUE TAKES ITS JOBS AS A SET. The old claim repeated "the best lane's head"
--    (priority desc, the user's running count, age): after a user got a job, its running count
--    rose by one and its next job competed with that count. Ranking every candidate job by
--    (priority desc, its user's running count + the job's rank among the user's candidates - 1,
--    created_at, id) gives exactly that sequence, because each user's keys rise along its own
--    jobs, and the repeated choice of the least key of sorted sequences is their merge. The
--    candidates: the first lanes in claim order until as many distinct users as jobs wanted (a
--    job outside them has a key above each of those users' first heads, so it cannot be among
--    the best), each lane's first min(wanted, the user's free slots) jobs. The choice is made from
--    the users' counts read without a lock; then only the users that get jobs are locked (SKIP
--    LOCKED, in id order) and their counts compared under the lock, and the choice is made again
--    if one is held elsewhere or changed. If any user or lane of the candidates drops out (at its
--    limit, out of quota) they are taken again without it, since the cut is only exact when every
--    user there can take a job. Quotas are checked per lane; the queue's and the global free
--    slots bound the set; one UPDATE dispatches it and one INSERT writes its audit rows. A claim
--    from all or several queues of which only one has a lane that could give a job now is a claim
--    from that queue. Claims of one job, for one user, or from several queues with jobs keep the
--    job-by-job claim of V5 (fq_claim_each).

-- A statement may now move thousands of jobs of one user, priority and minute at once.
ALTER TABLE pending_delta ALTER COLUMN delta TYPE integer;
ALTER TABLE job_count_delta ALTER COLUMN delta TYPE integer;

-- One changed job: the old values (null for an insert) and the new.
CREATE TYPE fq_change AS (
    id            bigint,
    o_user        text,
    o_queue       text,
    o_project     text,
    o_off_peak    boolean,
    o_created     timestamptz,
    o_status      text,
    o_priority    smallint,
    o_started     timestamptz,
    o_claimed     timestamptz,
    n_user        text,
    n_queue       text,
    n_project     text,
    n_off_peak    boolean,
    n_created     timestamptz,
    n_status      text,
    n_priority    smallint,
    n_duration    double precision
);

-- +1 if the change takes a slot (DISPATCHED or RUNNING), -1 if it gives one back, else 0.
CREATE FUNCTION fq_slot_delta(o_status text, n_status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN n_status IN ('DISPATCHED', 'RUNNING') AND o_status IS DISTINCT FROM 'DISPATCHED'
                     AND o_status IS DISTINCT FROM 'RUNNING' THEN 1
                WHEN o_status IN ('DISPATCHED', 'RUNNING') AND n_status NOT IN ('DISPATCHED', 'RUNNING') THEN -1
                ELSE 0 END
$$;

-- What fq_job_changed (V5) did per row, for a set of changes of one statement. Its statements
-- take the array as a parameter, and PL/pgSQL kept planning them afresh on every call (custom
-- plans): 1 ms of planning per call, outside pg_stat_statements' times; a claim of 10 jobs by
-- fq_claim_each took 19.5 ms with it and 12.5 ms with generic plans (psql \timing, 20 calls).
CREATE FUNCTION fq_apply_changes(ch fq_change[]) RETURNS void LANGUAGE plpgsql
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
        l AS (
            UPDATE lane l SET user_running = u.running, blocked = serial AND u.running >= u.max_concurrent
              FROM u WHERE l.user_id = u.id
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
               head_created_at = EXCLUDED.head_created_at
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

CREATE FUNCTION fq_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_apply_changes(ARRAY(
        SELECT ROW(n.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   n.user_id, n.queue, n.project_id, n.off_peak_only, n.created_at, n.status, n.priority,
                   n.actual_duration_secs)::fq_change
          FROM new_jobs n));
    RETURN NULL;
END $$;

CREATE FUNCTION fq_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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

DROP TRIGGER job_changed ON job;
CREATE TRIGGER job_inserted AFTER INSERT ON job REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION fq_jobs_inserted();
CREATE TRIGGER job_updated AFTER UPDATE ON job REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION fq_jobs_updated();
DROP FUNCTION fq_job_changed();
-- Called only by the row trigger (fq_add_usage, fq_lane_offer) or before its batch moves
-- (fq_lock_release_rows): fq_apply_changes does their work, in its own lock order.
DROP FUNCTION fq_add_usage(text, text, double precision, timestamptz);
DROP FUNCTION fq_lane_offer(job);
DROP FUNCTION fq_lock_release_rows(bigint[]);

-- V5's claim, job by job: claims for one user, or from several or all queues.
ALTER FUNCTION fq_claim(text, text[], text, integer, timestamptz, text, boolean) RENAME TO fq_claim_each;

CREATE FUNCTION fq_claim(p_worker text, p_queues text[], p_user text, p_limit integer, p_now timestamptz,
                         p_by text, p_off_peak_open boolean)
RETURNS SETOF job LANGUAGE plpgsql AS $$
DECLARE
    qn          text := CASE WHEN cardinality(p_queues) = 1 THEN p_queues[1] END;
    one         text[];
    q           record;
    s           settings;
    n           integer := 0;
    b           integer;
    got         integer;
    lr          record;
    users       text[];
    lane_user   text[];
    lane_proj   text[];
    lane_off    boolean[];
    ok_user     text[];
    ok_running  integer[];
    ok_free     integer[];
    served      text[];
    full_users  text[];
    held        text[];
    same        boolean;
    quota_ok    text[] := '{}';
    until       timestamptz;
    picked      bigint[];
    locked      bigint[];
    take        bigint[];
    skip_users  text[] := '{}';
    dropped     boolean;
    seen        integer;
    lanes_max   integer := 4 * p_limit + 16;
BEGIN
    IF p_user IS NULL AND p_limit > 1 AND cardinality(p_queues) IS DISTINCT FROM 1 THEN
        -- A claim from all or several queues when only one of them has a lane that could give a
        -- job now is a claim from that queue (one index probe per queue).
        one := ARRAY(SELECT qq.name FROM queue qq
                      WHERE (p_queues IS NULL OR qq.name = ANY (p_queues)) AND NOT qq.paused
                        AND EXISTS (SELECT 1 FROM lane l
                                     WHERE l.queue = qq.name AND (p_off_peak_open OR NOT l.off_peak)
                                       AND l.head_job_id IS NOT NULL AND NOT l.blocked
                                       AND (l.quota_blocked_until IS NULL OR l.quota_blocked_until <= p_now))
                      LIMIT 2);
        IF cardinality(one) = 1 THEN
            qn := one[1];
        END IF;
    END IF;
    -- one job: the job-by-job claim takes it with fewer statements
    IF p_user IS NOT NULL OR qn IS NULL OR p_limit = 1 THEN
        RETURN QUERY SELECT * FROM fq_claim_each(p_worker, p_queues, p_user, p_limit, p_now, p_by, p_off_peak_open);
        RETURN;
    END IF;
    -- Conflicts with the EXCLUSIVE lock taken while a limit is changed (and its counter recounted).
    LOCK TABLE job IN ROW SHARE MODE;
    SELECT name, paused, max_concurrent, running, lease_seconds INTO q FROM queue WHERE name = qn;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF q.max_concurrent IS NOT NULL THEN
        -- claims of a limited queue take its row first, holding nothing else (see V5)
        SELECT name, paused, max_concurrent, running, lease_seconds INTO q FROM queue WHERE name = qn FOR NO KEY UPDATE;
        -- a later statement than the lock: it sees every release committed before the lock
        q.running := fq_fold_releases(qn);
    END IF;
    IF q.paused THEN
        RETURN;
    END IF;
    <<rounds>>
    LOOP
        b := p_limit - n;
        IF q.max_concurrent IS NOT NULL THEN
            b := least(b, q.max_concurrent - q.running);
        END IF;
        SELECT * INTO s FROM settings WHERE id = 1;
        IF s.global_slots IS NOT NULL THEN
            b := least(b, s.global_slots - s.running);
        END IF;
        EXIT WHEN b <= 0;

        -- Candidates, taken again until none of their users or lanes drops out: the choice from
        -- the first lanes is only exact when every one of their users can take a job.
        LOOP
            dropped := false;
            -- The first lanes in claim order, until b distinct users. The LIMIT makes it a merge of
            -- two index scans instead of a sort of all the queue's lanes (17 ms at 10,000 users);
            -- a user has few lanes, and if the limit is reached first the scan is made again with
            -- a larger one.
            users := '{}'; lane_user := '{}'; lane_proj := '{}'; lane_off := '{}'; seen := 0;
            FOR lr IN
                SELECT x.user_id, x.project_key, x.off_peak FROM (
                    (SELECT l.user_id, l.project_key, l.off_peak, l.head_priority, l.user_running, l.head_created_at, l.head_job_id
                       FROM lane l
                      WHERE l.queue = qn AND NOT l.off_peak AND l.head_job_id IS NOT NULL AND NOT l.blocked
                        AND (l.quota_blocked_until IS NULL OR l.quota_blocked_until <= p_now)
                        AND l.user_id <> ALL (skip_users)
                      ORDER BY l.head_priority DESC, l.user_running, l.head_created_at, l.head_job_id)
                    UNION ALL
                    (SELECT l.user_id, l.project_key, l.off_peak, l.head_priority, l.user_running, l.head_created_at, l.head_job_id
                       FROM lane l
                      WHERE p_off_peak_open AND l.queue = qn AND l.off_peak AND l.head_job_id IS NOT NULL AND NOT l.blocked
                        AND (l.quota_blocked_until IS NULL OR l.quota_blocked_until <= p_now)
                        AND l.user_id <> ALL (skip_users)
                      ORDER BY l.head_priority DESC, l.user_running, l.head_created_at, l.head_job_id)) x
                 ORDER BY x.head_priority DESC, x.user_running, x.head_created_at, x.head_job_id
                 LIMIT lanes_max
            LOOP
                seen := seen + 1;
                IF NOT lr.user_id = ANY (users) THEN
                    EXIT WHEN cardinality(users) >= b;
                    users := users || lr.user_id;
                END IF;
                lane_user := lane_user || lr.user_id;
                lane_proj := lane_proj || lr.project_key;
                lane_off := lane_off || lr.off_peak;
            END LOOP;
            IF seen = lanes_max AND cardinality(users) < b THEN
                lanes_max := lanes_max * 4;
                CONTINUE;
            END IF;
            EXIT rounds WHEN cardinality(users) = 0;

            -- Their users' running counts and limits, read without a lock: only the users that
            -- get a job are locked, below, and their counts checked again under the lock. (Locking
            -- every user of the scan would hide the users this call does not serve from every
            -- other claim until it commits.)
            SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}'), coalesce(array_agg(u.running ORDER BY u.id), '{}'),
                   coalesce(array_agg(CASE WHEN s.per_user_serialization THEN u.max_concurrent - u.running ELSE b END
                                      ORDER BY u.id), '{}')
              INTO ok_user, ok_running, ok_free
              FROM fq_user u WHERE u.id = ANY (users);
            -- A user at its limit whose lanes were not marked blocked (a limit lowered, say): the
            -- lanes are mended under the user's lock, if it can be had now, and the user skipped.
            IF s.per_user_serialization AND EXISTS (SELECT 1 FROM unnest(ok_free) f WHERE f <= 0) THEN
                full_users := ARRAY(SELECT f.id FROM unnest(ok_user, ok_free) f(id, free) WHERE f.free <= 0);
                SELECT coalesce(array_agg(id), '{}') INTO held
                  FROM (SELECT id FROM fq_user WHERE id = ANY (full_users) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED) x;
                PERFORM 1 FROM lane WHERE user_id = ANY (held)
                  ORDER BY user_id, queue, project_key, off_peak FOR NO KEY UPDATE;
                UPDATE lane SET blocked = true, user_running = u.running
                  FROM fq_user u
                 WHERE u.id = ANY (held) AND lane.user_id = u.id AND u.running >= u.max_concurrent AND NOT lane.blocked;
                skip_users := skip_users || full_users;
                dropped := true;
            END IF;

            -- quotas, once per lane and call, of the users and projects that have any (the others
            -- cannot be out of one); an exhausted lane is marked, so the next scan passes it
            FOR lr IN
                SELECT DISTINCT ln.user_id, ln.project_key
                  FROM unnest(lane_user, lane_proj) ln(user_id, project_key)
                  JOIN fq_user u ON u.id = ln.user_id
                 WHERE ln.user_id = ANY (ok_user) AND ln.user_id <> ALL (skip_users)
                   AND (ln.user_id || '/' || ln.project_key) <> ALL (quota_ok)
                   AND (u.monthly_hours_limit IS NOT NULL
                        OR EXISTS (SELECT 1 FROM quota qt WHERE (qt.scope = 'USER' AND qt.key = ln.user_id)
                                                             OR (qt.scope = 'PROJECT' AND qt.key = ln.project_key)))
            LOOP
                until := fq_quota_blocked_until(lr.user_id, nullif(lr.project_key, ''), p_now);
                IF until IS NOT NULL THEN
                    PERFORM 1 FROM lane WHERE user_id = lr.user_id AND queue = qn AND project_key = lr.project_key
                      ORDER BY off_peak FOR NO KEY UPDATE;
                    UPDATE lane SET quota_blocked_until = until
                     WHERE user_id = lr.user_id AND queue = qn AND project_key = lr.project_key;
                    dropped := true;
                ELSE
                    quota_ok := quota_ok || (lr.user_id || '/' || lr.project_key);
                END IF;
            END LOOP;
            CONTINUE WHEN dropped;

            IF s.global_slots IS NOT NULL THEN
                -- Waiting here is safe: settings is the last counter in the lock order, and its
                -- holders only go on to lanes and usage of their own user, never to ours.
                SELECT * INTO s FROM settings WHERE id = 1 FOR UPDATE;
                b := least(b, s.global_slots - s.running);
                EXIT rounds WHEN b <= 0;
            END IF;

            -- the best b jobs of those lanes, in the order the job-by-job claim would take them
            WITH cand AS (
                SELECT c.*, row_number() OVER (PARTITION BY c.user_id ORDER BY c.priority DESC, c.created_at, c.id) AS r
                  FROM (SELECT j.id, j.priority, j.created_at, f.id AS user_id, f.running, f.free
                          FROM unnest(lane_user, lane_proj, lane_off) ln(user_id, project_key, off_peak)
                          JOIN unnest(ok_user, ok_running, ok_free) f(id, running, free) ON f.id = ln.user_id
                         CROSS JOIN LATERAL (
                               SELECT j.id, j.priority, j.created_at FROM job j
                                WHERE j.user_id = ln.user_id AND j.queue = qn
                                  AND coalesce(j.project_id, '') = ln.project_key AND j.off_peak_only = ln.off_peak
                                  AND j.status = 'PENDING'
                                ORDER BY j.priority DESC, j.created_at, j.id
                                LIMIT least(b, f.free)) j) c)
            SELECT (SELECT coalesce(array_agg(t.id ORDER BY t.priority DESC, t.running + t.r, t.created_at, t.id), '{}')
                      FROM (SELECT * FROM cand WHERE cand.r <= cand.free
                             ORDER BY cand.priority DESC, cand.running + cand.r, cand.created_at, cand.id
                             LIMIT b) t),
                   (SELECT coalesce(array_agg(DISTINCT cand.user_id), '{}') FROM cand)
              INTO picked, served;
            -- a user whose lanes gave no job (a head that stopped being PENDING since the scan)
            IF cardinality(served) < cardinality(users) THEN
                skip_users := skip_users || ARRAY(SELECT x FROM unnest(users) x WHERE x <> ALL (served));
                CONTINUE;
            END IF;

            -- The users that get jobs, locked in id order; one held elsewhere is skipped for this
            -- call, never waited for (its holder may go on to this queue's row). Their counts and
            -- limits under the lock must be the ones the choice was made with, or it is made
            -- again (now with those users' rows held, so their counts stay put).
            SELECT coalesce(array_agg(u.id), '{}'),
                   coalesce(bool_and(u.running = f.running
                                     AND (NOT s.per_user_serialization OR u.max_concurrent - u.running = f.free)), true)
              INTO held, same
              FROM (SELECT id, running, max_concurrent FROM fq_user
                     WHERE id IN (SELECT user_id FROM job WHERE id = ANY (picked))
                     ORDER BY id FOR NO KEY UPDATE SKIP LOCKED) u
              JOIN unnest(ok_user, ok_running, ok_free) f(id, running, free) ON f.id = u.id;
            IF cardinality(held) < (SELECT count(DISTINCT user_id) FROM job WHERE id = ANY (picked)) THEN
                skip_users := skip_users || ARRAY(SELECT DISTINCT user_id FROM job
                                                   WHERE id = ANY (picked) AND user_id <> ALL (held));
                CONTINUE;
            END IF;
            CONTINUE WHEN NOT same;
            EXIT;
        END LOOP;

        -- Locked with SKIP LOCKED (a job being paused or cancelled right now). The jobs before the
        -- first one that could not be locked are dispatched; that one's user is skipped for this
        -- call, and the next round chooses again without it.
        SELECT coalesce(array_agg(id), '{}') INTO locked
          FROM (SELECT id FROM job WHERE id = ANY (picked) AND status = 'PENDING' ORDER BY id FOR UPDATE SKIP LOCKED) x;
        take := picked;
        IF cardinality(locked) < cardinality(picked) THEN
            SELECT coalesce(array_agg(p.id ORDER BY p.ord), '{}') INTO take
              FROM unnest(picked) WITH ORDINALITY p(id, ord)
             WHERE p.ord < (SELECT min(f.ord) FROM unnest(picked) WITH ORDINALITY f(id, ord) WHERE f.id <> ALL (locked));
            skip_users := skip_users || ARRAY(SELECT DISTINCT user_id FROM job WHERE id = ANY (picked) AND id <> ALL (locked));
        END IF;

        RETURN QUERY
        WITH upd AS (
            UPDATE job
               SET status = 'DISPATCHED', worker_id = p_worker, lease_token = gen_random_uuid()::text,
                   lease_expires_at = p_now + make_interval(secs => q.lease_seconds),
                   claimed_at = p_now, started_at = NULL, attempts = attempts + 1, next_retry_at = NULL,
                   version = version + 1
             WHERE id = ANY (take)
            RETURNING *),
        audit AS (
            INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
            SELECT upd.id, 'PENDING', 'DISPATCHED', p_now, p_by, 'claimed by worker ' || p_worker
              FROM upd JOIN unnest(take) WITH ORDINALITY p(id, ord) ON p.id = upd.id
             ORDER BY p.ord)
        SELECT upd.* FROM upd JOIN unnest(take) WITH ORDINALITY p(id, ord) ON p.id = upd.id ORDER BY p.ord;
        GET DIAGNOSTICS got = ROW_COUNT;
        n := n + got;
        q.running := q.running + got;
        -- fewer candidates than wanted, none lost to a lock: every eligible lane was seen
        EXIT WHEN cardinality(picked) < b AND cardinality(take) = cardinality(picked);
    END LOOP;
END $$;
