-- The recount: compares every derived counter, lane and count with the jobs and, asked to,
-- repairs them. POST /admin/recount (SchedulingAdmin) calls it; so do ClaimSetIT after every
-- claim and TwoNodeRaceIT after its race (both expect no row), and the benchmark and
-- src/test/sql/plans-at-1m.sh, which load jobs with the trigger off and rebuild with it.
--
--   fq_recount       one row per drift: kind, key, stored, actual; with p_repair, fixes them
--   fq_lane_refresh  recomputes one lane's head (the repair's, per lane)
--
-- What it compares: user.running, queue.running (limited queues, with their released slots
-- folded first), global.running (while global slots are set), each lane's head, and for lanes
-- with a head their user_running and blocked copies (a lane without a head keeps no counts, see
-- R__job_changes.sql), the per-minute pending counts of all and per user (pending.count,
-- user.pending.count, R__counts_and_positions.sql) and the counts by status and tier (job.count).

-- Takes LOCK TABLE job IN EXCLUSIVE MODE (fq_lock_jobs, R__locks_and_bulk_moves.sql: it cancels a
-- vacuum of job in flight instead of queueing every claim behind it) before anything else, so
-- no status changes while it counts, and the statements below take their snapshots after it: no
-- lane gains or loses a head meanwhile.
CREATE OR REPLACE FUNCTION fq_recount(p_repair boolean)
RETURNS TABLE (kind text, key text, stored bigint, actual bigint) LANGUAGE plpgsql AS $$
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

-- Recomputes a lane's head (only if it is still p_if_head, when given). The lane row is locked
-- first, so the head query's fresh snapshot sees every job committed before: a concurrent offer
-- either committed already (and is seen) or waits for this lock (and compares with the new head).
CREATE OR REPLACE FUNCTION fq_lane_refresh(p_user text, p_queue text, p_project text, p_off_peak boolean, p_if_head bigint)
RETURNS void LANGUAGE plpgsql AS $$
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
