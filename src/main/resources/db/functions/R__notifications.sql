-- Notifications that make every node drop what it keeps in memory. The triggers that call these
-- functions (scheduling_policy_changed; api_token_changed and fq_user_role_changed) are in the V
-- files (see db/schema.sql). Every node LISTENs on one connection (Notifications). Tested by
-- SchedulingIT (a policy changed by hand reaching the node within 0.3 s) and SecurityIT (a role
-- change judging the very next request, a token deleted by hand refused within a second).
-- The job trigger's wake-ups of waiting claims (fq_claimable) are in R__job_changes.sql.
--
--   fq_policies_changed  notifies fq_policies: the off-peak windows are read again
--   fq_callers_changed   notifies fq_callers: the cached callers (CallerCache) go

-- Every node keeps the enabled off-peak windows in memory (every claim asks whether it is
-- off-peak) and drops them when a scheduling policy changes: any change to the table, by the API
-- or by hand, notifies channel fq_policies at commit, to every node.
CREATE OR REPLACE FUNCTION fq_policies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fq_policies', '');
    RETURN NULL;
END $$;

-- Every node keeps who each token belongs to, and until when it is valid, in memory (every API
-- call authenticates) and drops it when a token or a user's role changes: any such change, by the
-- API or by hand, notifies channel fq_callers at commit, to every node. New tokens and new users
-- need no notification (an unknown token is always looked up). The user's counters change on
-- every claim and a token's last_used_at on its use, and neither may notify: fq_user's trigger
-- watches its id, role and deletion only, api_token's what decides a token's owner and validity.
CREATE OR REPLACE FUNCTION fq_callers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fq_callers', '');
    RETURN NULL;
END $$;
