-- The archive: terminal jobs (and their transitions) finished before the retention move to
-- job_archive and job_transition_archive, never silently lost. Tested by TimersIT (the archive).
--
--   fq_archive  moves a batch; the Archiver timer calls it every minute

-- Archives up to p_limit terminal jobs finished before p_before (a job another live job retries,
-- retry_of, waits until that one is archived too). The tables' columns are the job's and the
-- transition's, in the same order, plus archived_at last.
CREATE OR REPLACE FUNCTION fq_archive(p_before timestamptz, p_now timestamptz, p_limit integer) RETURNS integer
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
