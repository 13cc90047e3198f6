-- Issue 16: a read-only VIEWER role (reads what an ADMIN reads, changes nothing; enforced by the
-- API's AuthorizationFilter).
ALTER TABLE fq_user DROP CONSTRAINT fq_user_role_check;
ALTER TABLE fq_user ADD CONSTRAINT fq_user_role_check CHECK (role IN ('USER', 'ADMIN', 'WORKER', 'VIEWER'));
