-- The schema a fresh database gets from db/migration and db/functions: tables, types,
-- indexes, triggers and every function. Not applied by anything; SchemaIT compares it with a
-- freshly migrated database. Regenerate it after changing a migration:
--   mvn -B verify -Dit.test=SchemaIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dfairqueue.schema.update=true

--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: fq_change; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.fq_change AS (
	id bigint,
	o_user text,
	o_queue text,
	o_project text,
	o_off_peak boolean,
	o_created timestamp with time zone,
	o_status text,
	o_priority smallint,
	o_started timestamp with time zone,
	o_claimed timestamp with time zone,
	n_user text,
	n_queue text,
	n_project text,
	n_off_peak boolean,
	n_created timestamp with time zone,
	n_status text,
	n_priority smallint,
	n_duration double precision
);


--
-- Name: fq_apply_changes(public.fq_change[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_apply_changes(ch public.fq_change[]) RETURNS void
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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


--
-- Name: fq_archive(timestamp with time zone, timestamp with time zone, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_archive(p_before timestamp with time zone, p_now timestamp with time zone, p_limit integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    ids bigint[];
BEGIN
    SELECT array_agg(id) INTO ids FROM (
        SELECT j.id FROM job j
         WHERE j.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND j.finished_at < p_before
           AND NOT EXISTS (SELECT 1 FROM job r WHERE r.retry_of = j.id)
         ORDER BY j.finished_at
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED) picked;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM job_transition WHERE job_id = ANY (ids) RETURNING *)
    INSERT INTO job_transition_archive SELECT moved.*, p_now FROM moved;
    WITH moved AS (DELETE FROM job WHERE id = ANY (ids) RETURNING *)
    INSERT INTO job_archive SELECT moved.*, p_now FROM moved;
    RETURN cardinality(ids);
END $$;


--
-- Name: fq_bulk_move(text, bigint[], integer, timestamp with time zone, text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_bulk_move(p_action text, p_ids bigint[], p_priority integer, p_now timestamp with time zone, p_by text, p_reason text) RETURNS TABLE(job_id bigint, new_job_id bigint, skipped text)
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_callers_changed(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_callers_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('fq_callers', '');
    RETURN NULL;
END $$;


--
-- Name: fq_cancel_waiting(text, text, timestamp with time zone, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_cancel_waiting(p_queue text, p_user text, p_now timestamp with time zone, p_by text) RETURNS integer
    LANGUAGE plpgsql
    AS $$
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


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: job; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job (
    id bigint NOT NULL,
    queue text NOT NULL,
    user_id text NOT NULL,
    project_id text,
    type text NOT NULL,
    payload jsonb,
    priority smallint DEFAULT 0 NOT NULL,
    status text NOT NULL,
    scheduled_start_at timestamp with time zone,
    off_peak_only boolean DEFAULT false NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_retries integer NOT NULL,
    next_retry_at timestamp with time zone,
    worker_id text,
    lease_token text,
    lease_expires_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    claimed_at timestamp with time zone,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    actual_duration_secs double precision,
    result jsonb,
    last_error text,
    retry_of bigint,
    idempotency_key text,
    version bigint DEFAULT 0 NOT NULL,
    CONSTRAINT job_max_retries_check CHECK (((max_retries >= 0) AND (max_retries <= 100))),
    CONSTRAINT job_priority_check CHECK (((priority >= '-100'::integer) AND (priority <= 100))),
    CONSTRAINT job_status_check CHECK ((status = ANY (ARRAY['SCHEDULED'::text, 'PENDING'::text, 'DISPATCHED'::text, 'RUNNING'::text, 'RETRY_WAIT'::text, 'PAUSED'::text, 'COMPLETED'::text, 'FAILED'::text, 'CANCELLED'::text])))
)
WITH (fillfactor='85');


--
-- Name: fq_claim(text, text[], text, integer, timestamp with time zone, text, boolean, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_claim(p_worker text, p_queues text[], p_user text, p_limit integer, p_now timestamp with time zone, p_by text, p_off_peak_open boolean, p_start boolean DEFAULT false) RETURNS SETOF public.job
    LANGUAGE plpgsql
    AS $$
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
    monthly     text[];
    served      text[];
    full_users  text[];
    held        text[];
    unguarded   text[];
    same        boolean;
    quota_ok    text[] := '{}';
    until       timestamptz;
    picked      bigint[];
    picked_by   text[];
    locked      bigint[];
    take        bigint[];
    skip_users  text[] := '{}';
    dropped     boolean;
    seen        integer;
    lanes_max   integer := 4 * p_limit + 16;
BEGIN
    -- The jobs' worker, checked once per call instead of by a foreign key per job (V16): workers
    -- are never deleted, so a worker that exists now still exists when the jobs commit.
    IF p_worker IS NOT NULL AND NOT EXISTS (SELECT 1 FROM worker WHERE id = p_worker) THEN
        RAISE EXCEPTION 'unknown worker %', p_worker USING ERRCODE = 'foreign_key_violation';
    END IF;
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
        RETURN QUERY SELECT * FROM fq_claim_each(p_worker, p_queues, p_user, p_limit, p_now, p_by, p_off_peak_open, p_start);
        RETURN;
    END IF;
    -- Conflicts with the EXCLUSIVE lock taken while a limit is changed (and its counter recounted).
    LOCK TABLE job IN ROW SHARE MODE;
    SELECT name, paused, max_concurrent, running, lease_seconds INTO q FROM queue WHERE name = qn;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF q.max_concurrent IS NOT NULL THEN
        -- claims of a limited queue take its row first, holding nothing else (as in fq_claim_each)
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
                                      ORDER BY u.id), '{}'),
                   coalesce(array_agg(u.id) FILTER (WHERE u.monthly_hours_limit IS NOT NULL), '{}')
              INTO ok_user, ok_running, ok_free, monthly
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
            -- cannot be out of one); an exhausted lane is marked, so the next scan passes it. The
            -- users' monthly plans come from the read above, not from a join with fq_user here:
            -- with the join, the cached plan scanned fq_user once per lane and ran the quota
            -- subquery for every lane and user pair (50 x 100 per claim of 50) before comparing
            -- their ids, half of a claim's time in committed claim-and-complete cycles.
            FOR lr IN
                SELECT DISTINCT ln.user_id, ln.project_key
                  FROM unnest(lane_user, lane_proj) ln(user_id, project_key)
                 WHERE ln.user_id = ANY (ok_user) AND ln.user_id <> ALL (skip_users)
                   AND (ln.user_id || '/' || ln.project_key) <> ALL (quota_ok)
                   AND (ln.user_id = ANY (monthly)
                        OR EXISTS (SELECT 1 FROM quota qt WHERE (qt.scope = 'USER' AND qt.key = ln.user_id)
                                                             OR (qt.scope = 'PROJECT' AND qt.key = ln.project_key)))
                 ORDER BY 1, 2
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
                -- holders only go on to lanes of their own user, never to ours.
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
            SELECT p.ids, p.users, (SELECT coalesce(array_agg(DISTINCT cand.user_id), '{}') FROM cand)
              INTO picked, picked_by, served
              FROM (SELECT coalesce(array_agg(t.id ORDER BY t.priority DESC, t.running + t.r, t.created_at, t.id), '{}') AS ids,
                           coalesce(array_agg(DISTINCT t.user_id), '{}') AS users
                      FROM (SELECT * FROM cand WHERE cand.r <= cand.free
                             ORDER BY cand.priority DESC, cand.running + cand.r, cand.created_at, cand.id
                             LIMIT b) t) p;
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
                     WHERE id = ANY (picked_by)
                     ORDER BY id FOR NO KEY UPDATE SKIP LOCKED) u
              JOIN unnest(ok_user, ok_running, ok_free) f(id, running, free) ON f.id = u.id;
            IF cardinality(held) < cardinality(picked_by) THEN
                skip_users := skip_users || ARRAY(SELECT x FROM unnest(picked_by) x WHERE x <> ALL (held));
                CONTINUE;
            END IF;
            -- Their lane guards, exclusive (LANE GUARDS in R__job_changes.sql), tried and never
            -- waited for; the job trigger below finds them held. A claim dispatches in rounds, and
            -- each round's UPDATE takes its users' guards: waited for there, a guard of a later
            -- round, out of key order with those of the rounds before, could close a cycle with a
            -- statement that holds it shared and waits for one of them (ClaimSetIT's six-way test
            -- met it: a multi-user INSERT and a claim). A user whose guard is held elsewhere is
            -- skipped, as one whose row is. (Try-locks on every node: advisory locks are per
            -- database.)
            unguarded := ARRAY(SELECT x FROM unnest(held) x WHERE NOT pg_try_advisory_xact_lock(fq_lane_guard_class(), hashtext(x)));
            IF cardinality(unguarded) > 0 THEN
                skip_users := skip_users || unguarded;
                CONTINUE;
            END IF;
            CONTINUE WHEN NOT same;
            EXIT;
        END LOOP;

        -- Locked with SKIP LOCKED (a job being paused or cancelled right now). The jobs before the
        -- first one that could not be locked are dispatched; that one's user is skipped for this
        -- call, and the next round chooses again without it. The status is checked on the locked
        -- row, not in the WHERE clause: with "AND status = 'PENDING'" there, the generic plan,
        -- costed with statistics taken while few jobs were PENDING, read every PENDING entry of
        -- job_status_id_idx and filtered them by id (43 ms at 54,000 PENDING jobs, against 0.2 ms
        -- by the primary key; EXPLAIN ANALYZE of the statement with force_generic_plan).
        SELECT coalesce(array_agg(id) FILTER (WHERE status = 'PENDING'), '{}') INTO locked
          FROM (SELECT id, status FROM job WHERE id = ANY (picked) ORDER BY id FOR UPDATE SKIP LOCKED) x;
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
               SET status = CASE WHEN p_start THEN 'RUNNING' ELSE 'DISPATCHED' END, worker_id = p_worker,
                   lease_token = gen_random_uuid()::text,
                   lease_expires_at = p_now + make_interval(secs => q.lease_seconds),
                   claimed_at = p_now, started_at = CASE WHEN p_start THEN p_now END, attempts = attempts + 1,
                   next_retry_at = NULL, version = version + 1
             WHERE id = ANY (take)
            RETURNING *),
        audit AS (
            INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
            SELECT upd.id, m.from_status, m.to_status, p_now, p_by, m.reason || p_worker
              FROM upd JOIN unnest(take) WITH ORDINALITY p(id, ord) ON p.id = upd.id
              CROSS JOIN fq_claim_moves(p_start) m
             ORDER BY p.ord, m.k)
        SELECT upd.* FROM upd JOIN unnest(take) WITH ORDINALITY p(id, ord) ON p.id = upd.id ORDER BY p.ord;
        GET DIAGNOSTICS got = ROW_COUNT;
        n := n + got;
        q.running := q.running + got;
        -- fewer candidates than wanted, none lost to a lock: every eligible lane was seen
        EXIT WHEN cardinality(picked) < b AND cardinality(take) = cardinality(picked);
    END LOOP;
END $$;


--
-- Name: fq_claim_each(text, text[], text, integer, timestamp with time zone, text, boolean, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_claim_each(p_worker text, p_queues text[], p_user text, p_limit integer, p_now timestamp with time zone, p_by text, p_off_peak_open boolean, p_start boolean DEFAULT false) RETURNS SETOF public.job
    LANGUAGE plpgsql
    AS $$
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
        -- The user's lane guard, tried and never waited for: each job here is its own UPDATE, and
        -- a guard waited for after those of the jobs before could close a cycle (see fq_claim).
        IF NOT pg_try_advisory_xact_lock(fq_lane_guard_class(), hashtext(j.user_id)) THEN
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
                -- The row is ours from now on, full or not: it counts as held at once. (Counted
                -- only once a job was taken from it, a claim holding a full queue's row could wait
                -- for another queue's row whose holder waited for this one: a deadlock.)
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
            -- holders only go on to lanes of their own user, never to ours.
            SELECT * INTO s FROM settings WHERE id = 1 FOR UPDATE;
            held_settings := true;
            EXIT WHEN s.running >= s.global_slots;
        END IF;

        UPDATE job
           SET status = CASE WHEN p_start THEN 'RUNNING' ELSE 'DISPATCHED' END, worker_id = p_worker,
               lease_token = gen_random_uuid()::text,
               lease_expires_at = p_now + make_interval(secs => (SELECT lease_seconds FROM queue WHERE name = j.queue)),
               claimed_at = p_now, started_at = CASE WHEN p_start THEN p_now END, attempts = attempts + 1,
               next_retry_at = NULL, version = version + 1
         WHERE id = j.id
        RETURNING * INTO j;
        INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by, reason)
        SELECT j.id, m.from_status, m.to_status, p_now, p_by, m.reason || p_worker
          FROM fq_claim_moves(p_start) m ORDER BY m.k;
        RETURN NEXT j;
        n := n + 1;
    END LOOP;
END $$;


--
-- Name: fq_claim_moves(boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_claim_moves(p_start boolean) RETURNS TABLE(k integer, from_status text, to_status text, reason text)
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT 1, 'PENDING', 'DISPATCHED', 'claimed by worker '
    UNION ALL
    SELECT 2, 'DISPATCHED', 'RUNNING', 'started with its claim by worker ' WHERE p_start
$$;


--
-- Name: fq_compact_counts(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_compact_counts() RETURNS integer
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_compact_pending(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_compact_pending() RETURNS integer
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_compact_usage(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_compact_usage() RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    folded integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7312220033) THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM usage_delta RETURNING scope, key, day, secs),
         a AS (INSERT INTO usage AS us (scope, key, period, period_start, used_secs)
               SELECT m.scope, m.key, p.period, p.start, sum(m.secs)
                 FROM moved m
                CROSS JOIN LATERAL (VALUES ('DAY', m.day), ('WEEK', date_trunc('week', m.day)::date),
                                           ('MONTH', date_trunc('month', m.day)::date)) p(period, start)
                GROUP BY 1, 2, 3, 4
                ORDER BY 1, 2, 3, 4
               ON CONFLICT (scope, key, period, period_start) DO UPDATE SET used_secs = us.used_secs + EXCLUDED.used_secs)
    SELECT count(*) INTO folded FROM moved;
    RETURN folded;
END $$;


--
-- Name: fq_counts(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_counts(p_queue text) RETURNS TABLE(status text, tier smallint, n bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT c.status, c.tier, sum(c.n)::bigint FROM (
        SELECT status, tier, n FROM job_count WHERE p_queue IS NULL OR queue = p_queue
        UNION ALL
        SELECT status, tier, delta FROM job_count_delta WHERE p_queue IS NULL OR queue = p_queue) c
     GROUP BY 1, 2
    HAVING sum(c.n) <> 0
$$;


--
-- Name: fq_events(bigint, bigint[], integer, text[], text[], timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_events(p_after bigint, p_gaps bigint[], p_limit integer, p_users text[], p_tokens text[], p_now timestamp with time zone) RETURNS json
    LANGUAGE sql STABLE
    AS $$
    WITH changes AS (
        SELECT t.id, t.job_id, t.from_status, t.to_status, t.at, j.user_id, j.queue, j.priority, j.status, j.created_at
          FROM job_transition t JOIN job j ON j.id = t.job_id
         WHERE p_after IS NOT NULL AND (t.id > p_after OR t.id = ANY (p_gaps))
         ORDER BY t.id
         LIMIT p_limit),
    -- settled and held jobs apart: job_user_id_idx leaves out DISPATCHED and RUNNING jobs,
    -- job_running_idx has them
    user_counts AS (
        SELECT user_id, status, fq_tier(priority) AS tier, count(*) AS n FROM (
            SELECT user_id, status, priority FROM job
             WHERE user_id = ANY (p_users) AND status <> ALL ('{DISPATCHED,RUNNING}')
            UNION ALL
            SELECT user_id, status, priority FROM job
             WHERE user_id = ANY (p_users) AND status = ANY ('{DISPATCHED,RUNNING}')) mine
         GROUP BY 1, 2, 3)
    SELECT json_build_object(
        'changes', coalesce((
            SELECT json_agg(json_build_object(
                       'transitionId', c.id, 'id', c.job_id, 'from', c.from_status, 'status', c.to_status,
                       'at', c.at, 'userId', c.user_id, 'queue', c.queue, 'priority', c.priority,
                       'position', CASE WHEN c.status = 'PENDING' AND c.to_status = 'PENDING'
                                        THEN fq_position(c.priority, c.created_at, c.job_id, NULL) END)
                   ORDER BY c.id)
              FROM changes c), '[]'::json),
        'maxId', CASE WHEN p_after IS NULL THEN (SELECT coalesce(max(id), 0) FROM job_transition) END,
        'counts', coalesce((SELECT json_agg(json_build_object('status', status, 'tier', tier, 'n', n))
                              FROM fq_counts(NULL)), '[]'::json),
        'slots', json_build_object(
            'max', (SELECT global_slots FROM settings WHERE id = 1),
            'byUser', coalesce((
                SELECT json_agg(json_build_object('userId', id, 'running', running, 'maxConcurrent', max_concurrent)
                                ORDER BY running DESC, id)
                  FROM (SELECT id, running, max_concurrent FROM fq_user WHERE running > 0
                         ORDER BY running DESC, id LIMIT 500) h), '[]'::json)),
        'users', coalesce((
            SELECT json_agg(json_build_object(
                       'userId', u.id, 'running', u.running, 'maxConcurrent', u.max_concurrent,
                       'counts', coalesce((
                           SELECT json_agg(json_build_object('status', uc.status, 'tier', uc.tier, 'n', uc.n))
                             FROM user_counts uc WHERE uc.user_id = u.id), '[]'::json)))
              FROM fq_user u WHERE u.id = ANY (p_users)), '[]'::json),
        'tokens', coalesce((
            SELECT json_agg(json_build_object('hash', t.token_hash, 'role', u.role))
              FROM api_token t JOIN fq_user u ON u.id = t.user_id
             WHERE t.token_hash = ANY (p_tokens) AND (t.expires_at IS NULL OR t.expires_at > p_now)), '[]'::json))
$$;


--
-- Name: fq_fold_releases(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_fold_releases(p_queue text) RETURNS integer
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_job_deleted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_job_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO job_count_delta (queue, status, tier, delta) VALUES (OLD.queue, OLD.status, fq_tier(OLD.priority), -1);
    RETURN NULL;
END $$;


--
-- Name: fq_jobs_inserted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_jobs_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM fq_apply_changes(ARRAY(
        SELECT ROW(n.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   n.user_id, n.queue, n.project_id, n.off_peak_only, n.created_at, n.status, n.priority,
                   n.actual_duration_secs)::fq_change
          FROM new_jobs n));
    RETURN NULL;
END $$;


--
-- Name: fq_jobs_updated(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_jobs_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_lane_guard_class(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_lane_guard_class() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT 7313
$$;


--
-- Name: fq_lane_refresh(text, text, text, boolean, bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_lane_refresh(p_user text, p_queue text, p_project text, p_off_peak boolean, p_if_head bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM 1 FROM lane
      WHERE user_id = p_user AND queue = p_queue AND project_key = p_project AND off_peak = p_off_peak
        FOR NO KEY UPDATE;
    UPDATE lane l SET (head_job_id, head_priority, head_created_at) = (
           SELECT j.id, j.priority, j.created_at FROM job j
            WHERE j.user_id = l.user_id AND j.queue = l.queue AND coalesce(j.project_id, '') = l.project_key
              AND j.off_peak_only = l.off_peak AND j.status = 'PENDING'
            ORDER BY j.priority DESC, j.created_at, j.id
            LIMIT 1)
     WHERE l.user_id = p_user AND l.queue = p_queue AND l.project_key = p_project AND l.off_peak = p_off_peak
       AND (p_if_head IS NULL OR l.head_job_id = p_if_head);
END $$;


--
-- Name: fq_lock_jobs(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_lock_jobs() RETURNS void
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_lock_user_ids(text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_lock_user_ids(p_users text[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM fq_user_gates(p_users, false);
    PERFORM 1 FROM fq_user WHERE id = ANY (p_users) ORDER BY id FOR NO KEY UPDATE;
END $$;


--
-- Name: fq_lock_users(bigint[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_lock_users(p_jobs bigint[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM fq_lock_user_ids(ARRAY(SELECT DISTINCT user_id FROM job WHERE id = ANY (p_jobs)));
END $$;


--
-- Name: fq_minute(timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_minute(t timestamp with time zone) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT floor(extract(epoch FROM t - to_timestamp(0)) / 60)::bigint
$$;


--
-- Name: lane; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.lane (
    user_id text NOT NULL,
    queue text NOT NULL,
    project_key text NOT NULL,
    off_peak boolean NOT NULL,
    head_job_id bigint,
    head_priority smallint,
    head_created_at timestamp with time zone,
    user_running integer NOT NULL,
    blocked boolean NOT NULL,
    quota_blocked_until timestamp with time zone
);


--
-- Name: fq_next_lane(text[], text, boolean, timestamp with time zone, bigint[], text[], text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_next_lane(p_queues text[], p_user text, p_off_peak_open boolean, p_now timestamp with time zone, p_skip_jobs bigint[], p_skip_users text[], p_skip_queues text[]) RETURNS public.lane
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_policies_changed(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_policies_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('fq_policies', '');
    RETURN NULL;
END $$;


--
-- Name: fq_position(smallint, timestamp with time zone, bigint, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_position(p_priority smallint, p_created timestamp with time zone, p_id bigint, p_user text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    AS $$
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


--
-- Name: fq_promote(timestamp with time zone, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_promote(p_now timestamp with time zone, p_limit integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_prune_history(timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_prune_history(p_before timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM job_minute WHERE minute < p_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;


--
-- Name: fq_queue_running(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_queue_running(p_queue text) RETURNS integer
    LANGUAGE sql STABLE
    AS $$
    SELECT (q.running + coalesce((SELECT sum(r.n) FROM queue_release r WHERE r.queue = q.name), 0))::integer
      FROM queue q WHERE q.name = p_queue
$$;


--
-- Name: fq_quota_blocked_until(text, text, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_quota_blocked_until(p_user text, p_project text, p_now timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: fq_quota_tz(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_quota_tz() RETURNS text
    LANGUAGE sql
    AS $$
    SELECT coalesce((SELECT config ->> 'timezone' FROM scheduling_policy
                      WHERE policy_type = 'QUOTA_RESET' AND enabled ORDER BY id LIMIT 1), 'UTC')
$$;


--
-- Name: fq_recount(boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_recount(p_repair boolean) RETURNS TABLE(kind text, key text, stored bigint, actual bigint)
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM fq_lock_jobs();
    -- every limited queue's released slots (queue_release, R__claim.sql) folded into its count
    PERFORM fq_fold_releases(name) FROM (SELECT DISTINCT queue AS name FROM queue_release ORDER BY 1) r;
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
     WHERE s.id = 1 AND l.head_job_id IS NOT NULL
       AND l.blocked <> (s.per_user_serialization AND u.running >= u.max_concurrent)
    UNION ALL
    SELECT 'lane.user_running', l.user_id || '/' || l.queue || '/' || l.project_key || '/' || l.off_peak,
           l.user_running::bigint, u.running::bigint
      FROM lane l JOIN fq_user u ON u.id = l.user_id
     WHERE l.head_job_id IS NOT NULL AND l.user_running <> u.running
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
    -- the repair: every derived row rebuilt from the jobs
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


--
-- Name: fq_roll_history(timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_roll_history(p_now timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    upto  timestamptz := date_trunc('minute', p_now - interval '10 seconds');
    last  timestamptz;
    since timestamptz;
    n     integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7312220043) THEN
        RETURN 0;
    END IF;
    SELECT rolled_until INTO last FROM history_mark;
    IF last > upto THEN
        last := NULL;  -- the clock went back (a test's movable clock, a node's wrong clock): start afresh
    END IF;
    since := greatest(coalesce(last - interval '2 minutes', upto - interval '1 hour'), upto - interval '1 day');
    IF since >= upto THEN
        RETURN 0;
    END IF;
    -- completions, failures, percentiles of the jobs finished in [since, upto), per queue and all
    WITH done AS (
        SELECT date_trunc('minute', j.finished_at) AS minute, j.queue, j.status,
               extract(epoch FROM j.claimed_at - coalesce(j.scheduled_start_at, j.created_at)) * 1000 AS wait_ms,
               j.actual_duration_secs * 1000 AS run_ms
          FROM job j
         WHERE j.status IN ('COMPLETED', 'FAILED') AND j.finished_at >= since AND j.finished_at < upto),
    agg AS (
        SELECT d.minute, CASE WHEN GROUPING(d.queue) = 1 THEN '*' ELSE d.queue END AS queue,
               count(*) FILTER (WHERE d.status = 'COMPLETED') AS completed,
               count(*) FILTER (WHERE d.status = 'FAILED') AS failed,
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d.wait_ms)) AS w50,
               round(percentile_cont(0.95) WITHIN GROUP (ORDER BY d.wait_ms)) AS w95,
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d.run_ms)) AS r50,
               round(percentile_cont(0.95) WITHIN GROUP (ORDER BY d.run_ms)) AS r95
          FROM done d
         GROUP BY GROUPING SETS ((d.minute, d.queue), (d.minute)))
    INSERT INTO job_minute AS m (minute, queue, completed, failed, wait_p50_ms, wait_p95_ms, run_p50_ms, run_p95_ms)
    SELECT a.minute, a.queue, a.completed, a.failed, a.w50, a.w95, a.r50, a.r95 FROM agg a
    ON CONFLICT (minute, queue) DO UPDATE
       SET completed = EXCLUDED.completed, failed = EXCLUDED.failed,
           wait_p50_ms = EXCLUDED.wait_p50_ms, wait_p95_ms = EXCLUDED.wait_p95_ms,
           run_p50_ms = EXCLUDED.run_p50_ms, run_p95_ms = EXCLUDED.run_p95_ms;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- the depth at the end of the last closed minute: PENDING now, from the counters (fq_counts)
    IF last IS NULL OR upto > last THEN
        INSERT INTO job_minute AS m (minute, queue, pending_depth)
        SELECT upto - interval '1 minute', q.name,
               coalesce((SELECT sum(c.n) FROM fq_counts(q.name) c WHERE c.status = 'PENDING'), 0)
          FROM queue q
        UNION ALL
        SELECT upto - interval '1 minute', '*',
               coalesce((SELECT sum(c.n) FROM fq_counts(NULL) c WHERE c.status = 'PENDING'), 0)
        ON CONFLICT (minute, queue) DO UPDATE SET pending_depth = EXCLUDED.pending_depth;
    END IF;
    INSERT INTO history_mark (id, rolled_until) VALUES (true, upto)
    ON CONFLICT (id) DO UPDATE SET rolled_until = EXCLUDED.rolled_until;
    RETURN n;
END $$;


--
-- Name: fq_slot_delta(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_slot_delta(o_status text, n_status text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE WHEN n_status IN ('DISPATCHED', 'RUNNING') AND o_status IS DISTINCT FROM 'DISPATCHED'
                     AND o_status IS DISTINCT FROM 'RUNNING' THEN 1
                WHEN o_status IN ('DISPATCHED', 'RUNNING') AND n_status NOT IN ('DISPATCHED', 'RUNNING') THEN -1
                ELSE 0 END
$$;


--
-- Name: fq_tier(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_tier(p integer) RETURNS smallint
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE WHEN p >= 10 THEN 1 WHEN p <= -10 THEN -1 ELSE 0 END::smallint
$$;


--
-- Name: fq_used(text, text, text, date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_used(p_scope text, p_key text, p_period text, p_start date) RETURNS double precision
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce((SELECT used_secs FROM usage
                      WHERE scope = p_scope AND key = p_key AND period = p_period AND period_start = p_start), 0)
         + coalesce((SELECT sum(secs) FROM usage_delta
                      WHERE scope = p_scope AND key = p_key AND day >= p_start
                        AND day < CASE p_period WHEN 'DAY' THEN p_start + 1
                                                WHEN 'WEEK' THEN p_start + 7
                                                ELSE (p_start + interval '1 month')::date END), 0)
$$;


--
-- Name: fq_user_gate_class(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_user_gate_class() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT 7314
$$;


--
-- Name: fq_user_gates(text[], boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_user_gates(p_users text[], p_shared boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM CASE WHEN p_shared THEN pg_advisory_xact_lock_shared(fq_user_gate_class(), g.k)
                 ELSE pg_advisory_xact_lock(fq_user_gate_class(), g.k) END
       FROM (SELECT DISTINCT hashtext(u) AS k FROM unnest(p_users) u ORDER BY 1) g;
END $$;


--
-- Name: fq_user_pending(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.fq_user_pending(p_user text) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce((SELECT sum(n) FROM user_pending_count WHERE user_id = p_user), 0)
         + coalesce((SELECT sum(delta) FROM pending_delta WHERE user_id = p_user), 0)
$$;


--
-- Name: api_token; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_token (
    token_hash text NOT NULL,
    user_id text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    id bigint NOT NULL,
    name text,
    last_used_at timestamp with time zone,
    expires_at timestamp with time zone,
    CONSTRAINT api_token_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);


--
-- Name: api_token_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.api_token ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.api_token_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: fq_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fq_user (
    id text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL,
    max_concurrent integer DEFAULT 1 NOT NULL,
    monthly_hours_limit numeric(12,2),
    created_at timestamp with time zone NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    running integer DEFAULT 0 NOT NULL,
    CONSTRAINT fq_user_max_concurrent_check CHECK ((max_concurrent >= 1)),
    CONSTRAINT fq_user_monthly_hours_limit_check CHECK ((monthly_hours_limit >= (0)::numeric)),
    CONSTRAINT fq_user_role_check CHECK ((role = ANY (ARRAY['USER'::text, 'ADMIN'::text, 'WORKER'::text, 'VIEWER'::text]))),
    CONSTRAINT fq_user_running_check CHECK ((running >= 0))
);


--
-- Name: history_mark; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.history_mark (
    id boolean DEFAULT true NOT NULL,
    rolled_until timestamp with time zone NOT NULL,
    CONSTRAINT history_mark_id_check CHECK (id)
);


--
-- Name: job_archive; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_archive (
    id bigint NOT NULL,
    queue text NOT NULL,
    user_id text NOT NULL,
    project_id text,
    type text NOT NULL,
    payload jsonb,
    priority smallint DEFAULT 0 NOT NULL,
    status text NOT NULL,
    scheduled_start_at timestamp with time zone,
    off_peak_only boolean DEFAULT false NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_retries integer NOT NULL,
    next_retry_at timestamp with time zone,
    worker_id text,
    lease_token text,
    lease_expires_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    claimed_at timestamp with time zone,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    actual_duration_secs double precision,
    result jsonb,
    last_error text,
    retry_of bigint,
    idempotency_key text,
    version bigint DEFAULT 0 NOT NULL,
    archived_at timestamp with time zone NOT NULL
);


--
-- Name: job_count; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_count (
    queue text NOT NULL,
    status text NOT NULL,
    tier smallint NOT NULL,
    n bigint NOT NULL
);


--
-- Name: job_count_delta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_count_delta (
    queue text NOT NULL,
    status text NOT NULL,
    tier smallint NOT NULL,
    delta integer NOT NULL
);


--
-- Name: job_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.job ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.job_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: job_minute; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_minute (
    minute timestamp with time zone NOT NULL,
    queue text NOT NULL,
    completed integer DEFAULT 0 NOT NULL,
    failed integer DEFAULT 0 NOT NULL,
    pending_depth integer,
    wait_p50_ms bigint,
    wait_p95_ms bigint,
    run_p50_ms bigint,
    run_p95_ms bigint
);


--
-- Name: job_transition; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_transition (
    id bigint NOT NULL,
    job_id bigint NOT NULL,
    from_status text,
    to_status text NOT NULL,
    at timestamp with time zone NOT NULL,
    triggered_by text,
    reason text
);


--
-- Name: job_transition_archive; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_transition_archive (
    id bigint NOT NULL,
    job_id bigint NOT NULL,
    from_status text,
    to_status text NOT NULL,
    at timestamp with time zone NOT NULL,
    triggered_by text,
    reason text,
    archived_at timestamp with time zone NOT NULL
);


--
-- Name: job_transition_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.job_transition ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.job_transition_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: pending_count; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pending_count (
    priority smallint NOT NULL,
    minute bigint NOT NULL,
    n bigint NOT NULL
);


--
-- Name: pending_delta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pending_delta (
    user_id text NOT NULL,
    priority smallint NOT NULL,
    minute bigint NOT NULL,
    delta integer NOT NULL
);


--
-- Name: queue; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue (
    name text NOT NULL,
    description text,
    max_concurrent integer,
    max_retries integer DEFAULT 3 NOT NULL,
    retry_base_delay_seconds integer DEFAULT 10 NOT NULL,
    lease_seconds integer DEFAULT 60 NOT NULL,
    paused boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    running integer DEFAULT 0 NOT NULL,
    CONSTRAINT queue_lease_seconds_check CHECK (((lease_seconds >= 5) AND (lease_seconds <= 86400))),
    CONSTRAINT queue_max_concurrent_check CHECK ((max_concurrent >= 1)),
    CONSTRAINT queue_max_retries_check CHECK (((max_retries >= 0) AND (max_retries <= 100))),
    CONSTRAINT queue_retry_base_delay_seconds_check CHECK (((retry_base_delay_seconds >= 1) AND (retry_base_delay_seconds <= 3600))),
    CONSTRAINT queue_running_check CHECK ((running >= 0))
);


--
-- Name: queue_release; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_release (
    queue text NOT NULL,
    n integer NOT NULL
);


--
-- Name: quota; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.quota (
    scope text NOT NULL,
    key text NOT NULL,
    daily_limit_secs bigint,
    weekly_limit_secs bigint,
    CONSTRAINT quota_daily_limit_secs_check CHECK ((daily_limit_secs >= 0)),
    CONSTRAINT quota_scope_check CHECK ((scope = ANY (ARRAY['USER'::text, 'PROJECT'::text]))),
    CONSTRAINT quota_weekly_limit_secs_check CHECK ((weekly_limit_secs >= 0))
);


--
-- Name: scheduling_policy; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.scheduling_policy (
    id bigint NOT NULL,
    policy_type text NOT NULL,
    name text,
    config jsonb DEFAULT '{}'::jsonb NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    CONSTRAINT scheduling_policy_policy_type_check CHECK ((policy_type ~ '^[A-Z][A-Z_]{0,39}$'::text))
);


--
-- Name: scheduling_policy_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.scheduling_policy ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.scheduling_policy_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.settings (
    id smallint DEFAULT 1 NOT NULL,
    per_user_serialization boolean DEFAULT true NOT NULL,
    lock_timeout_seconds integer DEFAULT 3600 NOT NULL,
    global_slots integer,
    running integer DEFAULT 0 NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    CONSTRAINT settings_global_slots_check CHECK ((global_slots >= 1)),
    CONSTRAINT settings_id_check CHECK ((id = 1)),
    CONSTRAINT settings_lock_timeout_seconds_check CHECK (((lock_timeout_seconds >= 10) AND (lock_timeout_seconds <= 2592000))),
    CONSTRAINT settings_running_check CHECK ((running >= 0))
);


--
-- Name: usage; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage (
    scope text NOT NULL,
    key text NOT NULL,
    period text NOT NULL,
    period_start date NOT NULL,
    used_secs double precision DEFAULT 0 NOT NULL,
    CONSTRAINT usage_period_check CHECK ((period = ANY (ARRAY['DAY'::text, 'WEEK'::text, 'MONTH'::text]))),
    CONSTRAINT usage_scope_check CHECK ((scope = ANY (ARRAY['USER'::text, 'PROJECT'::text])))
);


--
-- Name: usage_delta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usage_delta (
    scope text NOT NULL,
    key text NOT NULL,
    day date NOT NULL,
    secs double precision NOT NULL,
    CONSTRAINT usage_delta_scope_check CHECK ((scope = ANY (ARRAY['USER'::text, 'PROJECT'::text])))
);


--
-- Name: user_pending_count; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_pending_count (
    user_id text NOT NULL,
    priority smallint NOT NULL,
    minute bigint NOT NULL,
    n bigint NOT NULL
);


--
-- Name: worker; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.worker (
    id text NOT NULL,
    name text NOT NULL,
    owner_id text NOT NULL,
    capacity integer NOT NULL,
    callback_url text,
    queues text,
    registered_at timestamp with time zone NOT NULL,
    last_heartbeat_at timestamp with time zone NOT NULL,
    CONSTRAINT worker_capacity_check CHECK (((capacity >= 1) AND (capacity <= 1000)))
);


--
-- Name: api_token api_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (token_hash);


--
-- Name: api_token api_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);


--
-- Name: fq_user fq_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fq_user
    ADD CONSTRAINT fq_user_pkey PRIMARY KEY (id);


--
-- Name: history_mark history_mark_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.history_mark
    ADD CONSTRAINT history_mark_pkey PRIMARY KEY (id);


--
-- Name: job_archive job_archive_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_archive
    ADD CONSTRAINT job_archive_pkey PRIMARY KEY (id);


--
-- Name: job_count job_count_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_count
    ADD CONSTRAINT job_count_pkey PRIMARY KEY (queue, status, tier);


--
-- Name: job_minute job_minute_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_minute
    ADD CONSTRAINT job_minute_pkey PRIMARY KEY (minute, queue);


--
-- Name: job job_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job
    ADD CONSTRAINT job_pkey PRIMARY KEY (id);


--
-- Name: job_transition_archive job_transition_archive_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_transition_archive
    ADD CONSTRAINT job_transition_archive_pkey PRIMARY KEY (id);


--
-- Name: job_transition job_transition_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_transition
    ADD CONSTRAINT job_transition_pkey PRIMARY KEY (id);


--
-- Name: lane lane_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lane
    ADD CONSTRAINT lane_pkey PRIMARY KEY (user_id, queue, project_key, off_peak);


--
-- Name: pending_count pending_count_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pending_count
    ADD CONSTRAINT pending_count_pkey PRIMARY KEY (priority, minute);


--
-- Name: queue queue_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue
    ADD CONSTRAINT queue_pkey PRIMARY KEY (name);


--
-- Name: quota quota_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.quota
    ADD CONSTRAINT quota_pkey PRIMARY KEY (scope, key);


--
-- Name: scheduling_policy scheduling_policy_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scheduling_policy
    ADD CONSTRAINT scheduling_policy_pkey PRIMARY KEY (id);


--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (id);


--
-- Name: usage usage_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usage
    ADD CONSTRAINT usage_pkey PRIMARY KEY (scope, key, period, period_start);


--
-- Name: user_pending_count user_pending_count_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_pending_count
    ADD CONSTRAINT user_pending_count_pkey PRIMARY KEY (user_id, priority, minute);


--
-- Name: worker worker_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.worker
    ADD CONSTRAINT worker_pkey PRIMARY KEY (id);


--
-- Name: api_token_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_token_user_idx ON public.api_token USING btree (user_id);


--
-- Name: fq_user_role_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX fq_user_role_idx ON public.fq_user USING btree (role);


--
-- Name: job_archive_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_archive_user_idx ON public.job_archive USING btree (user_id, id);


--
-- Name: job_finished_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_finished_idx ON public.job USING btree (queue, status, finished_at) WHERE (status <> ALL ('{DISPATCHED,RUNNING}'::text[]));


--
-- Name: job_idempotency_uq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX job_idempotency_uq ON public.job USING btree (user_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);


--
-- Name: job_lane_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_lane_order_idx ON public.job USING btree (user_id, queue, COALESCE(project_id, ''::text), off_peak_only, priority DESC, created_at, id) WHERE (status = 'PENDING'::text);


--
-- Name: job_pending_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_pending_order_idx ON public.job USING btree (priority DESC, created_at, id) WHERE (status = 'PENDING'::text);


--
-- Name: job_pending_queue_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_pending_queue_order_idx ON public.job USING btree (queue, priority DESC, created_at, id) WHERE (status = 'PENDING'::text);


--
-- Name: job_pending_user_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_pending_user_order_idx ON public.job USING btree (user_id, priority DESC, created_at, id) WHERE (status = 'PENDING'::text);


--
-- Name: job_retry_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_retry_due_idx ON public.job USING btree (next_retry_at) WHERE (status = 'RETRY_WAIT'::text);


--
-- Name: job_retry_of_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_retry_of_idx ON public.job USING btree (retry_of) WHERE (retry_of IS NOT NULL);


--
-- Name: job_running_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_running_idx ON public.job USING btree (user_id, queue) WHERE (status = ANY (ARRAY['DISPATCHED'::text, 'RUNNING'::text]));


--
-- Name: job_scheduled_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_scheduled_due_idx ON public.job USING btree (scheduled_start_at) WHERE (status = 'SCHEDULED'::text);


--
-- Name: job_status_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_status_id_idx ON public.job USING btree (status, id) WHERE (status <> ALL ('{DISPATCHED,RUNNING}'::text[]));


--
-- Name: job_terminal_finished_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_terminal_finished_idx ON public.job USING btree (finished_at) WHERE (status = ANY (ARRAY['COMPLETED'::text, 'FAILED'::text, 'CANCELLED'::text]));


--
-- Name: job_transition_archive_job_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_transition_archive_job_idx ON public.job_transition_archive USING btree (job_id, id);


--
-- Name: job_transition_job_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_transition_job_idx ON public.job_transition USING btree (job_id, id);


--
-- Name: job_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_user_id_idx ON public.job USING btree (user_id, id) WHERE (status <> ALL ('{DISPATCHED,RUNNING}'::text[]));


--
-- Name: lane_claim_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX lane_claim_idx ON public.lane USING btree (queue, off_peak, head_priority DESC, user_running, head_created_at, head_job_id) WHERE ((head_job_id IS NOT NULL) AND (NOT blocked));


--
-- Name: lane_project_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX lane_project_idx ON public.lane USING btree (project_key) WHERE (project_key <> ''::text);


--
-- Name: pending_delta_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pending_delta_order_idx ON public.pending_delta USING btree (priority, minute);


--
-- Name: pending_delta_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pending_delta_user_idx ON public.pending_delta USING btree (user_id, priority, minute);


--
-- Name: queue_release_queue_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_release_queue_idx ON public.queue_release USING btree (queue);


--
-- Name: scheduling_policy_type_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scheduling_policy_type_idx ON public.scheduling_policy USING btree (policy_type) WHERE enabled;


--
-- Name: usage_delta_key_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usage_delta_key_idx ON public.usage_delta USING btree (scope, key, day);


--
-- Name: api_token api_token_changed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER api_token_changed AFTER DELETE OR UPDATE OF id, token_hash, user_id, expires_at OR TRUNCATE ON public.api_token FOR EACH STATEMENT EXECUTE FUNCTION public.fq_callers_changed();


--
-- Name: fq_user fq_user_role_changed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER fq_user_role_changed AFTER DELETE OR UPDATE OF id, role OR TRUNCATE ON public.fq_user FOR EACH STATEMENT EXECUTE FUNCTION public.fq_callers_changed();


--
-- Name: job job_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER job_deleted AFTER DELETE ON public.job FOR EACH ROW EXECUTE FUNCTION public.fq_job_deleted();


--
-- Name: job job_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER job_inserted AFTER INSERT ON public.job REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION public.fq_jobs_inserted();


--
-- Name: job job_updated; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER job_updated AFTER UPDATE ON public.job REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION public.fq_jobs_updated();


--
-- Name: scheduling_policy scheduling_policy_changed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER scheduling_policy_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.scheduling_policy FOR EACH STATEMENT EXECUTE FUNCTION public.fq_policies_changed();


--
-- Name: api_token api_token_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.fq_user(id);


--
-- Name: job job_retry_of_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job
    ADD CONSTRAINT job_retry_of_fkey FOREIGN KEY (retry_of) REFERENCES public.job(id);


--
-- Name: worker worker_owner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.worker
    ADD CONSTRAINT worker_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.fq_user(id);


--
-- PostgreSQL database dump complete
--
