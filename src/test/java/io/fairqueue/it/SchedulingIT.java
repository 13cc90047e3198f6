package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which job runs next (SPEC §3): per-user, per-queue and global limits, fairness between users,
 * quotas and their windows, off-peak windows, locks. Time is moved with the test clock.
 */
class SchedulingIT extends ApiTestBase {

    static String submit(Account user, String queue) {
        return submit(user, queue, aJob());
    }

    /** Submits {@code job} as a job of type t in {@code queue}. */
    static String submit(Account user, String queue, Job job) {
        return user.api()
                .post("jobs", job.withQueue(queue).withType("t"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
    }

    static List<String> ids(JsonArray claimed) {
        return claimed.stream()
                .map(v -> v.asJsonObject().getJsonNumber("id").toString())
                .toList();
    }

    static String lease(JsonArray claimed, String id) {
        return claimed.stream()
                .map(v -> v.asJsonObject())
                .filter(j -> j.getJsonNumber("id").toString().equals(id))
                .findFirst()
                .orElseThrow()
                .getString("leaseToken");
    }

    void run(WorkerAccount w, String id, String lease, long seconds) {
        w.api().post("jobs/" + id + "/start", aLease(lease)).expect(200);
        advance(seconds);
        w.api().post("jobs/" + id + "/complete", aLease(lease)).expect(200);
    }

    String reason(Account user, String id) {
        return user.api().get("jobs/" + id).expect(200).json().getString("waitingReason");
    }

    @Test
    void seed_002_scenario_1_a_user_at_its_limit_is_skipped_and_never_blocks_the_others() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        Account charlie = fx.user("USER");
        WorkerAccount w = fx.worker();
        String alice1 = submit(alice, q);
        String bob1 = submit(bob, q);
        String alice2 = submit(alice, q);
        String charlie1 = submit(charlie, q);

        JsonArray claimed = w.claim(q, 10);
        assertEquals(List.of(alice1, bob1, charlie1), ids(claimed));
        assertEquals("USER_LIMIT", reason(alice, alice2));
        assertEquals(1, admin.get("admin/users/" + alice.id()).json().getInt("running"));
        assertEquals(1, admin.get("admin/users/" + alice.id()).json().getInt("pending"));
        assertEquals(0, w.claim(q, 10).size());

        run(w, alice1, lease(claimed, alice1), 1);
        assertEquals(List.of(alice2), ids(w.claim(q, 10)));
    }

    @Test
    void at_equal_priority_the_user_with_fewer_running_jobs_goes_first_but_priority_comes_before_fairness() {
        String q = fx.queue();
        Account alice = fx.user("USER", 3);
        Account bob = fx.user("USER", 3);
        WorkerAccount w = fx.worker();
        submit(alice, q);
        assertEquals(1, w.claim(q, 1).size(), "alice now runs one job");
        String aliceOlder = submit(alice, q);
        String bobNewer = submit(bob, q);
        assertEquals(List.of(bobNewer), ids(w.claim(q, 1)), "bob runs nothing, so his newer job goes first");
        assertEquals(List.of(aliceOlder), ids(w.claim(q, 1)));

        String bobNormal = submit(bob, q);
        String aliceUrgent = submit(alice, q, aJob().withPriority(URGENT));
        assertEquals(List.of(aliceUrgent, bobNormal), ids(w.claim(q, 2)), "priority first, then fairness");
    }

    @Test
    void a_queue_limit_caps_the_queue_and_frees_a_slot_when_a_job_ends() {
        String q = fx.queue(aQueue().withMaxConcurrent(2));
        List<Account> users = List.of(fx.user("USER"), fx.user("USER"), fx.user("USER"));
        WorkerAccount w = fx.worker();
        List<String> jobs = users.stream().map(u -> submit(u, q)).toList();
        JsonArray claimed = w.claim(q, 10);
        assertEquals(jobs.subList(0, 2), ids(claimed));
        assertEquals("QUEUE_LIMIT", reason(users.get(2), jobs.get(2)));
        w.api()
                .post(
                        "jobs/" + jobs.get(0) + "/fail",
                        aFailure(lease(claimed, jobs.get(0))).withError("x").withRetryable(false))
                .expect(200);
        assertEquals(List.of(jobs.get(2)), ids(w.claim(q, 10)));

        admin.patch("queues/" + q, aQueue().withMaxConcurrent(null)).expect(200);
        String more = submit(users.get(0), q);
        assertEquals(List.of(more), ids(w.claim(q, 10)), "unlimited again");
        admin.patch("queues/" + q, aQueue().withMaxConcurrent(1)).expect(200);
        Account dave = fx.user("USER");
        String blocked = submit(dave, q);
        assertEquals(0, w.claim(q, 10).size(), "the recount at the change sees 3 running >= 1");
        assertEquals("QUEUE_LIMIT", reason(dave, blocked));
    }

    @Test
    void global_slots_cap_every_queue_and_per_user_serialization_can_be_switched_off() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount w = fx.worker();
        // Jobs other test classes left claimed on this database would end (their leases run out)
        // while this test counts on the pool's running count: release them first, so the count
        // only moves by what this test does.
        for (String user : admin.get("admin/locks").array().stream()
                .map(l -> l.asJsonObject().getString("userId"))
                .distinct()
                .toList()) {
            admin.delete("admin/locks/" + user).expect(200);
        }
        try {
            int running = admin.put("admin/settings", theSettings().withGlobalSlots(1000000))
                    .expect(200)
                    .json()
                    .getInt("globalRunning");
            JsonObject s = admin.put("admin/settings", theSettings().withGlobalSlots(running + 1))
                    .expect(200)
                    .json();
            assertEquals(running + 1, s.getInt("globalSlots"));
            String a = submit(alice, q);
            String b = submit(bob, q);
            assertEquals(List.of(a), ids(w.claim(q, 10)));
            assertEquals("GLOBAL_SLOTS", reason(bob, b));
            admin.put("admin/settings", theSettings().withGlobalSlots(null)).expect(200);
            assertEquals(List.of(b), ids(w.claim(q, 10)));

            String a2 = submit(alice, q);
            assertEquals("USER_LIMIT", reason(alice, a2));
            JsonObject off = admin.put("admin/settings", theSettings().withSerializationEnabled(false))
                    .expect(200)
                    .json();
            assertFalse(off.getJsonObject("perUserSerialization").getBoolean("enabled"));
            assertEquals(3600, off.getJsonObject("perUserSerialization").getInt("lockTimeoutSeconds"));
            assertEquals(List.of(a2), ids(w.claim(q, 10)), "alice may now run two at once");
        } finally {
            admin.put(
                            "admin/settings",
                            theSettings()
                                    .withGlobalSlots(null)
                                    .withSerializationEnabled(true)
                                    .withLockTimeoutSeconds(3600))
                    .expect(200);
        }
        assertTrue(admin.get("admin/settings")
                .json()
                .getJsonObject("perUserSerialization")
                .getBoolean("enabled"));
    }

    @Test
    void raising_a_users_limit_takes_effect_on_the_next_claim() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        submit(alice, q);
        String second = submit(alice, q);
        assertEquals(1, w.claim(q, 10).size());
        admin.patch("admin/users/" + alice.id(), aUser().withMaxConcurrent(2)).expect(200);
        assertEquals(List.of(second), ids(w.claim(q, 10)));
    }

    @Test
    void an_admin_sees_the_users_locks_and_releasing_one_ends_the_attempt_and_frees_the_slot() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String first = submit(alice, q);
        String second = submit(alice, q);
        JsonArray claimed = w.claim(q, 10);
        assertEquals(List.of(first), ids(claimed));

        JsonObject lock = admin.get("admin/locks").expect(200).array().stream()
                .map(v -> v.asJsonObject())
                .filter(l -> l.getString("userId").equals(alice.id()))
                .findFirst()
                .orElseThrow();
        assertEquals(first, lock.getJsonNumber("jobId").toString());
        assertEquals(
                Duration.ofHours(1),
                Duration.between(
                        OffsetDateTime.parse(lock.getString("acquiredAt")),
                        OffsetDateTime.parse(lock.getString("expiresAt"))));

        JsonObject released =
                admin.delete("admin/locks/" + alice.id()).expect(200).json();
        assertEquals(
                List.of(Long.valueOf(first)),
                released.getJsonArray("jobIds").getValuesAs(jakarta.json.JsonNumber.class).stream()
                        .map(jakarta.json.JsonNumber::longValue)
                        .toList());
        JsonObject job = alice.api().get("jobs/" + first).json();
        assertEquals("RETRY_WAIT", job.getString("status"));
        assertTrue(job.getString("lastError").contains("lock released by admin"));
        assertEquals(
                409,
                w.api()
                        .post("jobs/" + first + "/complete", aLease(lease(claimed, first)))
                        .status());
        assertEquals(List.of(second), ids(w.claim(q, 10)), "the slot is free at once");
        assertEquals(
                404,
                admin.delete("admin/locks/" + alice.id() + "?jobId=" + first).status());
        assertEquals(404, admin.delete("admin/locks/nobody-" + q).status());
    }

    @Test
    void an_exhausted_daily_quota_stops_the_next_claim_until_midnight_with_a_warning_before() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        admin.put("admin/users/" + alice.id() + "/quota", aQuota().withDailyLimitSecs(100))
                .expect(200);
        OffsetDateTime now = startOfDayPlus(advance(0), 1);
        String first = submit(alice, q);
        String second = submit(alice, q);
        JsonArray claimed = w.claim(q, 1);
        run(w, first, lease(claimed, first), 85);

        JsonObject status = alice.api().get("quota/status").expect(200).json();
        assertEquals(85.0, status.getJsonObject("day").getJsonNumber("usedSecs").doubleValue(), 1.0);
        assertEquals(100, status.getJsonObject("day").getInt("limitSecs"));
        assertEquals(
                15.0, status.getJsonObject("day").getJsonNumber("remainingSecs").doubleValue(), 1.0);
        assertTrue(status.getBoolean("warning"), "85% is past the 80% warning");
        assertFalse(status.getBoolean("exhausted"));
        assertFalse(status.getJsonObject("week").containsKey("limitSecs"), "no weekly limit");

        JsonArray again = w.claim(q, 1);
        assertEquals(List.of(second), ids(again), "85 < 100: still allowed (a running job is never preempted)");
        run(w, second, lease(again, second), 30);
        String third = submit(alice, q);
        assertTrue(alice.api().get("quota/status").json().getBoolean("exhausted"));
        assertEquals(0, w.claim(q, 1).size());
        assertEquals("QUOTA_EXCEEDED", reason(alice, third));

        advance(Duration.between(now, now.truncatedTo(ChronoUnit.DAYS).plusDays(1))
                        .toSeconds()
                + 60);
        assertEquals(List.of(third), ids(w.claim(q, 1)), "a new day, a new quota");
        assertEquals(
                0.0,
                alice.api()
                        .get("quota/status")
                        .json()
                        .getJsonObject("day")
                        .getJsonNumber("usedSecs")
                        .doubleValue());
    }

    /** Moves the clock to {@code hours} after the next UTC midnight; answers the new now. */
    OffsetDateTime startOfDayPlus(OffsetDateTime now, int hours) {
        OffsetDateTime target = now.withOffsetSameInstant(ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.DAYS)
                .plusDays(1)
                .plusHours(hours);
        return advance(Duration.between(now, target).toSeconds());
    }

    @Test
    void weekly_project_and_monthly_quotas_hold_until_monday_and_the_first() {
        String q = fx.queue();
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        String project = fx.unique("proj");
        admin.put("admin/projects/" + project + "/quota", aQuota().withWeeklyLimitSecs(50))
                .expect(200);
        OffsetDateTime now = startOfDayPlus(advance(0), 2);
        String p1 = submit(alice, q, aJob().withProjectId(project));
        JsonArray c = w.claim(q, 1);
        run(w, p1, lease(c, p1), 60);
        String p2 = submit(alice, q, aJob().withProjectId(project));
        String free = submit(alice, q);
        c = w.claim(q, 5);
        assertEquals(List.of(free), ids(c), "the project is over quota, alice's other work is not");
        assertEquals("QUOTA_EXCEEDED", reason(alice, p2));
        // every claimed job runs to its end: one left DISPATCHED while the clock moves on would
        // come back when its lease expires (the lease reaper) and be claimed again below
        run(w, free, lease(c, free), 1);
        OffsetDateTime monday = now.withOffsetSameInstant(ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.DAYS)
                .with(TemporalAdjusters.next(java.time.DayOfWeek.MONDAY))
                .plusMinutes(5);
        now = advance(Duration.between(now, monday).toSeconds());
        c = w.claim(q, 5);
        assertEquals(List.of(p2), ids(c), "a new week");
        run(w, p2, lease(c, p2), 1);
        now = advance(0);

        Account bob = fx.user("USER", 5);
        admin.patch("admin/users/" + bob.id(), aUser().withMonthlyHoursLimit(0.01))
                .expect(200);
        String m1 = submit(bob, q);
        c = w.claim(q, 1);
        run(w, m1, lease(c, m1), 40);
        String m2 = submit(bob, q);
        assertEquals(0, w.claim(q, 5).size(), "36 s of monthly plan used up");
        assertEquals("QUOTA_EXCEEDED", reason(bob, m2));
        JsonObject month = bob.api().get("quota/status").json().getJsonObject("month");
        assertEquals(36, month.getInt("limitSecs"));
        OffsetDateTime first = now.withOffsetSameInstant(ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.DAYS)
                .with(TemporalAdjusters.firstDayOfNextMonth())
                .plusMinutes(5);
        advance(Duration.between(now, first).toSeconds());
        assertEquals(List.of(m2), ids(w.claim(q, 5)), "a new month");
    }

    @Test
    void off_peak_only_jobs_wait_for_the_window_that_wraps_midnight() {
        String q = fx.queue();
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        OffsetDateTime now = startOfDayPlus(advance(0), 12); // 12:00 UTC: peak
        String night = submit(alice, q, aJob().withOffPeakOnly(true));
        String day = submit(alice, q);
        JsonArray claimed = w.claim(q, 5);
        assertEquals(List.of(day), ids(claimed));
        assertEquals("OFF_PEAK_WINDOW", reason(alice, night));
        // every claimed job is run to its end before the clock jumps: a lease left open across the
        // jump would expire, and its job (retries left) be PENDING again at once and claimed anew
        run(w, day, lease(claimed, day), 1);
        now = advance(Duration.ofHours(11).toSeconds()); // 23:00 UTC
        claimed = w.claim(q, 5);
        assertEquals(List.of(night), ids(claimed));
        run(w, night, lease(claimed, night), 1);
        advance(Duration.ofHours(8).toSeconds()); // 07:00 UTC, still inside 22:00-08:00
        String early = submit(alice, q, aJob().withOffPeakOnly(true));
        assertEquals(List.of(early), ids(w.claim(q, 5)));
    }

    @Test
    void a_policy_changed_behind_the_api_reaches_the_claim_within_moments() throws Exception {
        // Nodes keep the off-peak windows in memory and read them again at least every 5 s; a
        // change by hand must reach them through the table's notification, long before that.
        String q = fx.queue();
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        startOfDayPlus(advance(0), 12); // 12:00 UTC: peak
        String first = submit(alice, q, aJob().withOffPeakOnly(true));
        try (java.sql.Connection c =
                java.sql.DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "")) {
            c.createStatement()
                    .executeUpdate("INSERT INTO scheduling_policy (policy_type, name, config) "
                            + "VALUES ('OFF_PEAK', 'it-all-day', '{\"start\": \"00:00\", \"end\": \"00:00\"}')");
            try {
                // the node sees the all-day window: its copy of the windows was read just now,
                // after the insert (by the notification, or by the 5 s re-read if it was lost)
                JsonArray got = w.claim(q, 5);
                long t0 = System.nanoTime();
                while (got.isEmpty()
                        && System.nanoTime() - t0 < Duration.ofSeconds(7).toNanos()) {
                    Thread.sleep(20);
                    got = w.claim(q, 5);
                }
                assertEquals(List.of(first), ids(got), "off-peak all day");
                String second = submit(alice, q, aJob().withOffPeakOnly(true));
                c.createStatement().executeUpdate("DELETE FROM scheduling_policy WHERE name = 'it-all-day'");
                Thread.sleep(300);
                // a copy not told of the delete would still hold the window for seconds, and claim
                assertEquals(List.of(), ids(w.claim(q, 5)), "the window is gone within 0.3 s of the delete");
                assertEquals("PENDING", alice.api().get("jobs/" + second).json().getString("status"));
            } finally {
                c.createStatement().executeUpdate("DELETE FROM scheduling_policy WHERE name = 'it-all-day'");
            }
        }
    }

    @Test
    void a_limit_change_stops_a_vacuum_of_the_job_table_instead_of_queueing_every_claim_behind_it() throws Exception {
        // What the vacuum timer does while it vacuums job (see fq_lock_jobs): the shared advisory
        // lock, and a lock on job that conflicts with a limit change's, held for a long statement.
        String q = fx.queue(aQueue().withMaxConcurrent(2));
        java.util.concurrent.CompletableFuture<String> vacuum = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        Thread t = new Thread(() -> {
            try (java.sql.Connection c =
                    java.sql.DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "")) {
                c.createStatement().execute("SELECT pg_advisory_lock_shared(7312220041)");
                c.setAutoCommit(false);
                c.createStatement().execute("LOCK TABLE job IN SHARE UPDATE EXCLUSIVE MODE");
                holding.countDown();
                try {
                    c.createStatement().execute("SELECT pg_sleep(60)");
                    vacuum.complete("ran to its end");
                } catch (java.sql.SQLException e) {
                    vacuum.complete(e.getSQLState());
                } finally {
                    c.rollback();
                    c.setAutoCommit(true);
                    c.createStatement().execute("SELECT pg_advisory_unlock_shared(7312220041)");
                }
            } catch (java.sql.SQLException e) {
                vacuum.completeExceptionally(e);
                holding.countDown();
            }
        });
        t.start();
        holding.await();
        long t0 = System.nanoTime();
        admin.patch("queues/" + q, aQueue().withMaxConcurrent(3)).expect(200);
        assertTrue(
                System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos(),
                "the limit change did not wait for the vacuum");
        assertEquals("57014", vacuum.get(10, java.util.concurrent.TimeUnit.SECONDS), "the vacuum was cancelled");
        t.join(10_000);
        assertEquals(3, admin.get("queues/" + q).json().getInt("maxConcurrent"));
    }

    @Test
    void usage_counts_the_run_time_of_every_ended_attempt_completed_failed_paused_or_cancelled() {
        String q = fx.queue();
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        startOfDayPlus(advance(0), 3);
        List<String> ids = List.of(submit(alice, q), submit(alice, q), submit(alice, q), submit(alice, q));
        JsonArray claimed = w.claim(q, 4);
        assertEquals(ids, ids(claimed));
        long realStart = System.nanoTime(); // the test clock moves on with real time as well
        for (String id : ids) {
            w.api().post("jobs/" + id + "/start", aLease(lease(claimed, id))).expect(200);
        }
        advance(10);
        w.api()
                .post("jobs/" + ids.get(0) + "/complete", aLease(lease(claimed, ids.get(0))))
                .expect(200);
        advance(10);
        w.api()
                .post(
                        "jobs/" + ids.get(1) + "/fail",
                        aFailure(lease(claimed, ids.get(1))).withError("x").withRetryable(false))
                .expect(200);
        advance(10);
        alice.api().post("jobs/" + ids.get(2) + "/pause").expect(200);
        advance(10);
        alice.api().post("jobs/" + ids.get(3) + "/cancel").expect(200);
        double realSecs = (System.nanoTime() - realStart) / 1e9;
        JsonObject day = alice.api().get("quota/status").expect(200).json().getJsonObject("day");
        double used = day.getJsonNumber("usedSecs").doubleValue();
        // 100 s moved by hand, plus at most the real time each of the 4 attempts was open
        assertTrue(
                used >= 10 + 20 + 30 + 40 && used <= 10 + 20 + 30 + 40 + 4 * realSecs,
                "used " + used + " s; real time passed: " + realSecs + " s");
        assertEquals(0, admin.get("admin/users/" + alice.id()).json().getInt("running"), "every slot is free");
    }

    @Test
    void usage_counts_in_the_day_an_attempt_ended_and_folding_it_into_day_week_and_month_changes_no_total()
            throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER", 5);
        WorkerAccount w = fx.worker();
        OffsetDateTime now = startOfDayPlus(advance(0), 23).withOffsetSameInstant(ZoneOffset.UTC);
        java.time.LocalDate first = now.toLocalDate();
        String a = submit(alice, q);
        JsonArray c = w.claim(q, 1);
        run(w, a, lease(c, a), 30);
        // the second attempt starts before midnight and ends after it: it counts in the new day
        now = advance(0).withOffsetSameInstant(ZoneOffset.UTC);
        advance(Duration.between(
                        now,
                        now.truncatedTo(ChronoUnit.DAYS)
                                .plusHours(23)
                                .plusMinutes(59)
                                .plusSeconds(50))
                .toSeconds());
        String b = submit(alice, q);
        c = w.claim(q, 1);
        run(w, b, lease(c, b), 20);
        java.time.LocalDate second =
                advance(0).withOffsetSameInstant(ZoneOffset.UTC).toLocalDate();
        assertEquals(first.plusDays(1), second);
        boolean newWeek = second.getDayOfWeek() == java.time.DayOfWeek.MONDAY;
        boolean newMonth = second.getDayOfMonth() == 1;
        JsonObject before = alice.api().get("quota/status").expect(200).json();
        assertEquals(20, used(before, "day"), 1.0);
        assertEquals(newWeek ? 20 : 50, used(before, "week"), 1.0);
        assertEquals(newMonth ? 20 : 50, used(before, "month"), 1.0);

        try (java.sql.Connection db =
                java.sql.DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "")) {
            assertEquals(30, sql(db, "SELECT fq_used('USER', '" + alice.id() + "', 'DAY', DATE '" + first + "')"), 1.0);
            // folded by the Promoter timer about once a second; folded here too, whichever comes first
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (sql(db, "SELECT fq_compact_usage() * 0 + count(*) FROM usage_delta WHERE key = '" + alice.id() + "'")
                    > 0) {
                assertTrue(System.nanoTime() < deadline, "the usage rows were never folded");
                Thread.sleep(100);
            }
            java.util.Map<String, Double> rows = new java.util.HashMap<>();
            try (java.sql.ResultSet r = db.createStatement()
                    .executeQuery("SELECT period, period_start, used_secs FROM usage WHERE scope = 'USER' AND key = '"
                            + alice.id() + "'")) {
                while (r.next()) {
                    rows.put(r.getString(1) + " " + r.getString(2), r.getDouble(3));
                }
            }
            java.time.LocalDate week1 = first.with(TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
            java.time.LocalDate week2 = second.with(TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
            assertEquals(2 + (newWeek ? 2 : 1) + (newMonth ? 2 : 1), rows.size(), "rows: " + rows);
            assertEquals(30, rows.get("DAY " + first), 1.0);
            assertEquals(20, rows.get("DAY " + second), 1.0);
            if (newWeek) {
                assertEquals(30, rows.get("WEEK " + week1), 1.0);
                assertEquals(20, rows.get("WEEK " + week2), 1.0);
            } else {
                assertEquals(50, rows.get("WEEK " + week1), 1.0);
            }
            if (newMonth) {
                assertEquals(30, rows.get("MONTH " + first.withDayOfMonth(1)), 1.0);
                assertEquals(20, rows.get("MONTH " + second), 1.0);
            } else {
                assertEquals(50, rows.get("MONTH " + first.withDayOfMonth(1)), 1.0);
            }
            JsonObject after = alice.api().get("quota/status").expect(200).json();
            for (String window : List.of("day", "week", "month")) {
                assertEquals(used(before, window), used(after, window), 1e-6, window + " after the fold");
            }

            // a row appended and not folded yet is read with the folded ones
            db.setAutoCommit(false);
            try {
                db.createStatement()
                        .executeUpdate("INSERT INTO usage_delta (scope, key, day, secs) VALUES ('USER', '" + alice.id()
                                + "', DATE '" + second + "', 7)");
                assertEquals(
                        used(after, "month") + 7,
                        sql(
                                db,
                                "SELECT fq_used('USER', '" + alice.id() + "', 'MONTH', DATE '"
                                        + second.withDayOfMonth(1) + "')"),
                        1e-6);
            } finally {
                db.rollback();
            }
        }
    }

    static double used(JsonObject status, String window) {
        return status.getJsonObject(window).getJsonNumber("usedSecs").doubleValue();
    }

    static double sql(java.sql.Connection db, String query) throws java.sql.SQLException {
        try (java.sql.ResultSet r = db.createStatement().executeQuery(query)) {
            assertTrue(r.next());
            return r.getDouble(1);
        }
    }

    @Test
    void quota_windows_follow_the_quota_reset_policys_time_zone() throws Exception {
        Account alice = fx.user("USER");
        try (java.sql.Connection c =
                java.sql.DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "")) {
            c.createStatement()
                    .executeUpdate("INSERT INTO scheduling_policy (policy_type, name, config) "
                            + "VALUES ('QUOTA_RESET', 'it-tokyo', '{\"timezone\": \"Asia/Tokyo\"}')");
            try {
                OffsetDateTime now = advance(0);
                JsonObject status = alice.api().get("quota/status").expect(200).json();
                assertEquals("Asia/Tokyo", status.getString("timezone"));
                java.time.ZonedDateTime tokyo = now.atZoneSameInstant(java.time.ZoneId.of("Asia/Tokyo"));
                OffsetDateTime midnight = tokyo.toLocalDate()
                        .plusDays(1)
                        .atStartOfDay(tokyo.getZone())
                        .toOffsetDateTime();
                assertEquals(
                        midnight.toInstant(),
                        OffsetDateTime.parse(status.getJsonObject("day").getString("resetsAt"))
                                .toInstant());
                assertEquals(
                        tokyo.toLocalDate().toString(),
                        status.getJsonObject("day").getString("periodStart"));
            } finally {
                c.createStatement().executeUpdate("DELETE FROM scheduling_policy WHERE name = 'it-tokyo'");
            }
        }
    }

    @Test
    void bad_settings_and_quota_input_name_the_field() {
        Account alice = fx.user("USER");
        for (String[] c : new String[][] {
            {"admin/settings", "{\"globalSlots\":0}", "globalSlots"},
            {"admin/settings", "{\"perUserSerialization\":{\"lockTimeoutSeconds\":1}}", "lockTimeoutSeconds"},
            {"admin/settings", "{\"perUserSerialization\":true}", "perUserSerialization"},
            {"admin/settings", "{\"perUserSerialization\":{\"enabled\":\"yes\"}}", "enabled"},
            {"admin/users/" + alice.id() + "/quota", "{\"dailyLimitSecs\":-1}", "dailyLimitSecs"},
            {"admin/users/" + alice.id() + "/quota", "{\"weeklyLimitSecs\":\"lots\"}", "weeklyLimitSecs"},
            {"admin/projects/p/quota", "{\"daily\":1}", "daily"}
        }) {
            Api.Res r = admin.put(c[0], c[1]);
            assertEquals(400, r.status(), c[1] + " " + r.body());
            assertEquals(c[2], r.json().getString("field"), r.body());
        }
        assertEquals(
                404,
                admin.put("admin/users/nobody-" + alice.id() + "/quota", "{}").status());
        assertEquals(
                403,
                alice.api()
                        .put("admin/settings", theSettings().withGlobalSlots(1))
                        .status());
        assertEquals(403, alice.api().get("quota/status?userId=admin").status());
        assertEquals(200, admin.get("quota/status?userId=" + alice.id()).status());
    }

    @Test
    void after_all_of_this_the_counters_equal_a_recount() {
        String q = fx.queue(aQueue().withMaxConcurrent(3));
        Account alice = fx.user("USER", 2);
        WorkerAccount w = fx.worker();
        for (int i = 0; i < 5; i++) {
            submit(alice, q);
        }
        JsonArray claimed = w.claim(q, 10);
        String first = claimed.getJsonObject(0).getJsonNumber("id").toString();
        run(w, first, lease(claimed, first), 1);
        alice.api().delete("queues/" + q + "/jobs").expect(200);
        JsonObject recount = admin.post("admin/recount").expect(200).json();
        assertEquals(0, recount.getJsonArray("drift").size(), recount.toString());
    }
}
