-- FairQueue schema v3: the archive. Terminal jobs (and their transitions) finished before the
-- retention move here, in one statement, never silently lost. Keep the columns in step with job
-- and job_transition (archived_at comes last).
CREATE TABLE job_archive (LIKE job INCLUDING DEFAULTS);
ALTER TABLE job_archive ALTER COLUMN id DROP IDENTITY IF EXISTS;
ALTER TABLE job_archive ADD COLUMN archived_at timestamptz NOT NULL;
ALTER TABLE job_archive ADD PRIMARY KEY (id);
CREATE INDEX job_archive_user_idx ON job_archive (user_id, id);

CREATE TABLE job_transition_archive (LIKE job_transition INCLUDING DEFAULTS);
ALTER TABLE job_transition_archive ALTER COLUMN id DROP IDENTITY IF EXISTS;
ALTER TABLE job_transition_archive ADD COLUMN archived_at timestamptz NOT NULL;
ALTER TABLE job_transition_archive ADD PRIMARY KEY (id);
CREATE INDEX job_transition_archive_job_idx ON job_transition_archive (job_id, id);

-- the archiver: terminal jobs by finish time
CREATE INDEX job_terminal_finished_idx ON job (finished_at) WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED');

-- Archives up to p_limit terminal jobs finished before p_before (a job another live job retries,
-- retry_of, waits until that one is archived too).
CREATE FUNCTION fq_archive(p_before timestamptz, p_now timestamptz, p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
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
