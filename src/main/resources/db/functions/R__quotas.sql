-- Quotas: how much run time a user or project used in its day, week and month, and until when
-- an exhausted quota blocks its jobs. Tested by SchedulingIT (daily, weekly, project and monthly
-- quotas with their resets and the warning) and ClaimSetIT (exhausted quotas in the claim).
--
--   fq_quota_tz             the QUOTA_RESET policy's time zone
--   fq_used                 seconds used in one window
--   fq_quota_blocked_until  when the last exhausted window of a user or project resets
--   fq_compact_usage        folds usage_delta into usage
--
-- Limits: table quota (daily and weekly seconds per USER or PROJECT; no row = unlimited) and the
-- user's monthly_hours_limit (its plan). Usage: table usage, the run time of ended attempts per
-- day, week (from Monday) and month in the QUOTA_RESET policy's time zone (UTC without one),
-- attributed to the period in which the attempt ended. The job trigger (fq_apply_changes,
-- R__job_changes.sql) appends it to usage_delta, one row per user (and project) and local day,
-- without a lock; fq_compact_usage (the Promoter timer, about once a second) folds those rows into
-- usage's day, week and month in the transaction that deletes them, so a reader in one snapshot
-- sees each second of run time once, in usage or in usage_delta (fq_used adds both). The claim
-- (R__claim.sql) skips a lane whose user or project is out of quota and marks it
-- (lane.quota_blocked_until); the UsageRefresher timer lifts the mark once the window resets, and
-- setting a quota lifts its lanes' marks at once.

-- The QUOTA_RESET policy's time zone (UTC without one).
CREATE OR REPLACE FUNCTION fq_quota_tz() RETURNS text LANGUAGE sql AS $$
    SELECT coalesce((SELECT config ->> 'timezone' FROM scheduling_policy
                      WHERE policy_type = 'QUOTA_RESET' AND enabled ORDER BY id LIMIT 1), 'UTC')
$$;

-- Seconds a USER or PROJECT used in the DAY, WEEK or MONTH that starts at p_start (0 if none):
-- the folded row plus the appended rows of the period's days. STABLE: one snapshot.
CREATE OR REPLACE FUNCTION fq_used(p_scope text, p_key text, p_period text, p_start date) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT used_secs FROM usage
                      WHERE scope = p_scope AND key = p_key AND period = p_period AND period_start = p_start), 0)
         + coalesce((SELECT sum(secs) FROM usage_delta
                      WHERE scope = p_scope AND key = p_key AND day >= p_start
                        AND day < CASE p_period WHEN 'DAY' THEN p_start + 1
                                                WHEN 'WEEK' THEN p_start + 7
                                                ELSE (p_start + interval '1 month')::date END), 0)
$$;

-- Folds usage_delta into usage (each row into its day, its week from Monday and its month);
-- answers how many rows it folded (0 if another transaction is folding right now). The only
-- writer of usage besides tests, so its upserts wait for no completion.
CREATE OR REPLACE FUNCTION fq_compact_usage() RETURNS integer LANGUAGE plpgsql AS $$
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

-- When a daily, weekly or monthly quota of the user or project is exhausted at p_now: the moment
-- the last exhausted window resets. NULL = within every quota.
CREATE OR REPLACE FUNCTION fq_quota_blocked_until(p_user text, p_project text, p_now timestamptz) RETURNS timestamptz
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
