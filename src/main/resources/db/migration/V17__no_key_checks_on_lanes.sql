-- FairQueue schema v17: no foreign-key checks on lanes either.
--
-- A lane is derived data: the job trigger (fq_apply_changes, R__job_changes.sql) inserts one when
-- a user's first job of a queue, project and off-peak flag becomes PENDING, and the lane's user
-- and queue are that job's, which exist (users and queues are never deleted; see V16). Its two
-- keys were checked in that trigger, after it had taken its users' lane guards, with a KEY SHARE
-- lock on the user and the queue row. While another transaction held one of those rows FOR
-- UPDATE (an admin's edit of the user or the queue), a batch submit that gave the user a new lane
-- waited there, holding its users' guards, and every claim skipped those users until the edit
-- committed. Before V16 the same wait came earlier, in the job INSERT's own key check, before any
-- guard; WorkerProtocolIT's batch-in-flight test caught the change. Without the keys a submit
-- waits for no user or queue row at all.
ALTER TABLE lane DROP CONSTRAINT lane_user_id_fkey,
                 DROP CONSTRAINT lane_queue_fkey;
