#!/usr/bin/env bash
# Prints the plans and timings of the scheduling queries at 1,000,000 PENDING jobs over 10,000
# users (issue 3): the claim (fq_claim and every statement inside it, via auto_explain), the
# position and userPosition (fq_position), the user counters and the quota check behind
# waitingReason. Uses a scratch database (default fq_plans) on the local PostgreSQL; loads the
# jobs with the trigger off and rebuilds every counter and lane with fq_recount(true).
#   bash src/test/sql/plans-at-1m.sh [database]        (JOBS=10000 for the small baseline)
set -euo pipefail
db="${1:-fq_plans}"
jobs="${JOBS:-1000000}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
psql=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)
"${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
# as Flyway applies them: the versioned migrations by version (V2 before V10), then the functions
mig="$here/src/main/resources/db/migration"
for f in $(cd "$mig" && ls V*__*.sql | sort -V); do "${psql[@]}" -d "$db" -1 -f "$mig/$f" > /dev/null; done
for f in "$here"/src/main/resources/db/functions/R__*.sql; do "${psql[@]}" -d "$db" -1 -f "$f" > /dev/null; done

echo "== loading $jobs pending jobs over 10,000 users"
time "${psql[@]}" -d "$db" -v jobs="$jobs" <<'SQL'
INSERT INTO fq_user (id, display_name, role, max_concurrent, created_at)
SELECT 'u' || g, 'u' || g, 'USER', 1 + g % 3, now() FROM generate_series(1, 10000) g;
INSERT INTO fq_user (id, display_name, role, max_concurrent, created_at) VALUES ('w', 'w', 'WORKER', 1, now());
INSERT INTO worker (id, name, owner_id, capacity, registered_at, last_heartbeat_at) VALUES ('w1', 'w', 'w', 1, now(), now());
INSERT INTO queue (name, max_concurrent) VALUES ('gpu', 500), ('cpu', NULL);
ALTER TABLE job DISABLE TRIGGER job_inserted;
INSERT INTO job (queue, user_id, type, status, priority, max_retries, created_at, project_id, off_peak_only)
SELECT CASE WHEN g % 3 = 0 THEN 'gpu' WHEN g % 3 = 1 THEN 'cpu' ELSE 'default' END,
       'u' || (1 + (g::bigint * 7919) % 10000), 'render', 'PENDING', (ARRAY[-10, 0, 0, 0, 5, 10])[1 + g % 6], 3,
       now() - interval '1 day' + g * (interval '1 day' / :jobs), CASE WHEN g % 5 = 0 THEN 'p' || (g % 50) END, g % 17 = 0
  FROM generate_series(1, :jobs) g;
ALTER TABLE job ENABLE TRIGGER job_inserted;
SELECT count(*) AS counters_rebuilt FROM fq_recount(true);
VACUUM ANALYZE;
SQL

echo "== the claim (limit 1), every statement inside it"
"${psql[@]}" -d "$db" <<'SQL'
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_nested_statements = on;
SET client_min_messages = log;
BEGIN;
SELECT id, user_id, queue, priority FROM fq_claim('w1', NULL, NULL, 1, now(), 'w', false);
ROLLBACK;
SQL

echo "== position and userPosition of the last job, counters, quota check"
"${psql[@]}" -d "$db" <<'SQL'
SELECT id, priority, created_at, user_id FROM job
 WHERE status = 'PENDING' AND priority = -10 ORDER BY created_at DESC LIMIT 1 \gset j_
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_nested_statements = on;
SET client_min_messages = log;
SELECT fq_position(:j_priority::smallint, :'j_created_at', :j_id, NULL) AS position;
SELECT fq_position(:j_priority::smallint, :'j_created_at', :j_id, :'j_user_id') AS user_position;
SELECT running, fq_user_pending(id) AS pending FROM fq_user WHERE id = :'j_user_id';
SELECT fq_quota_blocked_until(:'j_user_id', NULL, now()) AS quota_blocked_until;
SQL

echo "== timings (ms): 20 claims of 1, 5 claims of 50, 20 positions of the last job"
"${psql[@]}" -d "$db" <<'SQL'
SELECT id, priority, created_at FROM job WHERE status = 'PENDING' AND priority = -10 ORDER BY created_at DESC LIMIT 1 \gset j_
CREATE FUNCTION pg_temp.ms(sql text, n int) RETURNS TABLE (median numeric, p90 numeric, max numeric) LANGUAGE plpgsql AS $$
DECLARE t timestamptz; d numeric[] := '{}';
BEGIN
    FOR i IN 1..n LOOP
        t := clock_timestamp();
        EXECUTE sql;
        d := d || (extract(epoch FROM clock_timestamp() - t) * 1000)::numeric;
    END LOOP;
    RETURN QUERY SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 3),
                        round(percentile_cont(0.9) WITHIN GROUP (ORDER BY x)::numeric, 3), round(max(x), 3)
                   FROM unnest(d) x;
END $$;
SELECT 'claim limit 1' AS what, * FROM pg_temp.ms($$SELECT count(*) FROM fq_claim('w1', NULL, NULL, 1, now(), 'w', false)$$, 20)
UNION ALL
SELECT 'claim limit 50', * FROM pg_temp.ms($$SELECT count(*) FROM fq_claim('w1', NULL, NULL, 50, now(), 'w', false)$$, 5)
UNION ALL
SELECT 'position of the last job', * FROM pg_temp.ms(format('SELECT fq_position(%s::smallint, %L, %s, NULL)', :j_priority, :'j_created_at', :j_id), 20);
SELECT count(*) AS drift_after_claims FROM fq_recount(false);
SQL
