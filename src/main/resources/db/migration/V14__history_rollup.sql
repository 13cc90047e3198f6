-- The per-minute history behind GET /admin/history (issue 17): one row per minute and queue, plus
-- queue '*' for all queues together (no queue name can be '*'), written by the History timer
-- (fq_roll_history, R__history.sql) from the jobs that finished in that minute, never by a count
-- over the job table per request. Pruned by the Archiver timer after
-- fairqueue.history.retention-days (default 30).
CREATE TABLE job_minute (
    minute        timestamptz NOT NULL,
    queue         text        NOT NULL,
    completed     integer     NOT NULL DEFAULT 0,
    failed        integer     NOT NULL DEFAULT 0,
    pending_depth integer,
    wait_p50_ms   bigint,
    wait_p95_ms   bigint,
    run_p50_ms    bigint,
    run_p95_ms    bigint,
    PRIMARY KEY (minute, queue)
);

-- Where the rollup got to: every minute before rolled_until is closed and rolled up.
CREATE TABLE history_mark (
    id            boolean     PRIMARY KEY DEFAULT true CHECK (id),
    rolled_until  timestamptz NOT NULL
);
