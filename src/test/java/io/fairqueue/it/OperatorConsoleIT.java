package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Browser;
import io.fairqueue.it.support.ConsolePage;
import io.fairqueue.it.support.Fixtures;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

/**
 * The operators' views of the console (issue 17) in headless Chromium against the WAR on Payara
 * Micro and PostgreSQL: each test does an operator's task on the page and checks what the API and
 * the next claim then hold. Like ConsoleIT, every test works in a queue and with users of its own
 * (the database is shared), and fails when a page logged an unexpected browser console error.
 */
class OperatorConsoleIT extends ApiTestBase {

    @RegisterExtension
    static final Browser browser = new Browser();

    static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm");

    ConsolePage page;

    @BeforeEach
    void page() {
        page = new ConsolePage(browser, url.getPort());
    }

    static long submit(Account who, String queue) {
        return who.api()
                .post("jobs", aJob().withQueue(queue).withType("render"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
    }

    static long claimedId(JsonArray claimed) {
        assertEquals(1, claimed.size(), claimed.toString());
        return claimed.getJsonObject(0).getJsonNumber("id").longValue();
    }

    String adminId() {
        return admin.get("me").expect(200).json().getString("id");
    }

    JsonObject job(long id) {
        return admin.get("jobs/" + id).expect(200).json();
    }

    JsonObject lastTransition(long id) {
        JsonArray all = admin.get("jobs/" + id + "/transitions").expect(200).array();
        return all.getJsonObject(all.size() - 1);
    }

    /** Three jobs of three users (so fairness does not reorder them) in a queue of their own. */
    record Three(String queue, long first, long second, long third) {}

    Three threeJobs() {
        String q = fx.queue();
        return new Three(q, submit(fx.user("USER"), q), submit(fx.user("USER"), q), submit(fx.user("USER"), q));
    }

    void awaitOrder(long... ids) {
        List<Long> wanted = java.util.Arrays.stream(ids).boxed().toList();
        browser.await(
                "the list in the order " + wanted,
                d -> page.rows().stream()
                        .map(r -> ((Number) r.get("id")).longValue())
                        .toList()
                        .equals(wanted));
    }

    @Test
    void a_job_dragged_to_the_top_is_claimed_next_and_its_audit_row_names_the_admin_and_the_reason() {
        Three t = threeJobs();
        page.signIn(admin.token());
        page.showQueue(t.queue(), "PENDING");
        awaitOrder(t.first(), t.second(), t.third());

        browser.await(
                "the drop",
                d -> { // a live refresh may redraw the rows meanwhile: drag again
                    try {
                        WebElement last = browser.find("#jobs tr[data-job-id='" + t.third() + "']");
                        WebElement top = browser.find("#jobs tr[data-job-id='" + t.first() + "']");
                        new Actions(browser.driver()).dragAndDrop(last, top).perform();
                        return browser.visible("#ask");
                    } catch (org.openqa.selenium.StaleElementReferenceException redrawn) {
                        return false;
                    }
                });
        String message = page.confirm("customer escalation");
        assertTrue(message.contains("from 0 to 1"), message);
        awaitOrder(t.third(), t.first(), t.second());

        assertEquals(1, job(t.third()).getInt("priority"), "one above the first job's priority");
        JsonObject audit = lastTransition(t.third());
        assertEquals("PENDING", audit.getString("from"));
        assertEquals("PENDING", audit.getString("to"));
        assertEquals(adminId(), audit.getString("triggeredBy"));
        assertEquals("customer escalation", audit.getString("reason"));
        assertEquals(t.third(), claimedId(fx.worker().claim(t.queue(), 1)), "the next claim takes it");
    }

    @Test
    void the_keyboard_and_the_priority_dropdown_reorder_as_dragging_does_and_backing_out_changes_nothing() {
        Three t = threeJobs();
        page.signIn(admin.token());
        page.showQueue(t.queue(), "PENDING");
        awaitOrder(t.first(), t.second(), t.third());

        page.press("#jobs tr[data-job-id='" + t.third() + "'] button[data-action='move-top']", Keys.ENTER);
        browser.await("the dialog", d -> browser.visible("#ask"));
        browser.find("#ask-reason").sendKeys(Keys.ESCAPE); // backing out
        browser.await("the dialog closed", d -> !browser.visible("#ask"));

        page.press("#jobs tr[data-job-id='" + t.third() + "'] button[data-action='move-top']", Keys.ENTER);
        browser.await("the dialog again", d -> browser.visible("#ask"));
        browser.find("#ask-reason").sendKeys("render farm deadline", Keys.ENTER);
        awaitOrder(t.third(), t.first(), t.second());
        assertEquals("render farm deadline", lastTransition(t.third()).getString("reason"));
        assertEquals(
                1,
                admin.get("jobs/" + t.third() + "/transitions").expect(200).array().stream()
                        .filter(a -> a.asJsonObject().getString("from", "").equals("PENDING")
                                && a.asJsonObject().getString("to").equals("PENDING"))
                        .count(),
                "backing out of the first dialog changed nothing: one reorder");

        // the last job up one place: between priorities 1 and 0 no integer lies, so it takes the
        // priority of the job above it (1) and its age places it among the jobs of priority 1:
        // being older than the third job, it goes first (the documented rule)
        page.press("#jobs tr[data-job-id='" + t.second() + "'] button[data-action='move-up']", Keys.ENTER);
        page.confirm("second in line");
        awaitOrder(t.second(), t.third(), t.first());
        assertEquals(1, job(t.second()).getInt("priority"));

        browser.await("the dropdown", d -> {
            try {
                new Select(browser.find("#jobs tr[data-job-id='" + t.first() + "'] select[data-reorder='priority']"))
                        .selectByValue("50");
                return true;
            } catch (org.openqa.selenium.StaleElementReferenceException redrawn) {
                return false;
            }
        });
        String message = page.confirm("the dropdown");
        assertTrue(message.contains("from 0 to 50"), message);
        awaitOrder(t.first(), t.second(), t.third());
        assertEquals(50, job(t.first()).getInt("priority"));
        WorkerAccount w = fx.worker();
        assertEquals(
                List.of(t.first(), t.second(), t.third()),
                w.claim(t.queue(), 3).stream()
                        .map(j -> j.asJsonObject().getJsonNumber("id").longValue())
                        .toList(),
                "the claim follows the page's order");
    }

    @Test
    void a_quota_set_on_the_page_blocks_the_users_next_claim_once_used_up() {
        String q = fx.queue();
        Account carol = fx.user("USER", 2);
        WorkerAccount w = fx.worker();
        page.signIn(admin.token());
        page.showView("quotas");
        WebElement user = browser.find("#quota-user-form input[name=user]");
        user.sendKeys(carol.id(), Keys.TAB);
        browser.await(
                "carol's card",
                d -> browser.all("#quota-user-status [data-user='" + carol.id() + "']")
                                .size()
                        == 1);
        WebElement daily = browser.find("#quota-user-form input[name=daily]");
        daily.clear();
        daily.sendKeys("0.01"); // 36 s
        browser.find("#quota-user-form button[type=submit]").click();
        browser.await(
                "saved", d -> browser.find("#notice").getText().equals("Saved the limits of " + carol.id() + "."));
        JsonObject quota =
                admin.get("quota/status?userId=" + carol.id()).expect(200).json();
        assertEquals(36, quota.getJsonObject("day").getJsonNumber("limitSecs").longValue());

        long first = submit(carol, q);
        String lease = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        w.api().post("jobs/" + first + "/start", aLease(lease)).expect(200);
        advance(40);
        w.api().post("jobs/" + first + "/complete", aCompletion(lease)).expect(200);
        submit(carol, q);
        assertEquals(0, w.claim(q, 1).size(), "the day's quota is used up: her next job waits");

        browser.find("#quota-user-form button[data-do=show]").click();
        browser.await(
                "the card says so",
                d -> browser.visible("#quota-user-status [data-quota-state=exhausted]")
                        && "exhausted"
                                .equals(browser.find("#quota-user-status [data-quota=day]")
                                        .getDomAttribute("data-level")));
    }

    @Test
    void a_lock_released_on_the_page_frees_the_slot_for_the_waiting_job_and_the_late_worker_is_refused() {
        String q = fx.queue();
        Account dave = fx.user("USER", 1);
        WorkerAccount w = fx.worker();
        long held = submit(dave, q);
        long waiting = submit(dave, q);
        String lease = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        assertEquals(0, w.claim(q, 1).size(), "dave runs 1 of 1: his second job waits");

        page.signIn(admin.token());
        page.showView("locks");
        String release = "#locks tr[data-lock-job='" + held + "'] button[data-action='release']";
        browser.await("dave's lock", d -> browser.visible(release));
        assertEquals(
                dave.id(),
                browser.find("#locks tr[data-lock-job='" + held + "'] td").getText());
        page.press(release);
        page.confirm("GPU node rebooted");
        browser.await(
                "the lock is gone",
                d -> browser.all("#locks tr[data-lock-job='" + held + "']").isEmpty());

        JsonObject audit = lastTransition(held);
        assertEquals("DISPATCHED", audit.getString("from"), audit.toString());
        assertEquals("RETRY_WAIT", audit.getString("to"), "a failed attempt with retries left");
        assertEquals(adminId(), audit.getString("triggeredBy"));
        assertTrue(audit.getString("reason").endsWith(": GPU node rebooted"), audit.toString());
        assertEquals(waiting, claimedId(w.claim(q, 1)), "the slot is free: the waiting job is claimed");
        assertEquals(
                409,
                w.api().post("jobs/" + held + "/complete", aCompletion(lease)).status(),
                "the late worker's completion is refused");
    }

    @Test
    void a_dead_letter_shows_its_last_error_and_a_retry_from_the_page_submits_a_new_job() {
        String q = fx.queue(aQueue().withMaxRetries(0));
        Account erin = fx.user("USER");
        WorkerAccount w = fx.worker();
        long failed = submit(erin, q);
        String lease = w.claim(q, 1).getJsonObject(0).getString("leaseToken");
        w.api()
                .post("jobs/" + failed + "/fail", aFailure(lease).withError("CUDA out of memory"))
                .expect(200);
        assertEquals("FAILED", job(failed).getString("status"));

        page.signIn(admin.token());
        page.showView("dead-letter");
        page.choose("#dl-filters select[name=queue]", q);
        String row = "#dead-letters tr[data-job-id='" + failed + "']";
        browser.await(
                "the dead letter",
                d -> browser.all("#dead-letters tr[data-job-id]").size() == 1 && browser.visible(row));
        assertTrue(
                browser.find(row).getText().contains("CUDA out of memory"),
                browser.find(row).getText());
        page.press(row + " button[data-action='retry']");
        page.confirm(null);
        String notice = browser.await(
                "the new job's number",
                d -> browser.visible("#notice") ? browser.find("#notice").getText() : null);
        long fresh = Long.parseLong(notice.replaceAll(".*as job #(\\d+)\\.", "$1"));
        JsonObject retried = job(fresh);
        assertEquals("PENDING", retried.getString("status"));
        assertEquals(failed, retried.getJsonNumber("retryOf").longValue());
        assertEquals("FAILED", job(failed).getString("status"), "the dead letter stays as it is");
    }

    @Test
    void an_off_peak_window_edited_on_the_page_changes_the_preview_and_what_the_claim_takes() {
        String q = fx.queue();
        Account fay = fx.user("USER");
        WorkerAccount w = fx.worker();
        OffsetDateTime now = advance(0).withOffsetSameInstant(ZoneOffset.UTC);
        long night = fay.api()
                .post("jobs", aJob().withQueue(q).withType("render").withOffPeakOnly(true))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
        // the other enabled windows (the schema installs "Nights", 22:00-08:00 UTC) are set aside for the test
        List<JsonObject> others = admin.get("admin/scheduling-policies").expect(200).array().stream()
                .map(JsonValue::asJsonObject)
                .filter(p -> p.getString("policyType").equals("OFF_PEAK") && p.getBoolean("enabled"))
                .toList();
        others.forEach(p -> setEnabled(p, false));
        page.signIn(admin.token());
        page.showView("policies");
        Long policy = null;
        try {
            // a window that starts in two hours: not off-peak now
            String start = now.plusHours(2).format(HH_MM);
            String end = now.plusHours(3).format(HH_MM);
            fillWindow("nightly renders", start, end);
            browser.find("#policy-form button[type=submit]").click();
            browser.await(
                    "the new policy",
                    d -> browser.all("#policies tr[data-type='OFF_PEAK']").stream()
                            .anyMatch(r -> r.getText().contains("nightly renders")));
            policy = admin.get("admin/scheduling-policies").expect(200).array().stream()
                    .map(JsonValue::asJsonObject)
                    .filter(p -> "nightly renders".equals(p.getString("name", null)))
                    .findFirst()
                    .orElseThrow()
                    .getJsonNumber("id")
                    .longValue();
            browser.await(
                    "the preview: not off-peak until the window opens",
                    d -> browser.find("#off-peak-preview")
                            .getText()
                            .startsWith("Off-peak now: no, from " + start + " UTC"));
            assertEquals(0, w.claim(q, 1).size(), "an off-peak-only job waits outside the window");

            // changed on the page to a window around now
            String opened = now.minusHours(1).format(HH_MM);
            String closes = now.plusHours(1).format(HH_MM);
            page.press("#policies tr[data-policy='" + policy + "'] button[data-action='edit']");
            fillWindow(null, opened, closes);
            browser.find("#policy-form button[type=submit]").click();
            browser.await(
                    "the preview: off-peak until the window closes",
                    d -> browser.find("#off-peak-preview")
                            .getText()
                            .startsWith("Off-peak now: yes, until " + closes + " UTC"));
            assertEquals(night, claimedId(w.claimWithin(q, 1)), "inside the window the job is claimed");
        } finally {
            if (policy != null) {
                admin.delete("admin/scheduling-policies/" + policy).expect(204);
            }
            others.forEach(p -> setEnabled(p, true));
        }
    }

    void setEnabled(JsonObject policy, boolean enabled) {
        var body = aPolicy(policy.getString("policyType"))
                .withConfig(policy.getJsonObject("config"))
                .withEnabled(enabled);
        if (policy.containsKey("name")) {
            body.withName(policy.getString("name"));
        }
        admin.put("admin/scheduling-policies/" + policy.getJsonNumber("id").longValue(), body)
                .expect(200);
    }

    void fillWindow(String name, String start, String end) {
        if (name != null) {
            browser.find("#policy-form input[name=name]").sendKeys(name);
        }
        for (var field : List.of(List.of("start", start), List.of("end", end))) {
            // set by script: what keys a time input expects depends on the browser's locale
            WebElement input = browser.find("#policy-form input[name=" + field.get(0) + "]");
            browser.script(
                    "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                    input,
                    field.get(1));
        }
        WebElement zone = browser.find("#policy-form input[name=timezone]");
        zone.clear();
        zone.sendKeys("UTC");
    }

    @Test
    void queues_are_created_paused_and_cleared_after_a_confirmation_that_says_how_many() {
        String name = Fixtures.unique("ops").toLowerCase();
        page.signIn(admin.token());
        page.showView("queues");
        browser.find("#queue-create-form input[name=name]").sendKeys(name);
        browser.find("#queue-create-form input[name=maxConcurrent]").sendKeys("4");
        browser.find("#queue-create-form button[type=submit]").click();
        String row = "#queues tr[data-queue='" + name + "']";
        browser.await("the new queue", d -> browser.visible(row));
        assertEquals(4, admin.get("queues/" + name).expect(200).json().getInt("maxConcurrent"));

        page.press(row + " button[data-action='pause']");
        browser.await("paused", d -> "true".equals(browser.find(row).getDomAttribute("data-paused")));
        assertTrue(admin.get("queues/" + name).expect(200).json().getBoolean("paused"));

        Account gus = fx.user("USER");
        long[] jobs = {submit(gus, name), submit(gus, name), submit(gus, name)};
        page.press(row + " button[data-action='clear']");
        browser.await("the dialog", d -> browser.visible("#ask"));
        assertTrue(
                browser.find("#ask-message").getText().startsWith("3 waiting jobs"),
                browser.find("#ask-message").getText());
        assertEquals("PENDING", job(jobs[0]).getString("status"), "nothing before the confirmation");
        page.confirm(null);
        browser.await("cleared", d -> browser.find("#notice").getText().contains("3 jobs cancelled"));
        for (long id : jobs) {
            assertEquals("CANCELLED", job(id).getString("status"));
        }

        WorkerAccount w = fx.worker();
        page.showView("workers");
        String worker = "#workers tr[data-worker='" + w.workerId() + "']";
        browser.await("the worker", d -> browser.visible(worker));
        assertEquals("true", browser.find(worker).getDomAttribute("data-online"));
        assertTrue(browser.find(worker).getText().contains(w.account().id()), "its owner");
    }

    @Test
    void a_bulk_retry_by_filter_of_thirty_dead_letters_creates_thirty_new_jobs_and_nothing_else() {
        String q = fx.queue(aQueue().withMaxRetries(0));
        Account ivy = fx.user("USER", 10);
        WorkerAccount w = fx.worker();
        ivy.api()
                .post(
                        "jobs/batch",
                        aBatch(java.util.Collections.nCopies(
                                30, aJob().withQueue(q).withType("render"))))
                .expect(201);
        int failed = 0;
        while (failed < 30) {
            for (JsonValue j : w.claim(q, 10)) {
                JsonObject claimed = j.asJsonObject();
                w.api()
                        .post(
                                "jobs/" + claimed.getJsonNumber("id") + "/fail",
                                aFailure(claimed.getString("leaseToken")).withError("driver crash " + failed))
                        .expect(200);
                failed++;
            }
        }
        page.signIn(admin.token());
        page.showView("dead-letter");
        page.choose("#dl-filters select[name=queue]", q);
        WebElement error = browser.find("#dl-filters input[name=error]");
        error.sendKeys("DRIVER CRASH", Keys.TAB); // any case
        browser.await(
                "the 30 dead letters",
                d -> browser.all("#dead-letters tr[data-job-id]").size() == 30);
        browser.find("#dl-bulk button[data-do='retry-matching']").click();
        String message = page.confirm("driver fixed in 5.1");
        assertEquals("Retry 30 of the 30 matching jobs.", message);
        browser.await("done", d -> browser.find("#notice").getText().equals("30 jobs retried as 30 new jobs."));

        JsonArray all =
                admin.get("jobs?queue=" + q + "&limit=200").expect(200).json().getJsonArray("items");
        assertEquals(60, all.size(), "30 dead letters and 30 new jobs, nothing else");
        List<JsonObject> fresh = all.stream()
                .map(JsonValue::asJsonObject)
                .filter(j -> j.getString("status").equals("PENDING"))
                .toList();
        assertEquals(30, fresh.size());
        assertTrue(fresh.stream().allMatch(j -> j.containsKey("retryOf")), "each points at its dead letter");
        assertEquals(
                30,
                fresh.stream()
                        .map(j -> j.getJsonNumber("retryOf").longValue())
                        .distinct()
                        .count());
        assertEquals(
                30,
                all.stream()
                        .filter(j -> j.asJsonObject().getString("status").equals("FAILED"))
                        .count(),
                "the dead letters stay FAILED: a retry is a new job");
    }

    @Test
    void a_bulk_cancel_over_the_cap_asks_again_for_the_rest() {
        String q = fx.queue();
        Account jay = fx.user("USER");
        for (int i = 0; i < 2; i++) {
            int n = i == 0 ? 1000 : 1;
            jay.api()
                    .post(
                            "jobs/batch",
                            aBatch(java.util.Collections.nCopies(
                                    n, aJob().withQueue(q).withType("sweep"))))
                    .expect(201);
        }
        long keep = jay.api()
                .post("jobs", aJob().withQueue(q).withType("keep"))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
        page.signIn(admin.token());
        page.showQueue(q, "PENDING");
        browser.find("#filters input[name=type]").sendKeys("sweep");
        browser.find("#queue-bulk button[data-do='cancel-matching']").click();
        // the bulk filter's type is exact: "sweep" matches the 1,001, not "keep"
        String first = page.confirm("wrong parameters");
        assertEquals(
                "Cancel 1000 of the 1001 matching jobs: at most 1000 per call, you are asked again for the other 1.",
                first);
        browser.await("asked again", d -> browser.visible("#ask"));
        assertEquals(
                "Cancel 1 of the 1 matching jobs.", browser.find("#ask-message").getText());
        assertEquals("wrong parameters", browser.find("#ask-reason").getDomProperty("value"), "the reason is kept");
        browser.find("#ask-ok").click();
        browser.await("done", d -> browser.find("#notice").getText().equals("1001 jobs cancelled."));
        JsonObject stats =
                admin.get("queues/" + q + "/stats").expect(200).json().getJsonObject("counts");
        assertEquals(1001, stats.getJsonNumber("CANCELLED").longValue());
        assertEquals(1, stats.getJsonNumber("PENDING").longValue());
        assertEquals("PENDING", job(keep).getString("status"));
        long cancelled = admin.get("jobs?queue=" + q + "&status=CANCELLED&limit=1")
                .expect(200)
                .json()
                .getJsonArray("items")
                .getJsonObject(0)
                .getJsonNumber("id")
                .longValue();
        JsonObject audit = lastTransition(cancelled);
        assertEquals("wrong parameters", audit.getString("reason"));
        assertEquals(adminId(), audit.getString("triggeredBy"));
    }

    @Test
    void a_payload_search_finds_exactly_the_matching_jobs() {
        String q = fx.queue();
        Account kim = fx.user("USER");
        java.util.function.Function<JsonObject, Long> send = payload -> kim.api()
                .post("jobs", aJob().withQueue(q).withType("render").withPayload(payload))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
        long intro = send.apply(object("scene", "intro", "frames", 240));
        long intro2 = send.apply(object("scene", "intro", "frames", 120));
        send.apply(object("scene", "outro", "frames", 240));
        long nested = send.apply(Json.createObjectBuilder()
                .add("render", Json.createObjectBuilder().add("gpu", "a100"))
                .build());
        page.signIn(admin.token());
        page.showQueue(q, "PENDING");
        WebElement payload = browser.find("#filters input[name=payload]");
        payload.sendKeys("scene = intro", Keys.TAB);
        browser.await(
                "the intro jobs",
                d -> page.rows().stream()
                        .map(r -> ((Number) r.get("id")).longValue())
                        .collect(java.util.stream.Collectors.toSet())
                        .equals(java.util.Set.of(intro, intro2)));
        payload.clear();
        payload.sendKeys("frames = 240", Keys.TAB);
        browser.await("a number compared as a number", d -> page.rows().size() == 2 && page.row(intro) != null);
        payload.clear();
        payload.sendKeys("render.gpu = a100", Keys.TAB);
        browser.await("a nested path", d -> page.rows().size() == 1 && page.row(nested) != null);
        payload.clear();
        payload.sendKeys("scene", Keys.TAB);
        browser.await(
                "a filter without a value is explained",
                d -> browser.find("#list-note")
                        .getText()
                        .startsWith("Payload filter: write the payload filter as path = value"));
    }

    @Test
    void the_history_charts_show_the_jobs_a_test_ran_in_the_minute_they_ended() throws Exception {
        String q = fx.queue(aQueue().withMaxRetries(0)); // the failure ends the job
        Account lee = fx.user("USER", 3);
        WorkerAccount w = fx.worker();
        for (int i = 0; i < 3; i++) {
            submit(lee, q);
        }
        JsonArray claimed = w.claim(q, 3);
        // the minute each job ended in -> [completed, failed]
        java.util.Map<java.time.Instant, int[]> expected = new java.util.HashMap<>();
        for (int i = 0; i < 3; i++) {
            JsonObject j = claimed.getJsonObject(i);
            boolean completes = i < 2;
            w.api()
                    .post("jobs/" + j.getJsonNumber("id") + "/start", aLease(j.getString("leaseToken")))
                    .expect(200);
            String path = "jobs/" + j.getJsonNumber("id") + (completes ? "/complete" : "/fail");
            JsonObject after = w.api()
                    .post(
                            path,
                            completes
                                    ? aCompletion(j.getString("leaseToken"))
                                    : aFailure(j.getString("leaseToken")).withError("out of memory"))
                    .expect(200)
                    .json();
            java.time.Instant minute = OffsetDateTime.parse(after.getString("finishedAt"))
                    .toInstant()
                    .truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
            expected.computeIfAbsent(minute, m -> new int[2])[completes ? 0 : 1]++;
        }
        advance(120); // the minutes are closed
        try (javax.management.remote.JMXConnector c = javax.management.remote.JMXConnectorFactory.connect(
                new javax.management.remote.JMXServiceURL(io.fairqueue.it.support.JmxPort.url()))) {
            c.getMBeanServerConnection()
                    .invoke(new javax.management.ObjectName("fairqueue:type=Timer,name=History"), "runNow", null, null);
        }

        page.signIn(admin.token());
        page.showView("history");
        page.choose("#history-filters select[name=queue]", q);
        String bars = "#history-charts [data-chart='Jobs ended'] g.point";
        for (var e : expected.entrySet()) {
            WebElement point = browser.await(
                    "the bars of " + e.getKey(),
                    d -> browser.all(bars).stream()
                            .filter(g -> java.time.Instant.parse(g.getDomAttribute("data-at"))
                                    .equals(e.getKey()))
                            .filter(g -> String.valueOf(e.getValue()[0]).equals(g.getDomAttribute("data-completed")))
                            .findFirst()
                            .orElse(null));
            assertEquals(String.valueOf(e.getValue()[1]), point.getDomAttribute("data-failed"));
            assertEquals(
                    (e.getValue()[0] > 0 ? 1 : 0) + (e.getValue()[1] > 0 ? 1 : 0),
                    point.findElements(org.openqa.selenium.By.cssSelector("rect.bar"))
                            .size(),
                    "a green bar for the completed, a red one for the failed");
        }
        assertTrue(
                browser.find("#history-note").getText().contains("2 completed, 1 failed"),
                browser.find("#history-note").getText());
        assertEquals(4, browser.all("#history-charts figure").size(), "jobs, depth, wait and run time");
    }

    @Test
    void a_viewer_sees_every_operators_page_and_no_control_and_the_api_refuses_its_changes() {
        String q = fx.queue();
        Account hal = fx.user("USER");
        Account viewer = fx.user("VIEWER");
        WorkerAccount w = fx.worker();
        long held = submit(hal, q);
        w.claim(q, 1);
        page.signIn(viewer.token());
        for (String view : List.of("dead-letter", "locks", "quotas", "queues", "policies", "workers", "history")) {
            assertTrue(browser.visible("#nav a[data-view='" + view + "']"), view + " in the menu");
            page.showView(view);
        }
        page.showView("locks");
        browser.await("hal's lock", d -> browser.visible("#locks tr[data-lock-job='" + held + "']"));
        assertTrue(browser.all("#view-locks button").isEmpty(), "no release button");
        page.showView("queues");
        browser.await("the queues", d -> browser.visible("#queues tr[data-queue='" + q + "']"));
        assertTrue(browser.all("#queues button").isEmpty(), "no queue button");
        assertFalse(browser.visible("#queue-create-form"));
        page.showView("quotas");
        assertFalse(browser.find("#quota-user-form input[name=daily]").isEnabled(), "the forms are read-only");
        assertFalse(browser.find("#quota-user-form button[type=submit]").isEnabled());
        assertFalse(browser.find("#settings-form input[name=globalSlots]").isEnabled());
        assertTrue(browser.find("#quota-user-form input[name=user]").isEnabled(), "a user can still be looked up");
        page.showView("policies");
        assertFalse(browser.visible("#policy-form"));
        page.showQueue(q, "");
        browser.await("hal's job", d -> page.row(held) != null);
        assertTrue(browser.all("#jobs select, #jobs button, #jobs input").isEmpty(), "no reorder or selection control");
        assertFalse(browser.visible("#queue-bulk"), "no bulk action");
        page.showView("dead-letter");
        assertFalse(browser.visible("#dl-bulk"), "no bulk retry");

        assertEquals(403, viewer.api().delete("admin/locks/" + hal.id()).status());
        assertEquals(
                403,
                viewer.api()
                        .put("admin/users/" + hal.id() + "/quota", aQuota().withDailyLimitSecs(1))
                        .status());
        assertEquals(
                403,
                viewer.api()
                        .put("admin/queue/reorder", aReorder(held).withPriority(9))
                        .status());
        assertEquals(
                403,
                viewer.api()
                        .post(
                                "admin/scheduling-policies",
                                aPolicy("OFF_PEAK")
                                        .withConfig(Json.createObjectBuilder()
                                                .add("start", "01:00")
                                                .add("end", "02:00")
                                                .build()))
                        .status());
        assertEquals(403, viewer.api().post("queues/" + q + "/pause").status());
        assertEquals("DISPATCHED", job(held).getString("status"), "nothing changed");
        assertTrue(admin.get("admin/locks").expect(200).array().stream()
                .anyMatch(l -> l.asJsonObject().getJsonNumber("jobId").longValue() == held));
    }
}
