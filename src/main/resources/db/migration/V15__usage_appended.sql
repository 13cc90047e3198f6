-- FairQueue schema v15: usage is appended, not upserted (issue 18).
--
-- Every ended attempt added its run time to six usage rows (user and project, each for its day,
-- week and month): the completion's trigger upserted them, one row lock and one new row version
-- each, per user and period. A completion of 50 jobs spent about a sixth of its time there
-- (pgbench, a claim of 50 then their completion, rolled back: 6.5 -> 5.6 ms). Now the trigger
-- appends one row per user (and project) and local day to usage_delta, with no lock and no
-- conflict check, like pending_delta and queue_release; fq_compact_usage (R__quotas.sql) folds the
-- rows into usage's day, week and month about once a second, and readers (fq_used) add the rows
-- not folded yet. A local day lies in exactly one week and one month, so the day is all a row
-- needs to keep.
CREATE TABLE usage_delta (
    scope text             NOT NULL CHECK (scope IN ('USER', 'PROJECT')),
    key   text             NOT NULL,
    day   date             NOT NULL,
    secs  double precision NOT NULL
);
CREATE INDEX usage_delta_key_idx ON usage_delta (scope, key, day);
