-- The per-minute history (GET /admin/history): completions, failures, queue depth and the p50 /
-- p95 of wait and run time, per queue and for all queues ('*'), in job_minute. Tested by
-- OperatorApiIT (the history); its cost at 1,000,000 jobs is printed by the benchmark (Depths).
--
--   fq_roll_history   rolls the closed minutes since the last run up into job_minute
--   fq_prune_history  deletes job_minute rows older than a moment (the Archiver timer)
--
-- READS ONLY WHAT FINISHED. A run reads the jobs that finished (COMPLETED or FAILED) in the
-- minutes it rolls up, through job_terminal_finished_idx (finished_at, of terminal jobs only): its
-- cost grows with the jobs finished in those minutes, not with the table or the backlog. The
-- depth comes from the status counters (job_count and its unfolded deltas), not from the jobs.
--
-- CLOSED MINUTES, LATE COMMITS. A minute is rolled up once it ended 10 s ago; every run rolls the
-- two minutes before its mark again, so a job that finished in them but committed late is still
-- counted (the rows are upserted: a second run writes the same numbers). After a pause (no node
-- up) a run catches up at most one day back; if the mark lies ahead of now (the clock went back) a
-- run starts again one hour back.
--
-- ONE ROLLER. The run takes a transaction-level advisory lock; a node that finds it taken skips
-- (the other node does the same work), so every node may run the timer at once.

CREATE OR REPLACE FUNCTION fq_roll_history(p_now timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
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

-- The Archiver timer's pruning of the history: rows of minutes before p_before go (they are
-- derived data; the jobs they count are archived, not lost).
CREATE OR REPLACE FUNCTION fq_prune_history(p_before timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM job_minute WHERE minute < p_before;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
