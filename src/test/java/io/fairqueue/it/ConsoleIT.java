package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Browser;
import io.fairqueue.it.support.ConsolePage;
import io.fairqueue.it.support.EventStreamClient;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The web console at {@code /} in a real headless Chromium against the WAR on Payara Micro and
 * PostgreSQL: each test asserts what a person sees and checks it against the API. The database is
 * shared with other test classes, so each test works in a queue and with users of its own, and
 * compares the page with {@code GET /queue} read at the same moment (global positions move when
 * other jobs come and go). Every test also fails when a page logged an error to the browser console
 * (see {@link Browser}).
 */
class ConsoleIT extends ApiTestBase {

    @RegisterExtension
    static final Browser browser = new Browser();

    static final Duration LIVE = Duration.ofSeconds(2);

    ConsolePage page;

    @BeforeEach
    void page() {
        page = new ConsolePage(browser, url.getPort());
    }

    /** The tiers' colours as the browser computes them: urgent red, normal blue, background grey. */
    static final Map<String, String> TIER_COLOURS =
            Map.of("URGENT", "rgb(185, 28, 28)", "NORMAL", "rgb(29, 78, 216)", "BACKGROUND", "rgb(75, 85, 99)");

    static long submit(Account who, String queue, String priority, JsonObject payload) {
        return who.api()
                .post(
                        "jobs",
                        aJob().withQueue(queue)
                                .withType("render")
                                .withPriority(priority)
                                .withPayload(payload))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
    }

    static long submit(Account who, String queue, String type, String priority) {
        return who.api()
                .post("jobs", aJob().withQueue(queue).withType(type).withPriority(priority))
                .expect(201)
                .json()
                .getJsonNumber("id")
                .longValue();
    }

    static String lease(JsonArray claimed, long id) {
        return claimed.stream()
                .map(JsonValue::asJsonObject)
                .filter(j -> j.getJsonNumber("id").longValue() == id)
                .findFirst()
                .orElseThrow(() -> new AssertionError("job " + id + " was not claimed: " + claimed))
                .getString("leaseToken");
    }

    String status(long id) {
        return admin.get("jobs/" + id).expect(200).json().getString("status");
    }

    JsonArray transitions(long id) {
        return admin.get("jobs/" + id + "/transitions").expect(200).array();
    }

    @Test
    void the_console_answers_at_the_root_and_signs_in_with_a_token_and_refuses_a_bad_one_with_the_reason() {
        Api.Res root = admin.as(null).get("/");
        assertEquals(200, root.status(), "the welcome file answers /");
        assertTrue(root.contentType().startsWith("text/html"), root.contentType());
        assertTrue(root.body().contains("<title>FairQueue console</title>"));
        assertEquals(200, admin.as(null).get("/favicon.svg").status(), "a favicon, so no page logs its 404");

        Account alice = fx.user("USER");
        page.signOutCompletely();
        browser.find("#token").sendKeys("fq_not-a-token-of-anyone", Keys.ENTER);
        String refused = browser.await(
                "the refusal",
                d -> browser.visible("#sign-in-error")
                        ? browser.find("#sign-in-error").getText()
                        : null);
        assertEquals(
                "This token was refused: a valid 'Authorization: Bearer <token>' header is required.",
                refused,
                "the API's problem detail, in words");
        assertTrue(browser.visible("#token"), "still at the sign-in form");
        assertNull(browser.script("return sessionStorage.getItem('fairqueue.token')"), "a refused token is not kept");
        browser.awaitErrors(
                1,
                Browser.mentioning("api/v1/me - Failed to load resource: the server responded with a status of 401"));

        browser.find("#token").clear();
        browser.find("#token").sendKeys(alice.token(), Keys.ENTER);
        browser.await("signed in", d -> browser.find("#who").getText().equals(alice.id() + " (user)"));
        assertFalse(browser.visible("#sign-in"));
        assertEquals(alice.token(), browser.script("return sessionStorage.getItem('fairqueue.token')"));
        assertFalse(browser.driver().getCurrentUrl().contains(alice.token()), "a token never goes into a URL");
        browser.await("the queue view", d -> browser.visible("#view-queue") && browser.visible("#cards .card"));

        browser.driver().navigate().refresh();
        browser.await(
                "still signed in after a reload (the tab's session)",
                d -> browser.find("#who").getText().equals(alice.id() + " (user)"));

        browser.find("#sign-out").click();
        browser.await("signed out", d -> browser.visible("#token"));
        assertNull(browser.script("return sessionStorage.getItem('fairqueue.token')"), "sign-out forgets the token");
        assertFalse(browser.visible("#view-queue"));
    }

    @Test
    void the_ordered_list_matches_get_queue_with_positions_colours_and_waiting_reasons() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount worker = fx.worker();
        long running = submit(alice, q, "NORMAL", object());
        lease(worker.claim(q, 1), running);
        long a1 = submit(alice, q, "URGENT", object());
        long b1 = submit(bob, q, "NORMAL", object());
        long a2 = submit(alice, q, "BACKGROUND", object());
        long b2 = submit(bob, q, "URGENT", object());

        page.signIn(admin.token());
        page.showQueue(q, "PENDING");
        List<Map<String, Object>> shown = null;
        List<Map<String, Object>> api = null;
        for (int attempt = 0; attempt < 5; attempt++) { // a read may race a change elsewhere in the database
            int attemptNo = attempt;
            shown = browser.await("four rows", d -> {
                List<Map<String, Object>> r = page.rows();
                return r.size() == 4 ? r : null;
            });
            api = admin.get("queue?queue=" + q + "&limit=200").expect(200).json().getJsonArray("jobs").stream()
                    .map(JsonValue::asJsonObject)
                    .map(j -> Map.<String, Object>of(
                            "id", j.getJsonNumber("id").longValue(),
                            "pos", String.valueOf(j.getJsonNumber("position").longValue()),
                            "tier", j.getString("tier"),
                            "code", j.getString("waitingReason")))
                    .toList();
            if (api.equals(shown.stream()
                    .map(r -> Map.of(
                            "id",
                            ((Number) r.get("id")).longValue(),
                            "pos",
                            r.get("pos"),
                            "tier",
                            r.get("tier"),
                            "code",
                            r.get("code")))
                    .toList())) {
                break;
            }
            assertTrue(attemptNo < 4, "the page " + shown + " shows GET /queue " + api);
            sleep(1500);
        }
        assertEquals(
                List.of(a1, b2, b1, a2),
                shown.stream().map(r -> ((Number) r.get("id")).longValue()).toList(),
                "priority first, then age");
        for (Map<String, Object> r : shown) {
            assertEquals(TIER_COLOURS.get(r.get("tier")), r.get("colour"), "the colour of " + r);
            long position = Long.parseLong((String) r.get("pos"));
            String expected = r.get("user").equals(alice.id())
                    ? "waiting: " + alice.id() + " already runs 1 of 1 allowed"
                    : position == 1
                            ? "ready: next to run"
                            : "ready: " + (position - 1) + (position == 2 ? " job ahead" : " jobs ahead");
            assertEquals(expected, r.get("reason"), "the waiting reason of " + r);
        }
        browser.await(
                "the queued card by tier",
                d -> browser.find("#cards [data-card=queued]")
                        .getText()
                        .matches("(?s).*\\d+ urgent · \\d+ normal · \\d+ background.*"));
    }

    @Test
    void a_job_submitted_through_the_api_appears_within_two_seconds_and_leaves_when_a_worker_claims_it() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        WorkerAccount worker = fx.worker();
        page.signIn(admin.token());
        page.showQueue(q, "PENDING");
        browser.await(
                "the empty list", d -> browser.find("#jobs tbody").getText().contains("No jobs match."));
        browser.await(
                "the live stream", d -> browser.find("#live-state").getText().equals("live"));
        browser.script("window.samePage = true;");

        long id = submit(alice, q, "URGENT", object("scene", "intro"));
        long sent = System.nanoTime();
        browser.await(LIVE, "job " + id + " in the list within 2 s", d -> page.row(id) != null);
        long millis = (System.nanoTime() - sent) / 1_000_000;
        System.out.println("CONSOLE-FIGURES submit to row on the page: " + millis + " ms");
        assertEquals("PENDING", page.row(id).get("status"));
        assertEquals(Boolean.TRUE, browser.script("return window.samePage === true"), "no reload");

        lease(worker.claim(q, 1), id);
        browser.await(LIVE, "job " + id + " leaves the pending list when claimed", d -> page.row(id) == null);
        assertEquals(Boolean.TRUE, browser.script("return window.samePage === true"), "no reload");
        browser.await(
                "the running card",
                d -> browser.find("#cards [data-card=running] .big").getText().matches("[1-9]\\d* / .*"));
    }

    @Test
    void
            a_refused_stream_falls_back_to_polling_every_ten_seconds_the_refresh_control_sets_the_pace_and_a_hidden_tab_waits() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account viewer = fx.user("VIEWER");
        List<EventStreamClient> taken = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) { // the viewer's token holds every stream it may: the page's is refused
                taken.add(EventStreamClient.open(viewer.api()));
                assertEquals(200, taken.get(i).status());
            }
            page.signIn(viewer.token());
            page.showQueue(q, "PENDING");
            browser.await(
                    "the fallback",
                    d -> browser.find("#live-state").getText().equals("stream lost: refreshing every 10 s"));
            browser.awaitErrors(
                    1,
                    Browser.mentioning(
                            "queue/events - Failed to load resource: the server responded with a status of 429"));
        } finally {
            taken.forEach(EventStreamClient::close);
        }
        long polled = submit(alice, q, "NORMAL", object());
        browser.await(Duration.ofSeconds(12), "job " + polled + " by the 10 s poll", d -> page.row(polled) != null);

        new Select(browser.find("#refresh")).selectByValue("off");
        browser.await(
                "refreshing off", d -> browser.find("#live-state").getText().equals("not refreshing"));
        sleep(1000); // the one read that choosing a pace makes is over
        long unseen = submit(alice, q, "NORMAL", object());
        sleep(3000);
        assertNull(page.row(unseen), "no refresh when it is off");

        new Select(browser.find("#refresh")).selectByValue("2");
        browser.await("every 2 s", d -> browser.find("#live-state").getText().equals("refreshing every 2 s"));
        browser.await(LIVE, "read again when the pace is chosen", d -> page.row(unseen) != null);
        long next = submit(alice, q, "NORMAL", object());
        browser.await(Duration.ofSeconds(3), "job " + next + " by the 2 s poll", d -> page.row(next) != null);

        page.setHidden(true);
        browser.await(
                "paused while hidden",
                d -> browser.find("#live-state").getText().equals("paused while the tab is hidden"));
        sleep(1000);
        long whileHidden = submit(alice, q, "NORMAL", object());
        sleep(3000);
        assertNull(page.row(whileHidden), "a hidden tab does not refresh");
        page.setHidden(false);
        browser.await(LIVE, "read again when the tab shows", d -> page.row(whileHidden) != null);
        assertEquals("refreshing every 2 s", browser.find("#live-state").getText());
    }

    @Test
    void pause_resume_and_cancel_from_the_page_change_the_job_and_its_audit_rows() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        long mine = submit(alice, q, "NORMAL", object());
        long other = submit(alice, q, "NORMAL", object());

        page.signIn(alice.token());
        page.showQueue(q, "");
        browser.await(
                "alice's jobs with their buttons",
                d -> page.row(mine) != null
                        && "pause,ask-cancel".equals(page.row(mine).get("actions")));
        page.click(mine, "pause");
        browser.await("paused on the page", d -> "PAUSED".equals(page.row(mine).get("status")));
        assertEquals("PAUSED", status(mine));
        assertEquals("resume,ask-cancel", page.row(mine).get("actions"));

        browser.await(
                "resume by keyboard",
                d -> { // the keyboard works the buttons
                    try {
                        browser.find("#jobs tr[data-job-id='" + mine + "'] button[data-action='resume']")
                                .sendKeys(Keys.ENTER);
                        return true;
                    } catch (org.openqa.selenium.WebDriverException redrawn) {
                        return false; // the row was redrawn by a refresh right then: press again
                    }
                });
        browser.await(
                "resumed on the page", d -> "PENDING".equals(page.row(mine).get("status")));
        assertEquals("PENDING", status(mine));

        page.click(mine, "ask-cancel");
        browser.await("asked to confirm", d -> browser.visible("#jobs tr[data-job-id='" + mine + "'] .confirm"));
        assertEquals("PENDING", status(mine), "nothing happens before the confirmation");
        page.click(mine, "cancel");
        browser.await(
                "cancelled on the page", d -> "CANCELLED".equals(page.row(mine).get("status")));
        assertEquals("CANCELLED", status(mine));
        assertEquals("", page.row(mine).get("actions"), "a cancelled job has no buttons");

        JsonArray audit = transitions(mine);
        List<String> moves = new ArrayList<>();
        for (JsonValue v : audit.subList(audit.size() - 3, audit.size())) {
            JsonObject t = v.asJsonObject();
            assertEquals(alice.id(), t.getString("triggeredBy"), t.toString());
            moves.add(t.getString("from") + ">" + t.getString("to") + ":" + t.getString("reason", ""));
        }
        assertEquals(
                List.of(
                        "PENDING>PAUSED:paused from the console",
                        "PAUSED>PENDING:",
                        "PENDING>CANCELLED:cancelled from the console"),
                moves);

        // an ADMIN acts on anybody's job
        page.signIn(admin.token());
        page.showQueue(q, "");
        browser.await(
                "alice's other job",
                d -> page.row(other) != null
                        && String.valueOf(page.row(other).get("actions")).contains("pause"));
        page.click(other, "pause");
        browser.await(
                "paused by the admin", d -> "PAUSED".equals(page.row(other).get("status")));
        JsonArray its = transitions(other);
        JsonObject last = its.getJsonObject(its.size() - 1);
        assertEquals("PAUSED", last.getString("to"));
        assertEquals(admin.get("me").expect(200).json().getString("id"), last.getString("triggeredBy"));
    }

    @Test
    void the_job_detail_shows_payload_result_attempts_the_timeline_and_where_a_waiting_job_stands() {
        String q = fx.queue(aQueue().withRetryBaseDelaySeconds(1));
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount w = fx.worker();
        long id = submit(alice, q, "URGENT", object("scene", "intro", "frames", 240));
        String first = lease(w.claim(q, 1), id);
        w.api().post("jobs/" + id + "/start", aLease(first)).expect(200);
        w.api()
                .post(
                        "jobs/" + id + "/fail",
                        aFailure(first).withError("GPU fell off the bus").withRetryable(true))
                .expect(200);
        String second = lease(w.claimWithin(q, 1), id);
        w.api().post("jobs/" + id + "/start", aLease(second)).expect(200);
        w.api()
                .post(
                        "jobs/" + id + "/complete",
                        aCompletion(second).withResult(object("url", "s3://renders/intro.mp4")))
                .expect(200);
        JsonArray audit = transitions(id);

        page.signIn(admin.token());
        browser.open(page.base() + "#/job/" + id);
        browser.await("the timeline", d -> browser.all("#job .timeline li").size() == audit.size());
        assertTrue(browser.find("#job-title").getText().startsWith("Job #" + id));
        assertTrue(browser.find("#job [data-json=payload]").getText().contains("\"frames\": 240"));
        assertTrue(browser.find("#job [data-json=result]").getText().contains("\"url\": \"s3://renders/intro.mp4\""));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> items = (List<Map<String, Object>>)
                browser.script(
                        "return [...document.querySelectorAll('#job .timeline li')].map(li => ({to: li.dataset.to, text: li.innerText}));");
        for (int i = 0; i < audit.size(); i++) {
            JsonObject t = audit.getJsonObject(i);
            String text = (String) items.get(i).get("text");
            assertEquals(t.getString("to"), items.get(i).get("to"));
            assertTrue(text.contains("by " + t.getString("triggeredBy", "the system")), text);
            if (t.containsKey("reason")) {
                assertTrue(text.contains(t.getString("reason")), text + " shows " + t);
            }
        }
        @SuppressWarnings("unchecked")
        List<String> attempts = (List<String>)
                browser.script(
                        "return [...document.querySelectorAll('#job table.attempts tbody tr')].map(tr => tr.innerText.toLowerCase());");
        assertEquals(2, attempts.size(), "two attempts: " + attempts);
        assertTrue(attempts.get(0).contains("gpu fell off the bus"), attempts.get(0));
        assertTrue(attempts.get(0).contains("retry wait"), attempts.get(0));
        assertTrue(attempts.get(1).contains("completed"), attempts.get(1));

        // a waiting job: its place, its estimated start and why it waits
        long busy = submit(bob, q, "NORMAL", object());
        lease(w.claim(q, 1), busy);
        long waiting = submit(bob, q, "NORMAL", object());
        browser.open(page.base() + "#/job/" + waiting);
        browser.await(
                "the waiting job", d -> browser.all("#job [data-fact=reason]").size() == 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> facts = (Map<String, Object>) browser.script("""
                const f = (name) => document.querySelector('#job [data-fact=' + name + ']');
                return {reason: f('reason').innerText, position: f('position').innerText, eta: f('eta').innerText,
                        local: f('eta').querySelector('time').title};
                """);
        JsonObject job = admin.get("jobs/" + waiting).expect(200).json();
        assertEquals("waiting: " + bob.id() + " already runs 1 of 1 allowed", facts.get("reason"));
        assertEquals(String.valueOf(job.getJsonNumber("position").longValue()), facts.get("position"));
        assertTrue(
                ((String) facts.get("eta")).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC (in .*|now|.* ago)"),
                facts.toString());
        assertTrue(((String) facts.get("local")).startsWith("local time: "), facts.toString());
    }

    @Test
    void the_filters_narrow_the_list_by_queue_user_type_status_priority_and_submission_time() {
        String q = fx.queue();
        String other = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount w = fx.worker();
        long done = submit(alice, q, "render", "NORMAL");
        String lease = lease(w.claim(q, 1), done);
        w.api().post("jobs/" + done + "/start", aLease(lease)).expect(200);
        w.api().post("jobs/" + done + "/complete", aCompletion(lease)).expect(200);
        long old = submit(alice, q, "render", "BACKGROUND");
        advance(7200); // the jobs below are submitted two hours after `old`
        long a1 = submit(alice, q, "encode", "URGENT");
        long b1 = submit(bob, q, "render", "NORMAL");
        long b2 = submit(bob, q, "encode", "BACKGROUND");
        long x = submit(bob, other, "render", "URGENT");

        page.signIn(admin.token());
        page.showQueue(q, "PENDING");
        awaitShown("the queue's pending jobs", old, a1, b1, b2);

        WebElement user = browser.find("#filters input[name=user]");
        user.sendKeys(bob.id(), Keys.TAB); // a change: asked of the API
        awaitShown("bob's jobs", b1, b2);
        WebElement type = browser.find("#filters input[name=type]");
        type.sendKeys("ENC"); // typing narrows at once, in any case
        awaitShown("bob's encode jobs", b2);
        user.clear();
        user.sendKeys(Keys.TAB);
        awaitShown("everybody's encode jobs", a1, b2);
        type.clear();
        type.sendKeys(Keys.TAB);
        new Select(browser.find("#filters select[name=tier]")).selectByValue("URGENT");
        awaitShown("the urgent job", a1);
        new Select(browser.find("#filters select[name=tier]")).selectByValue("");
        awaitShown("every priority again", old, a1, b1, b2);

        // the page's clock as the server's: two hours on, so `old` was submitted two hours ago
        browser.script("const real = Date.now; Date.now = () => real() + 7200000;");
        new Select(browser.find("#filters select[name=since]")).selectByValue("900");
        awaitShown("the last 15 minutes", a1, b1, b2);
        new Select(browser.find("#filters select[name=since]")).selectByValue("86400");
        awaitShown("the last 24 hours", old, a1, b1, b2);
        new Select(browser.find("#filters select[name=since]")).selectByValue("");

        new Select(browser.find("#filters select[name=status]")).selectByValue("COMPLETED");
        awaitShown("the completed job", done);
        new Select(browser.find("#filters select[name=status]")).selectByValue("");
        awaitShown("every status, newest first", done, old, a1, b1, b2);
        assertEquals(
                List.of(b2, b1, a1, old, done),
                page.rows().stream()
                        .map(r -> ((Number) r.get("id")).longValue())
                        .toList(),
                "newest first");

        new Select(browser.find("#filters select[name=status]")).selectByValue("PENDING");
        user.sendKeys(bob.id(), Keys.TAB);
        new Select(browser.find("#filters select[name=queue]")).selectByValue("");
        browser.await(
                "bob's pending jobs in every queue",
                d -> page.row(x) != null && page.row(b1) != null && page.row(b2) != null && page.row(a1) == null);
        assertTrue(
                page.rows().stream().allMatch(r -> r.get("user").equals(bob.id())),
                page.rows().toString());
    }

    /** Waits until the list shows exactly these jobs (in any order). */
    void awaitShown(String what, Long... ids) {
        Set<Long> wanted = Set.of(ids);
        browser.await(
                what + " " + wanted,
                d -> page.rows().stream()
                        .map(r -> ((Number) r.get("id")).longValue())
                        .collect(Collectors.toSet())
                        .equals(wanted));
    }

    @Test
    void a_worker_signs_in_and_sees_every_users_jobs_without_a_button() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount w = fx.worker();
        long hers = submit(alice, q, "NORMAL", object());
        long his = submit(bob, q, "URGENT", object());

        page.signIn(w.account().token());
        assertEquals(w.account().id() + " (worker)", browser.find("#who").getText());
        page.showQueue(q, "PENDING");
        awaitShown("everybody's jobs", hers, his);
        assertTrue(page.rows().stream().allMatch(r -> "".equals(r.get("actions"))), "no buttons: " + page.rows());

        browser.open(page.base() + "#/fairness");
        browser.await("its own card", d -> browser.all("#fairness .user-card").size() == 1);
        assertEquals(w.account().id(), browser.find("#fairness .user-card").getDomAttribute("data-user"));
        assertFalse(browser.visible("#fairness-user"), "no search among users");

        assertEquals(403, w.api().post("jobs/" + hers + "/pause").status(), "the API refuses it too");
        assertEquals("PENDING", status(hers));
    }

    @Test
    void the_fairness_panel_shows_running_against_the_limit_and_quota_bars_with_the_warning() {
        String q = fx.queue();
        Account carol = fx.user("USER", 2);
        WorkerAccount w = fx.worker();
        admin.put(
                        "admin/users/" + carol.id() + "/quota",
                        aQuota().withDailyLimitSecs(100).withWeeklyLimitSecs(1000))
                .expect(200);
        long done = submit(carol, q, "NORMAL", object());
        String lease = lease(w.claim(q, 1), done);
        w.api().post("jobs/" + done + "/start", aLease(lease)).expect(200);
        advance(85);
        w.api().post("jobs/" + done + "/complete", aCompletion(lease)).expect(200);
        long runs = submit(carol, q, "NORMAL", object());
        lease(w.claim(q, 1), runs);
        submit(carol, q, "NORMAL", object());
        assertTrue(admin.get("quota/status?userId=" + carol.id())
                .expect(200)
                .json()
                .getBoolean("warning"));

        page.signIn(admin.token());
        browser.open(page.base() + "#/fairness");
        browser.find("#fairness-user").sendKeys(carol.id());
        String card = "#fairness [data-user='" + carol.id() + "']";
        browser.await(
                "carol's card",
                d -> browser.all(card).size() == 1
                        && browser.all("#fairness .user-card").size() == 1);
        assertEquals("1 of 2 allowed", browser.find(card + " [data-running]").getText());
        assertEquals("1 pending", browser.find(card + " [data-pending]").getText());
        WebElement day = browser.find(card + " [data-quota=day]");
        assertEquals("warning", day.getDomAttribute("data-level"));
        assertTrue(day.getText().contains("(85 %) ⚠ 80 %+"), day.getText());
        double filled = ((Number) browser.script(
                        "const b = arguments[0].querySelector('.bar'); return b.firstChild.getBoundingClientRect().width / b.getBoundingClientRect().width;",
                        day))
                .doubleValue();
        assertEquals(0.85, filled, 0.02, "the day bar is 85 % full");
        assertEquals("ok", browser.find(card + " [data-quota=week]").getDomAttribute("data-level"));
        assertTrue(browser.find(card + " [data-quota=month]").getText().endsWith("no limit"));
        assertTrue(browser.visible(card + " [data-quota-state=warning]"), "the 80 % warning in words");
    }

    @Test
    void a_user_sees_only_its_own_jobs_and_quota_and_no_admin_controls_and_the_api_refuses_it_admin_calls() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        long hers = submit(alice, q, "NORMAL", object());
        long his = submit(bob, q, "URGENT", object());

        page.signIn(alice.token());
        page.showQueue(q, "PENDING");
        browser.await("alice's job", d -> page.row(hers) != null);
        assertNull(page.row(his), "bob's job is not shown to alice");
        assertTrue(
                page.rows().stream().allMatch(r -> r.get("user").equals(alice.id())),
                page.rows().toString());
        assertEquals("pause,ask-cancel", page.row(hers).get("actions"), "her own job has her buttons");
        assertFalse(
                browser.find("#filters input[name=user]").isEnabled(), "no user filter: only her jobs exist for her");
        assertTrue(browser.all("#users option").isEmpty(), "no list of users");

        browser.open(page.base() + "#/fairness");
        browser.await("her own card", d -> browser.all("#fairness .user-card").size() == 1);
        assertEquals(alice.id(), browser.find("#fairness .user-card").getDomAttribute("data-user"));
        assertFalse(browser.visible("#fairness-user"), "no search among users");

        browser.open(page.base() + "#/job/" + his);
        browser.await(
                "bob's job is not hers to see",
                d -> browser.find("#job").getText().contains("does not exist or is not yours to see"));
        browser.awaitErrors(2, Browser.mentioning("the server responded with a status of 404")); // the job and its log

        assertEquals(403, alice.api().get("admin/users").status());
        assertEquals(
                403,
                alice.api()
                        .put("admin/queue/reorder", aReorder(his).withPriority(50))
                        .status());
        assertEquals(404, alice.api().post("jobs/" + his + "/cancel").status());
        assertEquals("PENDING", status(his));
    }

    @Test
    void a_viewer_sees_what_an_admin_sees_without_a_button_and_the_api_refuses_it_every_change() {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        Account viewer = fx.user("VIEWER");
        long hers = submit(alice, q, "NORMAL", object());
        long his = submit(bob, q, "URGENT", object());

        page.signIn(viewer.token());
        assertEquals(viewer.id() + " (viewer)", browser.find("#who").getText());
        page.showQueue(q, "PENDING");
        browser.await("everybody's jobs", d -> page.row(hers) != null && page.row(his) != null);
        assertTrue(page.rows().stream().allMatch(r -> "".equals(r.get("actions"))), "no buttons: " + page.rows());
        assertTrue(browser.all("#jobs button").isEmpty());

        browser.open(page.base() + "#/job/" + hers);
        browser.await("the detail", d -> browser.all("#job .timeline li").size() == 1);
        assertTrue(browser.all("#job button").isEmpty(), "no buttons in the detail either");

        browser.open(page.base() + "#/fairness");
        browser.find("#fairness-user").sendKeys(alice.id());
        browser.await(
                "alice's card",
                d -> browser.all("#fairness [data-user='" + alice.id() + "']").size() == 1);

        assertEquals(403, viewer.api().post("jobs/" + hers + "/pause").status());
        assertEquals(403, viewer.api().post("jobs/" + his + "/cancel").status());
        assertEquals("PENDING", status(hers));
        assertEquals("PENDING", status(his));
        assertEquals(200, viewer.api().get("admin/users").status(), "it reads what an admin reads");
    }

    @Test
    void every_view_fits_a_phone_and_1280_by_800_without_a_console_error() throws Exception {
        String q = fx.queue();
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        WorkerAccount w = fx.worker();
        long running = submit(alice, q, "URGENT", object("scene", "intro", "frames", 240));
        lease(w.claim(q, 1), running);
        submit(alice, q, "NORMAL", object("scene", "outro"));
        long job = submit(bob, q, "URGENT", object("epochs", 3));
        submit(bob, q, "BACKGROUND", object("epochs", 5));

        page.signIn(admin.token());
        page.showQueue(q, "PENDING");
        browser.await("the list", d -> page.rows().size() == 3);
        Path shots = Path.of("target", "console");
        Files.createDirectories(shots);
        Files.write(shots.resolve("queue-1280x800.png"), browser.driver().getScreenshotAs(OutputType.BYTES));
        page.assertFits("the queue at 1280x800");

        browser.emulatePhone(390, 844);
        assertEquals(390L, browser.script("return window.innerWidth;"));
        page.assertFits("the queue at phone width");
        assertFalse(browser.visible("#jobs thead th"), "at phone width each job is a card of labelled lines");
        browser.open(page.base() + "#/fairness");
        browser.await("the fairness panel", d -> browser.visible("#fairness .note"));
        page.assertFits("the fairness panel at phone width");
        for (String view : List.of("dead-letter", "locks", "quotas", "queues", "policies", "workers")) {
            page.showView(view);
            page.assertFits("the " + view + " view at phone width");
        }
        browser.open(page.base() + "#/job/" + job);
        browser.await("the detail", d -> browser.all("#job .timeline li").size() == 1);
        page.assertFits("the job detail at phone width");
        Files.write(shots.resolve("job-390.png"), browser.driver().getScreenshotAs(OutputType.BYTES));
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
