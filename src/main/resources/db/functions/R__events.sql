-- The live queue events (GET /api/v1/queue/events, QueueEvents): everything one tick of a node
-- sends to all of its open streams comes from ONE call of fq_events, whatever the number of
-- streams (200 streams cost one read per tick; QueueEventsIT counts the scans). Tested by
-- QueueEventsIT.
--
--   p_after   the highest audit row id (job_transition) read so far (NULL: the first tick; no
--             rows, only the current highest id as the start)
--   p_gaps    ids below p_after that were missing when read: a transaction still in flight may
--             commit them later (ids are taken at insert, rows appear at commit), so they are
--             asked for again until they appear or are given up (QueueEvents)
--   p_limit   at most this many audit rows per tick (the rest come next tick)
--   p_users   the USERs with an open stream: their own counts and slots
--   p_tokens  the hashes of the streams' tokens: those still valid at p_now, with their role
--
-- Answers one JSON object: changes (audit rows after p_after in id order, each with its job's
-- owner, queue, priority and, for a job PENDING now, its position), maxId, counts (all jobs, by
-- status and tier), slots (the global limit, the users holding the most), users
-- (per USER: counts by status and tier, running and limit) and tokens.
DROP FUNCTION IF EXISTS fq_events(bigint, bigint[], integer, text[], text[], timestamptz);
CREATE FUNCTION fq_events(p_after bigint, p_gaps bigint[], p_limit integer, p_users text[], p_tokens text[], p_now timestamptz)
RETURNS json LANGUAGE sql STABLE AS $$
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
