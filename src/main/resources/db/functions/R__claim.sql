-- The claim: which PENDING job a worker gets next, each limit checked under its counter's row
-- lock. Tested by ClaimSetIT (the set-based claim against the job-by-job one on random states),
-- SchedulingIT (fairness order, limits, quotas, off-peak), TwoNodeRaceIT (16 claimers, 2 nodes).
--
--   fq_claim          what ClaimQuery calls: a set of jobs from one queue in one statement, or
--                     else the job-by-job claim
--   fq_claim_each     the job-by-job claim: one job, one user's jobs, several queues with jobs
--   fq_claim_moves    the audit moves of one claimed job (with start: on to RUNNING too)
--   fq_next_lane      the best lane to claim from, for fq_claim_each
--   fq_queue_running  a limited queue's running count: queue.running plus its released slots
--   fq_fold_releases  folds a queue's released slots into queue.running
--
-- THE ORDER. Each user's PENDING jobs are grouped in lanes (user, queue, project, off-peak flag),
-- each with its best job as head (kept by the job trigger, R__job_changes.sql). The claim reads,
-- per eligible queue, the first lane of lane_claim_idx: (priority desc, the user's running count,
-- age). So the next job is found by index whatever the backlog, users at their limit are not even
-- visited (blocked lanes are outside the partial index), and at equal priority the user with
-- fewer running jobs goes first. The order is written in the index (see db/schema.sql; a changed
-- index takes a new V file), in the ORDER BY clauses of the lane scans below and in the ranking
-- of fq_claim's candidates (see A CLAIM FROM ONE QUEUE below).
--
-- LIMITS. fq_user.running (always), queue.running (while the queue has max_concurrent) and
-- settings.running (while global_slots is set) count DISPATCHED + RUNNING jobs; the job trigger
-- keeps them, whatever path changes a status, so they always equal a recount (R__recount.sql).
-- The claim checks each limit under the row lock of its counter before it dispatches a job: a
-- limit can never be exceeded, however many claimers run on however many nodes. Lock order:
-- job -> fq_user (id order) -> lane guards -> queue -> settings -> lane (key order); usage is
-- appended without a lock (R__job_changes.sql). The claim never waits for a user row or a user's
-- lane guard, nor for a queue row while it holds another queue's row or the settings row (SKIP
-- LOCKED, a try-lock for the guard: a busy one is skipped for that call); moves of many jobs lock
-- their users first, in id order (R__locks_and_bulk_moves.sql). Changing queue.max_concurrent
-- or settings.global_slots takes LOCK TABLE job IN EXCLUSIVE MODE (fq_lock_jobs) and recounts, so
-- no claim runs while a counter starts or stops being kept: every claim first takes LOCK TABLE
-- job IN ROW SHARE MODE, which conflicts with it.
--
-- QUEUE SLOTS ARE RELEASED WITHOUT THE QUEUE'S ROW. A completion that updated queue.running would
-- wait for the row that every claim of that queue holds until it commits, and every claim would
-- wait for every completion in flight. So a release only appends -1 to queue_release (no lock,
-- like pending_delta). The running count is queue.running plus those rows (fq_queue_running).
-- Only the claim raises queue.running, holding the row; right after taking it the claim folds the
-- releases in (fq_fold_releases), in a later statement, so it sees every release committed before
-- it got the row and none twice. A release committed after that only makes the true count lower
-- than the one the claim checks: the limit still holds exactly.
--
-- CLAIMERS DO NOT STAMPEDE. Concurrent claimers walk the lanes in the same order; had they all
-- picked the same head, one would lock it and the others come back for the next lane, one by one
-- (with 8 claimers about four wasted lookups per claimed job). So the job-by-job claim takes, in
-- one index scan of the chosen lane's partition, the best head nobody holds (FOR UPDATE SKIP
-- LOCKED on the joined job).
--
-- A CLAIM FROM ONE QUEUE TAKES ITS JOBS AS A SET. Every claim of a limited queue holds the
-- queue's counter row until it commits; taken one by one (a lane scan, a job lock, a user lock, a
-- quota check, an UPDATE each), a claim of 50 jobs held it for about 65 ms (the benchmark, issue
-- 5). The job-by-job claim repeats "the best lane's head" (priority desc, the user's running
-- count, age): after a user got a job, its running count rose by one and its next job competed
-- with that count. Ranking every candidate job by (priority desc, its user's running count + the
-- job's rank among the user's candidates - 1, created_at, id) gives exactly that sequence, because
-- each user's keys rise along its own jobs, and the repeated choice of the least key of sorted
-- sequences is their merge. The candidates: the first lanes in claim order until as many distinct
-- users as jobs wanted (a job outside them has a key above each of those users' first heads, so
-- it cannot be among the best), each lane's first min(wanted, the user's free slots) jobs. The
-- choice is made from the users' counts read without a lock; then only the users that get jobs
-- are locked (SKIP LOCKED, in id order) and their counts compared under the lock, and the choice
-- is made again if one is held elsewhere or changed. If any user or lane of the candidates drops
-- out (at its limit, out of quota) they are taken again without it, since the cut is only exact
-- when every user there can take a job. Quotas are checked per lane; the queue's and the global
-- free slots bound the set; one UPDATE dispatches it and one INSERT writes its audit rows. A
-- claim from all or several queues of which only one has a lane that could give a job now is a
-- claim from that queue. Claims of one job, for one user, or from several queues with jobs take
-- the job-by-job claim (fq_claim_each). ClaimSetIT checks that both take the same jobs in the
-- same order.

-- The audit moves of one claimed job, in order: PENDING -> DISPATCHED, and with p_start
-- DISPATCHED -> RUNNING too (its reason is completed with the worker's id).
CREATE OR REPLACE FUNCTION fq_claim_moves(p_start boolean)
RETURNS TABLE (k integer, from_status text, to_status text, reason text) LANGUAGE sql IMMUTABLE AS $$
    SELECT 1, 'PENDING', 'DISPATCHED', 'claimed by worker '
    UNION ALL
    SELECT 2, 'DISPATCHED', 'RUNNING', 'started with its claim by worker ' WHERE p_start
$$;

-- The claim. Answers the dispatched jobs in claim order; the job UPDATE's statement trigger keeps
-- counters and lanes (R__job_changes.sql); the audit rows are written here. With p_start the jobs
-- go straight to RUNNING (the one-call worker protocol, POST /claims with start): the same UPDATE
-- moves PENDING -> DISPATCHED -> RUNNING and writes both audit rows, in that order per job; a
-- slot is taken once, as for a claim (DISPATCHED and RUNNING both hold one).
DROP FUNCTION IF EXISTS fq_claim(text, text[], text, integer, timestamptz, text, boolean);
CREATE OR REPLACE FUNCTION fq_claim(p_worker text, p_queues text[], p_user text, p_limit integer, p_now timestamptz,
                         p_by text, p_off_peak_open boolean, p_start boolean DEFAULT false)
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

-- The job-by-job claim. Each candidate is locked and every limit checked under its counter's row
-- lock, in the global lock order; a candidate that fails a check is skipped, never waited for.
-- The job UPDATE's statement trigger keeps counters and lanes; the audit row is written here.
DROP FUNCTION IF EXISTS fq_claim_each(text, text[], text, integer, timestamptz, text, boolean);
CREATE OR REPLACE FUNCTION fq_claim_each(p_worker text, p_queues text[], p_user text, p_limit integer, p_now timestamptz,
                         p_by text, p_off_peak_open boolean, p_start boolean DEFAULT false)
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

-- The best lane to claim from: per eligible queue and off-peak flag, the first lane of
-- lane_claim_idx; then the best of those. With p_user, that user's lanes (primary key). A
-- limited queue's running count includes its released slots.
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

-- A limited queue's running count: queue.running plus its released slots not yet folded.
CREATE OR REPLACE FUNCTION fq_queue_running(p_queue text) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT (q.running + coalesce((SELECT sum(r.n) FROM queue_release r WHERE r.queue = q.name), 0))::integer
      FROM queue q WHERE q.name = p_queue
$$;

-- Folds a queue's released slots into queue.running; the caller holds the queue's row. Answers
-- the running count.
CREATE OR REPLACE FUNCTION fq_fold_releases(p_queue text) RETURNS integer LANGUAGE plpgsql AS $$
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
