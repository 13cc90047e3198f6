-- FairQueue schema v18: the search indexes leave out the jobs held right now.
--
-- A status change of a job is a new row version (status is indexed), and a new row version gets
-- an entry in every index whose predicate it matches. A claim moves each claimed job into RUNNING
-- (or DISPATCHED): with the full indexes below, that wrote five entries per claimed job (the
-- primary key, job_running_idx and these three), of which no claim, heartbeat or completion reads
-- the three. They serve the search (status, user and queue filters), bulk actions, queue clearing
-- and queue statistics. The jobs a claim moves into are the few held right now (the limits bound
-- them), and job_running_idx (user_id, queue) WHERE status IN ('DISPATCHED', 'RUNNING') has all
-- of them; so these three leave them out, and a read that needs both groups reads each through
-- its own index (JobSearch, the queue view's per-user counts, fq_events). A claimed job now costs
-- two index entries instead of five; its completion and its submit are unchanged. The three
-- builds hold writes to job while they run (seconds per million jobs), like every migration here
-- they run at deploy time, before the timers and the API start.
DROP INDEX job_status_id_idx;
DROP INDEX job_user_id_idx;
DROP INDEX job_finished_idx;
CREATE INDEX job_status_id_idx ON job (status, id) WHERE status <> ALL ('{DISPATCHED,RUNNING}');
CREATE INDEX job_user_id_idx ON job (user_id, id) WHERE status <> ALL ('{DISPATCHED,RUNNING}');
CREATE INDEX job_finished_idx ON job (queue, status, finished_at) WHERE status <> ALL ('{DISPATCHED,RUNNING}');
