-- FairQueue schema v16: no foreign-key checks on the hot path (issue 18).
--
-- A foreign-key check is a query per row, run by PostgreSQL after the statement, and a KEY SHARE
-- lock on the referenced row. Four of them ran for every job: job.user_id and job.queue at its
-- submit, job.worker_id at its claim, job_transition.job_id for each of its audit rows (four in a
-- job's life with the one-call protocol). Measured with pgbench in a database made from
-- db/schema.sql with 10,000 PENDING jobs of 100 users (each statement in a transaction that is
-- rolled back, four alternating runs each): a batch INSERT of 50 jobs with their audit rows
-- 3.7-4.0 ms with the keys, 2.8-2.9 ms without; a claim of 50 with start 14.1-14.7 ms with them,
-- 13.8-14.0 without. The references still hold, by construction:
--   - users, queues and workers are never deleted (no API or function deletes one);
--   - a submit checks its owners and queues before its INSERT (JobSubmission), a copy (retry)
--     takes them from the job it copies;
--   - fq_claim checks its worker once per call (R__claim.sql);
--   - an audit row is written in the transaction that inserted or moved its job, under the job's
--     row lock, and the archiver moves a job's audit rows with it (fq_archive).
-- The keys that are not on the hot path stay: job.retry_of, lane (user, queue), worker.owner_id,
-- api_token.user_id.
ALTER TABLE job DROP CONSTRAINT job_user_id_fkey,
                DROP CONSTRAINT job_queue_fkey,
                DROP CONSTRAINT job_worker_id_fkey;
ALTER TABLE job_transition DROP CONSTRAINT job_transition_job_id_fkey;
