-- FairQueue schema v6: every node keeps the enabled off-peak windows in memory (every claim asks
-- whether it is off-peak) and drops them when a scheduling policy changes: any change to the table,
-- by the API or by hand, notifies channel fq_policies at commit, to every node.
CREATE FUNCTION fq_policies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fq_policies', '');
    RETURN NULL;
END $$;

CREATE TRIGGER scheduling_policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON scheduling_policy
    FOR EACH STATEMENT EXECUTE FUNCTION fq_policies_changed();
