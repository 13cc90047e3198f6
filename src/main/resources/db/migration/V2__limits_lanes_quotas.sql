-- FairQueue schema v2: exact limits, fair lanes, quotas and usage, scheduling policies.
--
-- LIMITS. fq_user.running (always), queue.running (while the queue has max_concurrent) and
-- settings.running (while global_slots is set) count DISPATCHED + RUNNING jobs. The trigger on job
-- keeps them, whatever path changes a status (JPA, bulk SQL, the claim), so they always equal a
-- recount. fq_claim checks each limit under the row lock of its counter before it dispatches a job:
-- a limit can never be exceeded, however many claimers run on however many nodes.
-- Lock order: job -> fq_user -> queue -> settings -> lane -> usage. The claim never waits for a
-- user or queue row (SKIP LOCKED); moves of many jobs lock their users first, sorted, and take
-- the jobs with SKIP LOCKED (fq_promote, fq_cancel_waiting).
-- Changing queue.max_concurrent or settings.global_slots (rare) takes LOCK TABLE job IN EXCLUSIVE
-- MODE and recounts, so no claim or completion runs while a counter starts or stops being kept.
--
-- LANES. A lane is (user, queue, project, offPeakOnly) with its best PENDING job as head. The claim
-- reads, per eligible queue, the first lane of lane_claim_idx: (priority desc, the user's running
-- count, age). So the next job is found by index whatever the backlog, users at their limit are
-- not even visited (blocked lanes are outside the partial index), and at equal priority the user
-- with fewer running jobs goes first.

CREATE TABLE settings (
    id                     smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    per_user_serialization boolean NOT NULL DEFAULT true,
    lock_timeout_seconds   integer NOT NULL DEFAULT 3600 CHECK (lock_timeout_seconds BETWEEN 10 AND 2592000),
    global_slots           integer CHECK (global_slots >= 1),
    running                integer NOT NULL DEFAULT 0 CHECK (running >= 0),
    version                bigint NOT NULL DEFAULT 0
);
INSERT INTO settings (id) VALUES (1);

ALTER TABLE fq_user ADD COLUMN running integer NOT NULL DEFAULT 0 CHECK (running >= 0),
                    ADD COLUMN pending integer NOT NULL DEFAULT 0 CHECK (pending >= 0);
ALTER TABLE queue ADD COLUMN running integer NOT NULL DEFAULT 0 CHECK (running >= 0);

UPDATE fq_user u SET running = (SELECT count(*) FROM job j WHERE j.user_id = u.id AND j.status IN ('DISPATCHED', 'RUNNING')),
                     pending = (SELECT count(*) FROM job j WHERE j.user_id = u.id AND j.status = 'PENDING');
UPDATE queue q SET running = (SELECT count(*) FROM job j WHERE j.queue = q.name AND j.status IN ('DISPATCHED', 'RUNNING'))
 WHERE max_concurrent IS NOT NULL;

CREATE TABLE lane (
    user_id             text NOT NULL REFERENCES fq_user (id),
    queue               text NOT NULL REFERENCES queue (name),
    project_key         text NOT NULL,      -- '' = no project
    off_peak            boolean NOT NULL,
    head_job_id         bigint,             -- the lane's best PENDING job; NULL = none
    head_priority       smallint,
    head_created_at     timestamptz,
    user_running        integer NOT NULL,   -- copy of fq_user.running: the fairness order
    blocked             boolean NOT NULL,   -- the user is at its concurrency limit
    quota_blocked_until timestamptz,        -- a quota of the user or project is exhausted until then
    PRIMARY KEY (user_id, queue, project_key, off_peak)
);
-- the claim (fq_next_lane): per queue and off-peak flag, the best lane
CREATE INDEX lane_claim_idx ON lane (queue, off_peak, head_priority DESC, user_running, head_created_at, head_job_id)
    WHERE head_job_id IS NOT NULL AND NOT blocked;
-- a project quota changed: unblock its lanes
CREATE INDEX lane_project_idx ON lane (project_key) WHERE project_key <> '';
-- a lane's next head (fq_lane_refresh)
CREATE INDEX job_lane_order_idx ON job (user_id, queue, (coalesce(project_id, '')), off_peak_only, priority DESC, created_at, id)
    WHERE status = 'PENDING';
-- running jobs per user, queue, all: locks, recounts, reapers
CREATE INDEX job_running_idx ON job (user_id, queue) WHERE status IN ('DISPATCHED', 'RUNNING');

-- Quotas: GPU seconds per day and week, per user or per project (no row = unlimited). The monthly
-- limit is the user's plan (fq_user.monthly_hours_limit).
CREATE TABLE quota (
    scope             text NOT NULL CHECK (scope IN ('USER', 'PROJECT')),
    key               text NOT NULL,
    daily_limit_secs  bigint CHECK (daily_limit_secs >= 0),
    weekly_limit_secs bigint CHECK (weekly_limit_secs >= 0),
    PRIMARY KEY (scope, key)
);

-- Usage: run time of ended attempts, per day, week (from Monday) and month, in the QUOTA_RESET
-- policy's time zone, attributed to the period in which the attempt ended.
CREATE TABLE usage (
    scope        text NOT NULL CHECK (scope IN ('USER', 'PROJECT')),
    key          text NOT NULL,
    period       text NOT NULL CHECK (period IN ('DAY', 'WEEK', 'MONTH')),
    period_start date NOT NULL,
    used_secs    double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key, period, period_start)
);

CREATE TABLE scheduling_policy (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    policy_type text NOT NULL CHECK (policy_type ~ '^[A-Z][A-Z_]{0,39}$'),
    name        text,
    config      jsonb NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    version     bigint NOT NULL DEFAULT 0
);
CREATE INDEX scheduling_policy_type_idx ON scheduling_policy (policy_type) WHERE enabled;
INSERT INTO scheduling_policy (policy_type, name, config)
VALUES ('OFF_PEAK', 'Nights', '{"start": "22:00", "end": "08:00", "timezone": "UTC"}');

-- The QUOTA_RESET policy's time zone (UTC without one).
CREATE FUNCTION fq_quota_tz() RETURNS text LANGUAGE sql AS $$
    SELECT coalesce((SELECT config ->> 'timezone' FROM scheduling_policy
                      WHERE policy_type = 'QUOTA_RESET' AND enabled ORDER BY id LIMIT 1), 'UTC')
$$;

CREATE FUNCTION fq_used(p_scope text, p_key text, p_period text, p_start date) RETURNS double precision
LANGUAGE sql AS $$
    SELECT coalesce((SELECT used_secs FROM usage
                      WHERE scope = p_scope AND key = p_key AND period = p_period AND period_start = p_start), 0)
$$;

-- Adds an ended attempt's run time to the user's and the project's day, week and month.
CREATE FUNCTION fq_add_usage(p_user text, p_project text, p_secs double precision, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    local timestamp;
    k record;
BEGIN
    IF p_secs IS NULL OR p_secs <= 0 THEN
        RETURN;
    END IF;
    local := p_at AT TIME ZONE fq_quota_tz();
    FOR k IN SELECT * FROM (VALUES ('USER', p_user), ('PROJECT', p_project)) v(scope, key) WHERE v.key IS NOT NULL LOOP
        INSERT INTO usage (scope, key, period, period_start, used_secs)
        VALUES (k.scope, k.key, 'DAY', local::date, p_secs),
               (k.scope, k.key, 'WEEK', date_trunc('week', local)::date, p_secs),
               (k.scope, k.key, 'MONTH', date_trunc('month', local)::date, p_secs)
        ON CONFLICT (scope, key, period, period_start) DO UPDATE SET used_secs = usage.used_secs + EXCLUDED.used_secs;
    END LOOP;
END $$;

-- When a daily, weekly or monthly quota of the user or project is exhausted at p_now: the moment
-- the last exhausted window resets. NULL = within every quota.
CREATE FUNCTION fq_quota_blocked_until(p_user text, p_project text, p_now timestamptz) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    tz    text := fq_quota_tz();
    local timestamp := p_now AT TIME ZONE tz;
    d     date := local::date;
    w     date := date_trunc('week', local)::date;
    m     date := date_trunc('month', local)::date;
    until timestamp;
    q     record;
    hours numeric;
BEGIN
    FOR q IN SELECT * FROM quota
              WHERE (scope = 'USER' AND key = p_user) OR (scope = 'PROJECT' AND key = p_project) LOOP
        IF q.daily_limit_secs IS NOT NULL AND fq_used(q.scope, q.key, 'DAY', d) >= q.daily_limit_secs THEN
            until := greatest(until, (d + 1)::timestamp);
        END IF;
        IF q.weekly_limit_secs IS NOT NULL AND fq_used(q.scope, q.key, 'WEEK', w) >= q.weekly_limit_secs THEN
            until := greatest(until, (w + 7)::timestamp);
        END IF;
    END LOOP;
    SELECT monthly_hours_limit INTO hours FROM fq_user WHERE id = p_user;
    IF hours IS NOT NULL AND fq_used('USER', p_user, 'MONTH', m) >= hours * 3600 THEN
        until := greatest(until, m + interval '1 month');
    END IF;
    RETURN until AT TIME ZONE tz;
END $$;

-- Offers a job that became PENDING to its lane (creating the lane): it becomes the head if it is
-- ahead of the current one. The caller holds the user's row lock when the lane may be new.
CREATE FUNCTION fq_lane_offer(j job) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    u record;
    serial boolean;
BEGIN
    SELECT running, max_concurrent INTO u FROM fq_user WHERE id = j.user_id;
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

-- Recomputes a lane's head (only if it is still p_if_head, when given). The lane row is locked
-- first, so the head query's fresh snapshot sees every job committed before: a concurrent offer
-- either committed already (and is seen) or waits for this lock (and compares with the new head).
CREATE FUNCTION fq_lane_refresh(p_user text, p_queue text, p_project text, p_off_peak boolean, p_if_head bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM lane
      WHERE user_id = p_user AND queue = p_queue AND project_key = p_project AND off_peak = p_off_peak
        FOR UPDATE;
    UPDATE lane l SET (head_job_id, head_priority, head_created_at) = (
           SELECT j.id, j.priority, j.created_at FROM job j
            WHERE j.user_id = l.user_id AND j.queue = l.queue AND coalesce(j.project_id, '') = l.project_key
              AND j.off_peak_only = l.off_peak AND j.status = 'PENDING'
            ORDER BY j.priority DESC, j.created_at, j.id
            LIMIT 1)
     WHERE l.user_id = p_user AND l.queue = p_queue AND l.project_key = p_project AND l.off_peak = p_off_peak
       AND (p_if_head IS NULL OR l.head_job_id = p_if_head);
END $$;

-- POSITIONS. position = 1 + PENDING jobs ahead (priority desc, created_at, id). Counting them in
-- the index would grow with the backlog, and counter rows updated from the job trigger would
-- deadlock across batches, so: the trigger only appends +1/-1 rows to pending_delta (no locks);
-- fq_compact_pending folds them into per-minute counts (one compactor at a time); fq_position
-- sums the counts and deltas ahead of the job's minute and counts the job's own minute in the
-- index. Exact, and bounded by the jobs created in one minute, not by the backlog.
CREATE FUNCTION fq_minute(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT floor(extract(epoch FROM t) / 60)::bigint
$$;

-- No identity column here, nor in any table the job trigger inserts into: EclipseLink reads a new
-- job's id with lastval(), which a sequence used by the trigger would change.
CREATE TABLE pending_delta (
    user_id  text NOT NULL,
    priority smallint NOT NULL,
    minute   bigint NOT NULL,
    delta    smallint NOT NULL
);
CREATE INDEX pending_delta_order_idx ON pending_delta (priority, minute);
CREATE INDEX pending_delta_user_idx ON pending_delta (user_id, priority, minute);

CREATE TABLE pending_count (
    priority smallint NOT NULL,
    minute   bigint NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (priority, minute)
);

CREATE TABLE user_pending_count (
    user_id  text NOT NULL,
    priority smallint NOT NULL,
    minute   bigint NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (user_id, priority, minute)
);

INSERT INTO pending_count (priority, minute, n)
SELECT priority, fq_minute(created_at), count(*) FROM job WHERE status = 'PENDING' GROUP BY 1, 2;
INSERT INTO user_pending_count (user_id, priority, minute, n)
SELECT user_id, priority, fq_minute(created_at), count(*) FROM job WHERE status = 'PENDING' GROUP BY 1, 2, 3;

-- Folds pending_delta into the counts; answers how many deltas it folded (0 if another
-- transaction is compacting right now).
CREATE FUNCTION fq_compact_pending() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    folded integer;
    kp smallint[]; km bigint[];
    ku text[]; kup smallint[]; kum bigint[];
BEGIN
    IF NOT pg_try_advisory_xact_lock(7312220031) THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM pending_delta RETURNING user_id, priority, minute, delta),
         g AS (SELECT priority, minute, sum(delta) AS d FROM moved GROUP BY 1, 2),
         gu AS (SELECT user_id, priority, minute, sum(delta) AS d FROM moved GROUP BY 1, 2, 3),
         a AS (INSERT INTO pending_count AS c (priority, minute, n)
               SELECT priority, minute, d FROM g ORDER BY 1, 2
               ON CONFLICT (priority, minute) DO UPDATE SET n = c.n + EXCLUDED.n
               RETURNING priority, minute),
         b AS (INSERT INTO user_pending_count AS c (user_id, priority, minute, n)
               SELECT user_id, priority, minute, d FROM gu ORDER BY 1, 2, 3
               ON CONFLICT (user_id, priority, minute) DO UPDATE SET n = c.n + EXCLUDED.n
               RETURNING user_id, priority, minute)
    SELECT (SELECT count(*) FROM moved),
           (SELECT array_agg(priority) FROM a), (SELECT array_agg(minute) FROM a),
           (SELECT array_agg(user_id) FROM b), (SELECT array_agg(priority) FROM b), (SELECT array_agg(minute) FROM b)
      INTO folded, kp, km, ku, kup, kum;
    DELETE FROM pending_count WHERE n = 0 AND (priority, minute) IN (SELECT * FROM unnest(kp, km));
    DELETE FROM user_pending_count WHERE n = 0 AND (user_id, priority, minute) IN (SELECT * FROM unnest(ku, kup, kum));
    RETURN folded;
END $$;

-- 1 + the PENDING jobs ahead of (priority, created_at, id), among all jobs or one user's.
-- STABLE: all its reads share one snapshot, so counts and deltas agree.
CREATE FUNCTION fq_position(p_priority smallint, p_created timestamptz, p_id bigint, p_user text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    m bigint := fq_minute(p_created);
    from_minute timestamptz := to_timestamp(m * 60);
    ahead bigint;
BEGIN
    IF p_user IS NULL THEN
        SELECT coalesce(sum(n), 0) INTO ahead FROM (
            SELECT n FROM pending_count WHERE priority > p_priority
            UNION ALL SELECT n FROM pending_count WHERE priority = p_priority AND minute < m
            UNION ALL SELECT delta FROM pending_delta WHERE priority > p_priority
            UNION ALL SELECT delta FROM pending_delta WHERE priority = p_priority AND minute < m) c;
        RETURN 1 + ahead + (SELECT count(*) FROM job
                             WHERE status = 'PENDING' AND priority = p_priority AND created_at >= from_minute
                               AND (created_at, id) < (p_created, p_id));
    END IF;
    SELECT coalesce(sum(n), 0) INTO ahead FROM (
        SELECT n FROM user_pending_count WHERE user_id = p_user AND priority > p_priority
        UNION ALL SELECT n FROM user_pending_count WHERE user_id = p_user AND priority = p_priority AND minute < m
        UNION ALL SELECT delta FROM pending_delta WHERE user_id = p_user AND priority > p_priority
        UNION ALL SELECT delta FROM pending_delta WHERE user_id = p_user AND priority = p_priority AND minute < m) c;
    RETURN 1 + ahead + (SELECT count(*) FROM job
                         WHERE status = 'PENDING' AND user_id = p_user AND priority = p_priority
                           AND created_at >= from_minute AND (created_at, id) < (p_created, p_id));
END $$;

-- Keeps the counters, the lanes and the usage in step with every change of a job's status or
-- priority, in the same transaction.
CREATE FUNCTION fq_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_holding boolean := TG_OP = 'UPDATE' AND OLD.status IN ('DISPATCHED', 'RUNNING');
    is_holding  boolean := NEW.status IN ('DISPATCHED', 'RUNNING');
    was_pending boolean := TG_OP = 'UPDATE' AND OLD.status = 'PENDING';
    is_pending  boolean := NEW.status = 'PENDING';
    d  integer := CASE WHEN is_holding AND NOT was_holding THEN 1 WHEN was_holding AND NOT is_holding THEN -1 ELSE 0 END;
    dp integer := CASE WHEN is_pending AND NOT was_pending THEN 1 WHEN was_pending AND NOT is_pending THEN -1 ELSE 0 END;
    u record;
BEGIN
    IF d <> 0 OR dp <> 0 THEN
        UPDATE fq_user SET running = running + d, pending = pending + dp WHERE id = NEW.user_id
        RETURNING running, max_concurrent INTO u;
    END IF;
    IF d <> 0 THEN
        UPDATE queue SET running = running + d WHERE name = NEW.queue AND max_concurrent IS NOT NULL;
        UPDATE settings SET running = running + d WHERE id = 1 AND global_slots IS NOT NULL;
        UPDATE lane l SET user_running = u.running,
                          blocked = s.per_user_serialization AND u.running >= u.max_concurrent
          FROM settings s
         WHERE s.id = 1 AND l.user_id = NEW.user_id;
        IF d < 0 THEN
            PERFORM fq_add_usage(NEW.user_id, NEW.project_id, NEW.actual_duration_secs,
                                 coalesce(OLD.started_at, OLD.claimed_at) + make_interval(secs => NEW.actual_duration_secs));
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
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER job_changed AFTER INSERT OR UPDATE OF status, priority ON job
    FOR EACH ROW EXECUTE FUNCTION fq_job_changed();

-- Lanes for the jobs already pending before this migration.
INSERT INTO lane (user_id, queue, project_key, off_peak, user_running, blocked)
SELECT DISTINCT j.user_id, j.queue, coalesce(j.project_id, ''), j.off_peak_only, u.running, u.running >= u.max_concurrent
  FROM job j JOIN fq_user u ON u.id = j.user_id WHERE j.status = 'PENDING';
SELECT fq_lane_refresh(user_id, queue, project_key, off_peak, NULL) FROM lane;

-- The best lane to claim from: per eligible queue and off-peak flag, the first lane of
-- lane_claim_idx; then the best of those. With p_user, that user's lanes (primary key).
CREATE FUNCTION fq_next_lane(p_queues text[], p_user text, p_off_peak_open boolean, p_now timestamptz,
                             p_skip_jobs bigint[], p_skip_users text[], p_skip_queues text[])
RETURNS lane LANGUAGE plpgsql AS $$
DECLARE
    c lane;
BEGIN
    IF p_user IS NOT NULL THEN
        SELECT l.* INTO c FROM lane l JOIN queue q ON q.name = l.queue
         WHERE l.user_id = p_user AND l.head_job_id IS NOT NULL AND NOT l.blocked
           AND NOT q.paused AND (q.max_concurrent IS NULL OR q.running < q.max_concurrent)
           AND (p_queues IS NULL OR l.queue = ANY (p_queues)) AND l.queue <> ALL (p_skip_queues)
           AND (p_off_peak_open OR NOT l.off_peak)
           AND (l.quota_blocked_until IS NULL OR l.quota_blocked_until <= p_now)
           AND l.head_job_id <> ALL (p_skip_jobs)
         ORDER BY l.head_priority DESC, l.head_created_at, l.head_job_id
         LIMIT 1;
        RETURN c;
    END IF;
    SELECT best.* INTO c FROM (
        SELECT q.name, o.off_peak FROM queue q CROSS JOIN (VALUES (false), (true)) AS o(off_peak)
         WHERE NOT q.paused AND (q.max_concurrent IS NULL OR q.running < q.max_concurrent)
           AND (p_queues IS NULL OR q.name = ANY (p_queues)) AND q.name <> ALL (p_skip_queues)
           AND (p_off_peak_open OR NOT o.off_peak)) eligible
    CROSS JOIN LATERAL (
        SELECT l.* FROM lane l
         WHERE l.queue = eligible.name AND l.off_peak = eligible.off_peak
           AND l.head_job_id IS NOT NULL AND NOT l.blocked
           AND (l.quota_blocked_until IS NULL OR l.quota_blocked_until <= p_now)
           AND l.user_id <> ALL (p_skip_users) AND l.head_job_id <> ALL (p_skip_jobs)
         ORDER BY l.head_priority DESC, l.user_running, l.head_created_at, l.head_job_id
         LIMIT 1) best
    ORDER BY best.head_priority DESC, best.user_running, best.head_created_at, best.head_job_id
    LIMIT 1;
    RETURN c;
END $$;

-- The claim. Each candidate is locked and every limit checked under its counter's row lock, in
-- the global lock order; a candidate that fails a check is skipped, never waited for. The job
-- update fires fq_job_changed (counters, lanes); the audit row is written here.
CREATE FUNCTION fq_claim(p_worker text, p_queues text[], p_user text, p_limit integer, p_now timestamptz,
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

        -- User and queue rows are never waited for (a busy one is skipped for this call): a
        -- batch may already hold another queue's or the pool's lock, which their holders want next.
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
            SELECT paused, max_concurrent, running INTO q FROM queue WHERE name = j.queue FOR NO KEY UPDATE SKIP LOCKED;
            IF NOT FOUND OR q.running >= q.max_concurrent THEN
                skip_queues := skip_queues || j.queue;
                CONTINUE;
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

-- Recount: compares every derived counter and lane with the jobs; with p_repair, fixes them.
-- Takes LOCK TABLE job IN EXCLUSIVE MODE so no status changes while it counts.
CREATE FUNCTION fq_recount(p_repair boolean)
RETURNS TABLE (kind text, key text, stored bigint, actual bigint) LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE job IN EXCLUSIVE MODE;
    RETURN QUERY
    SELECT 'user.running', u.id, u.running::bigint, count(j.id)
      FROM fq_user u LEFT JOIN job j ON j.user_id = u.id AND j.status IN ('DISPATCHED', 'RUNNING')
     GROUP BY u.id, u.running HAVING u.running <> count(j.id)
    UNION ALL
    SELECT 'user.pending', u.id, u.pending::bigint, count(j.id)
      FROM fq_user u LEFT JOIN job j ON j.user_id = u.id AND j.status = 'PENDING'
     GROUP BY u.id, u.pending HAVING u.pending <> count(j.id)
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
     WHERE l.user_running <> u.running;
    IF p_repair THEN
        UPDATE fq_user u SET running = (SELECT count(*) FROM job j WHERE j.user_id = u.id AND j.status IN ('DISPATCHED', 'RUNNING')),
                             pending = (SELECT count(*) FROM job j WHERE j.user_id = u.id AND j.status = 'PENDING');
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

-- Locks the users of the given jobs in id order (the one order all multi-user moves use).
CREATE FUNCTION fq_lock_users(p_jobs bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM fq_user WHERE id IN (SELECT user_id FROM job WHERE id = ANY (p_jobs)) ORDER BY id FOR NO KEY UPDATE;
END $$;

-- Promotion: due RETRY_WAIT and SCHEDULED jobs become PENDING, with their audit rows. Every node
-- may run it at once: the jobs are taken with SKIP LOCKED, their users locked in id order.
CREATE FUNCTION fq_promote(p_now timestamptz, p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
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
CREATE FUNCTION fq_cancel_waiting(p_queue text, p_user text, p_now timestamptz, p_by text) RETURNS integer
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
