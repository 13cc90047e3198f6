-- FairQueue schema v7: every node keeps who each token belongs to in memory (every API call
-- authenticates) and drops it when a token or a user's role changes: any such change, by the API
-- or by hand, notifies channel fq_callers at commit, to every node. New tokens and new users need
-- no notification (an unknown token is always looked up); the user's counters change on every
-- claim and must not notify, so fq_user's trigger watches its role and its deletion only.
CREATE FUNCTION fq_callers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fq_callers', '');
    RETURN NULL;
END $$;

CREATE TRIGGER api_token_changed AFTER UPDATE OR DELETE OR TRUNCATE ON api_token
    FOR EACH STATEMENT EXECUTE FUNCTION fq_callers_changed();

CREATE TRIGGER fq_user_role_changed AFTER UPDATE OF id, role OR DELETE OR TRUNCATE ON fq_user
    FOR EACH STATEMENT EXECUTE FUNCTION fq_callers_changed();
