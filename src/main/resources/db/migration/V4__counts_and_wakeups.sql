-- FairQueue schema v4: counts by status without counting, claim wake-ups, the queue-filtered
-- pending order.
--
-- COUNTS. GET /queue answers counts by status and by tier at any backlog without counting the
-- job table. As with pending_delta (V2), the job trigger only appends a row per change to
-- job_count_delta (no lock, no hot counter row to serialize claims on); fq_compact_counts folds
-- the deltas into job_count (one compactor at a time, from the promoter timer). A read sums
-- job_count and the deltas not yet folded: exact in the reader's snapshot. Counts are of the
-- hot job table: a job the archiver moves out stops being counted (its DELETE appends -1).
--
-- Tiers: urgent = priority >= 10, background = priority <= -10, normal = the rest.
CREATE FUNCTION fq_tier(p integer) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p >= 10 THEN 1 WHEN p <= -10 THEN -1 ELSE 0 END::smallint
$$;

CREATE TABLE job_count (
    queue  text NOT NULL,
    status text NOT NULL,
    tier   smallint NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (queue, status, tier)
);

-- No identity column (see pending_delta in V2).
CREATE TABLE job_count_delta (
    queue  text NOT NULL,
    status text NOT NULL,
    tier   smallint NOT NULL,
    delta  smallint NOT NULL
);

INSERT INTO job_count (queue, status, tier, n)
SELECT queue, status, fq_tier(priority), count(*) FROM job GROUP BY 1, 2, 3;

-- Folds job_count_delta into job_count; answers how many deltas it folded (0 if another
-- transaction is compacting right now).
CREATE FUNCTION fq_compact_counts() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    folded integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7312220032) THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM job_count_delta RETURNING queue, status, tier, delta),
         g AS (SELECT queue, status, tier, sum(delta) AS d FROM moved GROUP BY 1, 2, 3),
         a AS (INSERT INTO job_count AS c (queue, status, tier, n)
               SELECT queue, status, tier, d FROM g ORDER BY 1, 2, 3
               ON CONFLICT (queue, status, tier) DO UPDATE SET n = c.n + EXCLUDED.n)
    SELECT count(*) INTO folded FROM moved;
    DELETE FROM job_count WHERE n = 0;
    RETURN folded;
END $$;

-- Counts by (status, tier) of one queue, or of all queues (p_queue NULL). STABLE: one snapshot.
CREATE FUNCTION fq_counts(p_queue text) RETURNS TABLE (status text, tier smallint, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.status, c.tier, sum(c.n)::bigint FROM (
        SELECT status, tier, n FROM job_count WHERE p_queue IS NULL OR queue = p_queue
        UNION ALL
        SELECT status, tier, delta FROM job_count_delta WHERE p_queue IS NULL OR queue = p_queue) c
     GROUP BY 1, 2
    HAVING sum(c.n) <> 0
$$;

-- SUBMITS TAKE NO USER LOCK. fq_user.pending was a counter on the user's row, so a submit held
-- that row until commit (claims skip locked users: a batch submit hid its users from the claim).
-- A user's pending count is now derived, exactly, from user_pending_count and pending_delta
-- (fq_user_pending), and a job becoming PENDING locks its user only to create a new lane (the
-- lane copies the user's running count, which must not change meanwhile). A transaction that
-- touches the lanes of several users (a batch submit, start or complete, the promoter) locks
-- those users first, in id order, as every multi-user move does.
ALTER TABLE fq_user DROP COLUMN pending;

CREATE FUNCTION fq_user_pending(p_user text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT sum(n) FROM user_pending_count WHERE user_id = p_user), 0)
         + coalesce((SELECT sum(delta) FROM pending_delta WHERE user_id = p_user), 0)
$$;

CREATE OR REPLACE FUNCTION fq_lane_offer(j job) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    u record;
    serial boolean;
BEGIN
    -- The lane row is locked even when the job does not become its head: until this job commits,
    -- fq_lane_refresh (a claim of the head) must wait and then see it, or the lane would lose it.
    PERFORM 1 FROM lane l
      WHERE l.user_id = j.user_id AND l.queue = j.queue AND l.project_key = coalesce(j.project_id, '')
        AND l.off_peak = j.off_peak_only
        FOR NO KEY UPDATE;
    IF FOUND THEN
        UPDATE lane l SET head_job_id = j.id, head_priority = j.priority, head_created_at = j.created_at
         WHERE l.user_id = j.user_id AND l.queue = j.queue AND l.project_key = coalesce(j.project_id, '')
           AND l.off_peak = j.off_peak_only
           AND (l.head_job_id IS NULL OR j.priority > l.head_priority
                OR (j.priority = l.head_priority AND (j.created_at, j.id) < (l.head_created_at, l.head_job_id)));
        RETURN;
    END IF;
    -- a new lane: its user_running and blocked come from the user's row, locked meanwhile
    SELECT running, max_concurrent INTO u FROM fq_user WHERE id = j.user_id FOR NO KEY UPDATE;
    SELECT per_user_serialization INTO serial FROM settings WHERE id = 1;
    INSERT INTO lane AS l (user_id, queue, project_key, off_peak, head_job_id, head_priority, head_created_at,
                           user_running, blocked)
    VALUES (j.user_id, j.queue, coalesce(j.project_id, ''), j.off_peak_only, j.id, j.priority, j.created_at,
            u.running, serial AND u.running >= u.max_concurrent)
    ON CONFLICT (user_id, queue, project_key, off_peak) DO UPDATE
       SET head_job_id = EXCLUDED.head_job_id, head_priority = EXCLUDED.head_priority,
           head_created_at = EXCLUDED.head_created_at
     WHERE l.head_job_id IS NULL
        OR EXCLUDED.head_priority > l.head_priority
        OR (EXCLUDED.head_priority = l.head_priority
            AND (EXCLUDED.head_created_at, EXCLUDED.head_job_id) < (l.head_created_at, l.head_job_id));
END $$;

-- The one rule for moves of several users: their rows in id order. fq_lock_users (V2) takes job
-- ids; a batch submit has user ids before any job exists.
CREATE FUNCTION fq_lock_user_ids(p_users text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM fq_user WHERE id = ANY (p_users) ORDER BY id FOR NO KEY UPDATE;
END $$;

CREATE OR REPLACE FUNCTION fq_lock_users(p_jobs bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_lock_user_ids(ARRAY(SELECT DISTINCT user_id FROM job WHERE id = ANY (p_jobs)));
END $$;

-- A batch that releases slots of several users (POST /jobs/complete) takes, after its users
-- (fq_lock_users), the rows the job trigger will update in the global lock order: the limited
-- queues by name, then settings (while global slots are kept), then a transaction advisory lock
-- per project in id order for the project usage rows (which fq_add_usage upserts).
CREATE FUNCTION fq_lock_release_rows(p_jobs bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM queue WHERE max_concurrent IS NOT NULL
        AND name IN (SELECT queue FROM job WHERE id = ANY (p_jobs)) ORDER BY name FOR NO KEY UPDATE;
    PERFORM 1 FROM settings WHERE id = 1 AND global_slots IS NOT NULL FOR UPDATE;
    PERFORM pg_advisory_xact_lock(hashtextextended('fq_usage:' || p, 0)) FROM (
        SELECT DISTINCT project_id AS p FROM job WHERE id = ANY (p_jobs) AND project_id IS NOT NULL ORDER BY 1) ps;
END $$;

-- WAKE-UPS. A job that becomes PENDING notifies channel fq_claimable with its queue's name; a
-- released slot of a user, queue or global limit that was reached notifies with '*', since it may
-- unblock any queue. Workers
-- waiting in a long-poll claim (POST /claims with waitSeconds) on every node LISTEN and claim at
-- once; PostgreSQL delivers at commit and folds equal notifications of one transaction.
CREATE OR REPLACE FUNCTION fq_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_holding boolean := TG_OP = 'UPDATE' AND OLD.status IN ('DISPATCHED', 'RUNNING');
    is_holding  boolean := NEW.status IN ('DISPATCHED', 'RUNNING');
    was_pending boolean := TG_OP = 'UPDATE' AND OLD.status = 'PENDING';
    is_pending  boolean := NEW.status = 'PENDING';
    d  integer := CASE WHEN is_holding AND NOT was_holding THEN 1 WHEN was_holding AND NOT is_holding THEN -1 ELSE 0 END;
    u record;
    qr record;
    gr record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO job_count_delta (queue, status, tier, delta) VALUES (NEW.queue, NEW.status, fq_tier(NEW.priority), 1);
    ELSIF OLD.status <> NEW.status OR fq_tier(OLD.priority) <> fq_tier(NEW.priority) THEN
        INSERT INTO job_count_delta (queue, status, tier, delta)
        VALUES (OLD.queue, OLD.status, fq_tier(OLD.priority), -1), (NEW.queue, NEW.status, fq_tier(NEW.priority), 1);
    END IF;
    IF d <> 0 THEN
        UPDATE fq_user SET running = running + d WHERE id = NEW.user_id
        RETURNING running, max_concurrent INTO u;
        UPDATE queue SET running = running + d WHERE name = NEW.queue AND max_concurrent IS NOT NULL
        RETURNING running, max_concurrent INTO qr;
        UPDATE settings SET running = running + d WHERE id = 1 AND global_slots IS NOT NULL
        RETURNING running, global_slots INTO gr;
        UPDATE lane l SET user_running = u.running,
                          blocked = s.per_user_serialization AND u.running >= u.max_concurrent
          FROM settings s
         WHERE s.id = 1 AND l.user_id = NEW.user_id;
        IF d < 0 THEN
            PERFORM fq_add_usage(NEW.user_id, NEW.project_id, NEW.actual_duration_secs,
                                 coalesce(OLD.started_at, OLD.claimed_at) + make_interval(secs => NEW.actual_duration_secs));
            -- wake waiting claims only when this release lifted a limit that was reached: a
            -- notifying commit takes PostgreSQL's global notify lock, so notify only when useful
            IF u.running + 1 >= u.max_concurrent OR coalesce(qr.running + 1 >= qr.max_concurrent, false)
               OR coalesce(gr.running + 1 >= gr.global_slots, false) THEN
                PERFORM pg_notify('fq_claimable', '*');
            END IF;
        END IF;
    END IF;
    IF was_pending AND (NOT is_pending OR OLD.priority <> NEW.priority) THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        VALUES (OLD.user_id, OLD.priority, fq_minute(OLD.created_at), -1);
        PERFORM fq_lane_refresh(OLD.user_id, OLD.queue, coalesce(OLD.project_id, ''), OLD.off_peak_only, OLD.id);
    END IF;
    IF is_pending AND (NOT was_pending OR OLD.priority <> NEW.priority) THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        VALUES (NEW.user_id, NEW.priority, fq_minute(NEW.created_at), 1);
        PERFORM fq_lane_offer(NEW);
        IF NOT was_pending THEN
            PERFORM pg_notify('fq_claimable', NEW.queue);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION fq_job_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_count_delta (queue, status, tier, delta) VALUES (OLD.queue, OLD.status, fq_tier(OLD.priority), -1);
    RETURN NULL;
END $$;

CREATE TRIGGER job_deleted AFTER DELETE ON job FOR EACH ROW EXECUTE FUNCTION fq_job_deleted();

-- GET /queue?queue=: one queue's pending jobs in position order
CREATE INDEX job_pending_queue_order_idx ON job (queue, priority DESC, created_at, id) WHERE status = 'PENDING';

-- The recount (GET /admin/recount) also compares and repairs the counts by status.
CREATE OR REPLACE FUNCTION fq_recount(p_repair boolean)
RETURNS TABLE (kind text, key text, stored bigint, actual bigint) LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE job IN EXCLUSIVE MODE;
    RETURN QUERY
    SELECT 'user.running', u.id, u.running::bigint, count(j.id)
      FROM fq_user u LEFT JOIN job j ON j.user_id = u.id AND j.status IN ('DISPATCHED', 'RUNNING')
     GROUP BY u.id, u.running HAVING u.running <> count(j.id)

    UNION ALL
    SELECT 'queue.running', q.name, q.running::bigint, count(j.id)
      FROM queue q LEFT JOIN job j ON j.queue = q.name AND j.status IN ('DISPATCHED', 'RUNNING')
     WHERE q.max_concurrent IS NOT NULL
     GROUP BY q.name, q.running HAVING q.running <> count(j.id)
    UNION ALL
    SELECT 'global.running', 'settings', s.running::bigint,
           (SELECT count(*) FROM job WHERE status IN ('DISPATCHED', 'RUNNING'))
      FROM settings s
     WHERE s.global_slots IS NOT NULL AND s.running <> (SELECT count(*) FROM job WHERE status IN ('DISPATCHED', 'RUNNING'))
    UNION ALL
    SELECT 'lane.head', l.user_id || '/' || l.queue || '/' || l.project_key || '/' || l.off_peak,
           l.head_job_id, h.id
      FROM lane l LEFT JOIN LATERAL (
           SELECT j.id FROM job j
            WHERE j.user_id = l.user_id AND j.queue = l.queue AND coalesce(j.project_id, '') = l.project_key
              AND j.off_peak_only = l.off_peak AND j.status = 'PENDING'
            ORDER BY j.priority DESC, j.created_at, j.id LIMIT 1) h ON true
     WHERE l.head_job_id IS DISTINCT FROM h.id
    UNION ALL
    SELECT 'pending.count', coalesce(a.priority, c.priority) || '/' || coalesce(a.minute, c.minute),
           coalesce(c.n, 0)::bigint, coalesce(a.n, 0)::bigint
      FROM (SELECT priority, fq_minute(created_at) AS minute, count(*) AS n FROM job WHERE status = 'PENDING' GROUP BY 1, 2) a
      FULL JOIN (SELECT priority, minute, sum(n) AS n FROM (
                     SELECT priority, minute, n FROM pending_count
                     UNION ALL SELECT priority, minute, delta FROM pending_delta) x GROUP BY 1, 2) c
        ON c.priority = a.priority AND c.minute = a.minute
     WHERE coalesce(c.n, 0) <> coalesce(a.n, 0)
    UNION ALL
    SELECT 'lane.blocked', l.user_id || '/' || l.queue || '/' || l.project_key || '/' || l.off_peak,
           l.blocked::int::bigint, (s.per_user_serialization AND u.running >= u.max_concurrent)::int::bigint
      FROM lane l JOIN fq_user u ON u.id = l.user_id CROSS JOIN settings s
     WHERE s.id = 1 AND l.blocked <> (s.per_user_serialization AND u.running >= u.max_concurrent)
    UNION ALL
    SELECT 'lane.user_running', l.user_id || '/' || l.queue || '/' || l.project_key || '/' || l.off_peak,
           l.user_running::bigint, u.running::bigint
      FROM lane l JOIN fq_user u ON u.id = l.user_id
     WHERE l.user_running <> u.running
    UNION ALL
    SELECT 'user.pending.count', coalesce(a.user_id, c.user_id) || '/' || coalesce(a.priority, c.priority) || '/' || coalesce(a.minute, c.minute),
           coalesce(c.n, 0)::bigint, coalesce(a.n, 0)::bigint
      FROM (SELECT user_id, priority, fq_minute(created_at) AS minute, count(*) AS n FROM job WHERE status = 'PENDING' GROUP BY 1, 2, 3) a
      FULL JOIN (SELECT user_id, priority, minute, sum(n) AS n FROM (
                     SELECT user_id, priority, minute, n FROM user_pending_count
                     UNION ALL SELECT user_id, priority, minute, delta FROM pending_delta) x GROUP BY 1, 2, 3) c
        ON c.user_id = a.user_id AND c.priority = a.priority AND c.minute = a.minute
     WHERE coalesce(c.n, 0) <> coalesce(a.n, 0)
    UNION ALL
    SELECT 'job.count', coalesce(a.queue, c.queue) || '/' || coalesce(a.status, c.status) || '/' || coalesce(a.tier, c.tier),
           coalesce(c.n, 0)::bigint, coalesce(a.n, 0)::bigint
      FROM (SELECT queue, status, fq_tier(priority) AS tier, count(*) AS n FROM job GROUP BY 1, 2, 3) a
      FULL JOIN (SELECT queue, status, tier, sum(n) AS n FROM (
                     SELECT queue, status, tier, n FROM job_count
                     UNION ALL SELECT queue, status, tier, delta FROM job_count_delta) x GROUP BY 1, 2, 3) c
        ON c.queue = a.queue AND c.status = a.status AND c.tier = a.tier
     WHERE coalesce(c.n, 0) <> coalesce(a.n, 0);
    IF p_repair THEN
        DELETE FROM job_count_delta;
        DELETE FROM job_count;
        INSERT INTO job_count (queue, status, tier, n)
        SELECT queue, status, fq_tier(priority), count(*) FROM job GROUP BY 1, 2, 3;
        UPDATE fq_user u SET running = (SELECT count(*) FROM job j WHERE j.user_id = u.id AND j.status IN ('DISPATCHED', 'RUNNING'));
        UPDATE queue q SET running = CASE WHEN q.max_concurrent IS NULL THEN 0 ELSE
               (SELECT count(*) FROM job j WHERE j.queue = q.name AND j.status IN ('DISPATCHED', 'RUNNING')) END;
        UPDATE settings SET running = CASE WHEN global_slots IS NULL THEN 0 ELSE
               (SELECT count(*) FROM job WHERE status IN ('DISPATCHED', 'RUNNING')) END;
        INSERT INTO lane (user_id, queue, project_key, off_peak, user_running, blocked)
        SELECT DISTINCT j.user_id, j.queue, coalesce(j.project_id, ''), j.off_peak_only, 0, false
          FROM job j WHERE j.status = 'PENDING'
        ON CONFLICT DO NOTHING;
        PERFORM fq_lane_refresh(l.user_id, l.queue, l.project_key, l.off_peak, NULL) FROM lane l;
        DELETE FROM pending_delta;
        DELETE FROM pending_count;
        DELETE FROM user_pending_count;
        INSERT INTO pending_count (priority, minute, n)
        SELECT priority, fq_minute(created_at), count(*) FROM job WHERE status = 'PENDING' GROUP BY 1, 2;
        INSERT INTO user_pending_count (user_id, priority, minute, n)
        SELECT user_id, priority, fq_minute(created_at), count(*) FROM job WHERE status = 'PENDING' GROUP BY 1, 2, 3;
        UPDATE lane l SET user_running = u.running, blocked = s.per_user_serialization AND u.running >= u.max_concurrent
          FROM fq_user u, settings s WHERE s.id = 1 AND u.id = l.user_id;
    END IF;
END $$;

-- The claim waits for a queue's counter row instead of skipping the queue, while it holds no
-- other queue's row (a claim from one queue, the usual case): a completion holds that row until it
-- commits, and skipping turned claims away empty whenever any completion of the queue was in flight.
-- The claim. Each candidate is locked and every limit checked under its counter's row lock, in
-- the global lock order; a candidate that fails a check is skipped, never waited for. The job
-- update fires fq_job_changed (counters, lanes); the audit row is written here.
CREATE OR REPLACE FUNCTION fq_claim(p_worker text, p_queues text[], p_user text, p_limit integer, p_now timestamptz,
                         p_by text, p_off_peak_open boolean)
RETURNS SETOF job LANGUAGE plpgsql AS $$
DECLARE
    s           settings;
    c           lane;
    j           job;
    u           record;
    q           record;
    until       timestamptz;
    n           integer := 0;
    skip_jobs   bigint[] := '{}';
    skip_users  text[] := '{}';
    skip_queues text[] := '{}';
    held_queues text[] := '{}';
    held_settings boolean := false;
BEGIN
    -- Conflicts with the EXCLUSIVE lock taken while a limit is changed (and its counter recounted).
    LOCK TABLE job IN ROW SHARE MODE;
    WHILE n < p_limit LOOP
        SELECT * INTO s FROM settings WHERE id = 1;
        EXIT WHEN s.global_slots IS NOT NULL AND s.running >= s.global_slots;
        c := fq_next_lane(p_queues, p_user, p_off_peak_open, p_now, skip_jobs, skip_users, skip_queues);
        EXIT WHEN c.head_job_id IS NULL;

        SELECT * INTO j FROM job WHERE id = c.head_job_id AND status = 'PENDING' FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN                        -- being claimed or changed by someone else
            skip_jobs := skip_jobs || c.head_job_id;
            CONTINUE;
        END IF;

        -- User rows are never waited for (a busy one is skipped for this call): their holders
        -- go on to queue rows, one of which this call may hold. Queue rows: see below.
        -- NO KEY UPDATE, like the counter updates themselves: it does not conflict with the KEY
        -- SHARE locks that foreign-key checks (new lanes, new jobs) take on these rows.
        SELECT running, max_concurrent INTO u FROM fq_user WHERE id = j.user_id FOR NO KEY UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            skip_users := skip_users || j.user_id;
            CONTINUE;
        END IF;
        IF s.per_user_serialization AND u.running >= u.max_concurrent THEN
            skip_users := skip_users || j.user_id;
            UPDATE lane SET blocked = true, user_running = u.running WHERE user_id = j.user_id AND NOT blocked;
            CONTINUE;
        END IF;

        until := fq_quota_blocked_until(j.user_id, j.project_id, p_now);
        IF until IS NOT NULL THEN
            UPDATE lane SET quota_blocked_until = until
             WHERE user_id = c.user_id AND queue = c.queue AND project_key = c.project_key AND off_peak = c.off_peak;
            skip_jobs := skip_jobs || j.id;
            CONTINUE;
        END IF;

        SELECT paused, max_concurrent INTO q FROM queue WHERE name = j.queue;
        IF q.max_concurrent IS NOT NULL THEN
            IF held_queues <@ ARRAY[j.queue] AND NOT held_settings THEN
                -- While this call holds no other queue's row and not the settings row, waiting for
                -- this one is safe: its holders (completions, other claims) go on to settings and
                -- to their own users' lanes and usage, never to a row this call holds. Skipping it instead would turn
                -- every claim away while any job of the queue commits its completion.
                SELECT paused, max_concurrent, running INTO q FROM queue WHERE name = j.queue FOR NO KEY UPDATE;
            ELSE
                SELECT paused, max_concurrent, running INTO q FROM queue WHERE name = j.queue FOR NO KEY UPDATE SKIP LOCKED;
                IF NOT FOUND THEN
                    skip_queues := skip_queues || j.queue;
                    CONTINUE;
                END IF;
            END IF;
            IF q.running >= q.max_concurrent THEN
                skip_queues := skip_queues || j.queue;
                CONTINUE;
            END IF;
            IF NOT j.queue = ANY (held_queues) THEN
                held_queues := held_queues || j.queue;
            END IF;
        END IF;
        IF q.paused THEN
            skip_queues := skip_queues || j.queue;
            CONTINUE;
        END IF;

        IF s.global_slots IS NOT NULL THEN
            -- Waiting here is safe: settings is the last counter in the lock order, and its
            -- holders only go on to lanes and usage of their own user, never to ours.
            SELECT * INTO s FROM settings WHERE id = 1 FOR UPDATE;
            held_settings := true;
            EXIT WHEN s.running >= s.global_slots;
        END IF;

        UPDATE job
           SET status = 'DISPATCHED', worker_id = p_worker, lease_token = gen_random_uuid()::text,
               lease_expires_at = p_now + make_interval(secs => (SELECT lease_seconds FROM queue WHERE name = j.queue)),
               claimed_at = p_now, started_at = NULL, attempts = attempts + 1, next_retry_at = NULL,
               version = version + 1
         WHERE id = j.id
        RETURNING * INTO j;
        INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
        VALUES (j.id, 'PENDING', 'DISPATCHED', p_now, p_by, 'claimed by worker ' || p_worker);
        RETURN NEXT j;
        n := n + 1;
    END LOOP;
END $$;
