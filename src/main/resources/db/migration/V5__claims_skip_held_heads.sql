-- FairQueue schema v5: claims that do not stampede, completions that do not wait for claims.
--
-- Concurrent claimers walk the lanes in the same order, so they all picked the same head, one
-- locked it and the others came back for the next lane, one by one: with 8 claimers about four
-- wasted lookups per claimed job. The claim now takes, in one index scan of the chosen lane's
-- partition, the best head nobody holds (FOR UPDATE SKIP LOCKED on the joined job). Everything
-- else is fq_claim of V4: every limit is still checked under its counter's row lock.
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
    -- A claim from one limited queue (the usual case) takes that queue's row first, while it holds
    -- nothing else: claims of a queue wait for each other here, not while holding a job and a user
    -- that other transactions (a batch submit, a completion) need.
    IF cardinality(p_queues) = 1 AND p_user IS NULL THEN
        PERFORM 1 FROM queue WHERE name = p_queues[1] AND max_concurrent IS NOT NULL FOR NO KEY UPDATE;
        IF FOUND THEN
            PERFORM fq_fold_releases(p_queues[1]);
            held_queues := p_queues;
        END IF;
    END IF;
    WHILE n < p_limit LOOP
        SELECT * INTO s FROM settings WHERE id = 1;
        EXIT WHEN s.global_slots IS NOT NULL AND s.running >= s.global_slots;
        IF cardinality(p_queues) = 1 AND p_user IS NULL AND NOT p_off_peak_open THEN
            -- one queue, one partition (off-peak lanes wait): the scan below is the choice
            EXIT WHEN p_queues[1] = ANY (skip_queues);
            c.queue := p_queues[1];
            c.off_peak := false;
        ELSE
            c := fq_next_lane(p_queues, p_user, p_off_peak_open, p_now, skip_jobs, skip_users, skip_queues);
            EXIT WHEN c.head_job_id IS NULL;
        END IF;

        -- The best head of that lane's partition (queue, off-peak flag) that nobody else holds:
        -- concurrent claimers skip each other's heads inside one index scan instead of all trying
        -- the same head and coming back for the next one.
        SELECT j2.* INTO j FROM lane l JOIN job j2 ON j2.id = l.head_job_id
         WHERE l.queue = c.queue AND l.off_peak = c.off_peak
           AND l.head_job_id IS NOT NULL AND NOT l.blocked
           AND (l.quota_blocked_until IS NULL OR l.quota_blocked_until <= p_now)
           AND (p_user IS NULL OR l.user_id = p_user)
           AND l.user_id <> ALL (skip_users) AND l.head_job_id <> ALL (skip_jobs)
           AND j2.status = 'PENDING'
         ORDER BY l.head_priority DESC, l.user_running, l.head_created_at, l.head_job_id
         LIMIT 1
           FOR UPDATE OF j2 SKIP LOCKED;
        IF NOT FOUND THEN                        -- every head there is being claimed or changed
            IF c.head_job_id IS NOT NULL AND p_off_peak_open THEN
                skip_jobs := skip_jobs || c.head_job_id;
            ELSE
                skip_queues := skip_queues || c.queue;   -- the queue's only partition
            END IF;
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
             WHERE user_id = j.user_id AND queue = j.queue AND project_key = coalesce(j.project_id, '')
               AND off_peak = j.off_peak_only;
            skip_jobs := skip_jobs || j.id;
            CONTINUE;
        END IF;

        SELECT paused, max_concurrent INTO q FROM queue WHERE name = j.queue;
        IF q.max_concurrent IS NOT NULL THEN
            IF held_queues <@ ARRAY[j.queue] AND NOT held_settings THEN
                -- While this call holds no other queue's row and not the settings row, waiting for
                -- this one is safe: its holders (other claims) go on to settings and to their own
                -- users' lanes, never to a row this call holds. (Completions no longer take it.)
                SELECT paused, max_concurrent, running INTO q FROM queue WHERE name = j.queue FOR NO KEY UPDATE;
            ELSE
                SELECT paused, max_concurrent, running INTO q FROM queue WHERE name = j.queue FOR NO KEY UPDATE SKIP LOCKED;
                IF NOT FOUND THEN
                    skip_queues := skip_queues || j.queue;
                    CONTINUE;
                END IF;
            END IF;
            IF NOT j.queue = ANY (held_queues) THEN
                -- The row is ours from now on, full or not: it counts as held at once. (V4 counted
                -- it only once a job was taken from it, so a claim holding a full queue's row could
                -- wait for another queue's row whose holder waited for this one: a deadlock.)
                held_queues := held_queues || j.queue;
                -- a later statement than the lock, so its snapshot sees every release committed
                -- before the lock was granted
                q.running := fq_fold_releases(j.queue);
            END IF;
            IF q.running >= q.max_concurrent THEN
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

-- QUEUE SLOTS ARE RELEASED WITHOUT THE QUEUE'S ROW. A completion (or any end of an attempt) in a
-- limited queue used to update queue.running, so it waited for the row that every claim of that
-- queue holds until it commits, and every claim waited for every completion in flight: the
-- queue's row serialized all its traffic. Now a release only appends -1 to queue_release (no
-- lock, like pending_delta). The running count is queue.running plus those rows
-- (fq_queue_running). Only fq_claim raises queue.running, holding the row; right after taking it
-- the claim folds the releases in (fq_fold_releases), in a later statement, so it sees every
-- release committed before it got the row and none twice. A release committed after that only
-- makes the true count lower than the one the claim checks: the limit still holds exactly.
CREATE TABLE queue_release (
    queue text NOT NULL,
    n     integer NOT NULL
);
CREATE INDEX queue_release_queue_idx ON queue_release (queue);

CREATE FUNCTION fq_queue_running(p_queue text) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT (q.running + coalesce((SELECT sum(r.n) FROM queue_release r WHERE r.queue = q.name), 0))::integer
      FROM queue q WHERE q.name = p_queue
$$;

-- Folds a queue's released slots into queue.running; the caller holds the queue's row. Answers
-- the running count.
CREATE FUNCTION fq_fold_releases(p_queue text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    freed integer;
    r integer;
BEGIN
    WITH d AS (DELETE FROM queue_release WHERE queue = p_queue RETURNING n)
    SELECT coalesce(sum(n), 0) INTO freed FROM d;
    IF freed <> 0 THEN
        UPDATE queue SET running = running + freed WHERE name = p_queue RETURNING running INTO r;
    ELSE
        SELECT running INTO r FROM queue WHERE name = p_queue;
    END IF;
    RETURN r;
END $$;

-- Batch completions no longer lock the queues' rows (only settings and the projects' usage).
CREATE OR REPLACE FUNCTION fq_lock_release_rows(p_jobs bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM settings WHERE id = 1 AND global_slots IS NOT NULL FOR UPDATE;
    PERFORM pg_advisory_xact_lock(hashtextextended('fq_usage:' || p, 0)) FROM (
        SELECT DISTINCT project_id AS p FROM job WHERE id = ANY (p_jobs) AND project_id IS NOT NULL ORDER BY 1) ps;
END $$;

-- The recount (V4's, renamed) first folds every queue's releases, under its lock on job.
ALTER FUNCTION fq_recount(boolean) RENAME TO fq_recount_v4;
CREATE FUNCTION fq_recount(p_repair boolean)
RETURNS TABLE (kind text, key text, stored bigint, actual bigint) LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE job IN EXCLUSIVE MODE;
    PERFORM fq_fold_releases(name) FROM (SELECT DISTINCT queue AS name FROM queue_release ORDER BY 1) r;
    RETURN QUERY SELECT * FROM fq_recount_v4(p_repair);
END $$;

-- The best lane to claim from (V2's), a queue's running count now with its releases.
CREATE OR REPLACE FUNCTION fq_next_lane(p_queues text[], p_user text, p_off_peak_open boolean, p_now timestamptz,
                             p_skip_jobs bigint[], p_skip_users text[], p_skip_queues text[])
RETURNS lane LANGUAGE plpgsql AS $$
DECLARE
    c lane;
BEGIN
    IF p_user IS NOT NULL THEN
        SELECT l.* INTO c FROM lane l JOIN queue q ON q.name = l.queue
         WHERE l.user_id = p_user AND l.head_job_id IS NOT NULL AND NOT l.blocked
           AND NOT q.paused AND (q.max_concurrent IS NULL OR fq_queue_running(q.name) < q.max_concurrent)
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
         WHERE NOT q.paused AND (q.max_concurrent IS NULL OR fq_queue_running(q.name) < q.max_concurrent)
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

-- The job trigger (V4's), a release appending to queue_release.
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
        IF d > 0 THEN
            -- only fq_claim dispatches, and it holds the queue's row (see fq_fold_releases)
            UPDATE queue SET running = running + 1 WHERE name = NEW.queue AND max_concurrent IS NOT NULL
            RETURNING running, max_concurrent INTO qr;
        ELSE
            INSERT INTO queue_release (queue, n)
            SELECT name, -1 FROM queue WHERE name = NEW.queue AND max_concurrent IS NOT NULL;
            -- for the wake-up test below, the count before this release is taken as the counter's
            -- base: never lower than the true count, so a wake-up is never spared wrongly, sent
            -- needlessly at worst (no row, an unlimited queue: qr's fields are null)
            SELECT running - 1 AS running, max_concurrent INTO qr FROM queue
             WHERE name = NEW.queue AND max_concurrent IS NOT NULL;
        END IF;
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
