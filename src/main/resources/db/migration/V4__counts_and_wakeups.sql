-- FairQueue schema v4: counts by status without counting, claim wake-ups, the queue-filtered
-- pending order.
--
-- COUNTS. GET /queue answers counts by status and by tier at any backlog without counting the
-- job table. As with pending_delta (V2), the job trigger only appends a row per change to
-- job_count_delta (no lock, no hot counter row to serialize claims on); fq_compact_counts folds
-- the deltas into job_count (one compactor at a time, from the promoter timer). A read sums
-- job_count and the deltas not yet folded: exact in the reader's snapshot. Counts are of the
-- hot job table: a job the archiver moves out stops being counted (its DELETE appends -1).
--
-- Tiers: urgent = priority >= 10, background = priority <= -10, normal = the rest.
CREATE FUNCTION fq_tier(p integer) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p >= 10 THEN 1 WHEN p <= -10 THEN -1 ELSE 0 END::smallint
$$;

CREATE TABLE job_count (
    queue  text NOT NULL,
    status text NOT NULL,
    tier   smallint NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (queue, status, tier)
);

-- No identity column (see pending_delta in V2).
CREATE TABLE job_count_delta (
    queue  text NOT NULL,
    status text NOT NULL,
    tier   smallint NOT NULL,
    delta  smallint NOT NULL
);

INSERT INTO job_count (queue, status, tier, n)
SELECT queue, status, fq_tier(priority), count(*) FROM job GROUP BY 1, 2, 3;

-- Folds job_count_delta into job_count; answers how many deltas it folded (0 if another
-- transaction is compacting right now).
CREATE FUNCTION fq_compact_counts() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    folded integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7312220032) THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM job_count_delta RETURNING queue, status, tier, delta),
         g AS (SELECT queue, status, tier, sum(delta) AS d FROM moved GROUP BY 1, 2, 3),
         a AS (INSERT INTO job_count AS c (queue, status, tier, n)
               SELECT queue, status, tier, d FROM g ORDER BY 1, 2, 3
               ON CONFLICT (queue, status, tier) DO UPDATE SET n = c.n + EXCLUDED.n)
    SELECT count(*) INTO folded FROM moved;
    DELETE FROM job_count WHERE n = 0;
    RETURN folded;
END $$;

-- Counts by (status, tier) of one queue, or of all queues (p_queue NULL). STABLE: one snapshot.
CREATE FUNCTION fq_counts(p_queue text) RETURNS TABLE (status text, tier smallint, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.status, c.tier, sum(c.n)::bigint FROM (
        SELECT status, tier, n FROM job_count WHERE p_queue IS NULL OR queue = p_queue
        UNION ALL
        SELECT status, tier, delta FROM job_count_delta WHERE p_queue IS NULL OR queue = p_queue) c
     GROUP BY 1, 2
    HAVING sum(c.n) <> 0
$$;

-- WAKE-UPS. A job that becomes PENDING notifies channel fq_claimable with its queue's name; a
-- released slot (a running job ends) notifies with '*', since it may unblock any queue. Workers
-- waiting in a long-poll claim (POST /claims with waitSeconds) on every node LISTEN and claim at
-- once; PostgreSQL delivers at commit and folds equal notifications of one transaction.
CREATE OR REPLACE FUNCTION fq_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_holding boolean := TG_OP = 'UPDATE' AND OLD.status IN ('DISPATCHED', 'RUNNING');
    is_holding  boolean := NEW.status IN ('DISPATCHED', 'RUNNING');
    was_pending boolean := TG_OP = 'UPDATE' AND OLD.status = 'PENDING';
    is_pending  boolean := NEW.status = 'PENDING';
    d  integer := CASE WHEN is_holding AND NOT was_holding THEN 1 WHEN was_holding AND NOT is_holding THEN -1 ELSE 0 END;
    dp integer := CASE WHEN is_pending AND NOT was_pending THEN 1 WHEN was_pending AND NOT is_pending THEN -1 ELSE 0 END;
    u record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO job_count_delta (queue, status, tier, delta) VALUES (NEW.queue, NEW.status, fq_tier(NEW.priority), 1);
    ELSIF OLD.status <> NEW.status OR fq_tier(OLD.priority) <> fq_tier(NEW.priority) THEN
        INSERT INTO job_count_delta (queue, status, tier, delta)
        VALUES (OLD.queue, OLD.status, fq_tier(OLD.priority), -1), (NEW.queue, NEW.status, fq_tier(NEW.priority), 1);
    END IF;
    IF d <> 0 OR dp <> 0 THEN
        UPDATE fq_user SET running = running + d, pending = pending + dp WHERE id = NEW.user_id
        RETURNING running, max_concurrent INTO u;
    END IF;
    IF d <> 0 THEN
        UPDATE queue SET running = running + d WHERE name = NEW.queue AND max_concurrent IS NOT NULL;
        UPDATE settings SET running = running + d WHERE id = 1 AND global_slots IS NOT NULL;
        UPDATE lane l SET user_running = u.running,
                          blocked = s.per_user_serialization AND u.running >= u.max_concurrent
          FROM settings s
         WHERE s.id = 1 AND l.user_id = NEW.user_id;
        IF d < 0 THEN
            PERFORM fq_add_usage(NEW.user_id, NEW.project_id, NEW.actual_duration_secs,
                                 coalesce(OLD.started_at, OLD.claimed_at) + make_interval(secs => NEW.actual_duration_secs));
            PERFORM pg_notify('fq_claimable', '*');
        END IF;
    END IF;
    IF was_pending AND (NOT is_pending OR OLD.priority <> NEW.priority) THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        VALUES (OLD.user_id, OLD.priority, fq_minute(OLD.created_at), -1);
        PERFORM fq_lane_refresh(OLD.user_id, OLD.queue, coalesce(OLD.project_id, ''), OLD.off_peak_only, OLD.id);
    END IF;
    IF is_pending AND (NOT was_pending OR OLD.priority <> NEW.priority) THEN
        INSERT INTO pending_delta (user_id, priority, minute, delta)
        VALUES (NEW.user_id, NEW.priority, fq_minute(NEW.created_at), 1);
        PERFORM fq_lane_offer(NEW);
        IF NOT was_pending THEN
            PERFORM pg_notify('fq_claimable', NEW.queue);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION fq_job_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_count_delta (queue, status, tier, delta) VALUES (OLD.queue, OLD.status, fq_tier(OLD.priority), -1);
    RETURN NULL;
END $$;

CREATE TRIGGER job_deleted AFTER DELETE ON job FOR EACH ROW EXECUTE FUNCTION fq_job_deleted();

-- GET /queue?queue=: one queue's pending jobs in position order
CREATE INDEX job_pending_queue_order_idx ON job (queue, priority DESC, created_at, id) WHERE status = 'PENDING';
