package io.fairqueue.it.support;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.openqa.selenium.Keys;
import org.openqa.selenium.support.ui.Select;

/** The console as ConsoleIT works it: sign-in, the queue view's filters, its rows and buttons. */
public final class ConsolePage {

    private final Browser browser;
    private final int port;

    public ConsolePage(Browser browser, int port) {
        this.browser = browser;
        this.port = port;
    }

    public String base() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** Opens the console signed out (a fresh tab state), then signs in with the token by keyboard. */
    public void signIn(String token) {
        signOutCompletely();
        browser.find("#token").sendKeys(token, Keys.ENTER);
        browser.await(
                "signed in",
                d -> browser.visible("#who") && !browser.find("#who").getText().isEmpty());
    }

    /** Opens the console and, when a previous test left it signed in, signs out with its button. */
    public void signOutCompletely() {
        browser.open(base());
        String state = browser.await(
                "the sign-in form or a signed-in page",
                d -> browser.visible("#token") ? "signed out" : browser.visible("#sign-out") ? "signed in" : null);
        if (state.equals("signed in")) {
            browser.find("#sign-out").click();
        }
        browser.await("the sign-in form", d -> browser.visible("#token"));
        browser.script("localStorage.clear();"); // the refresh control's choice: back to live
        browser.driver().navigate().refresh();
        browser.await("the sign-in form after a reload", d -> browser.visible("#token"));
    }

    /** The queue view of one queue; status "" is every status, newest first. */
    public void showQueue(String queue, String status) {
        browser.open(base() + "#/queue");
        browser.await(
                "the queue filter lists " + queue,
                d -> !browser.all("#filters select[name=queue] option[value='" + queue + "']")
                        .isEmpty());
        new Select(browser.find("#filters select[name=status]")).selectByValue(status);
        new Select(browser.find("#filters select[name=queue]")).selectByValue(queue);
    }

    /** The rows of the job table as a person reads them. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> rows() {
        return (List<Map<String, Object>>) browser.script("""
                return [...document.querySelectorAll('#jobs tbody tr[data-job-id]')].map(tr => ({
                  id: Number(tr.dataset.jobId), status: tr.dataset.status,
                  pos: tr.querySelector('td.pos').textContent, user: tr.querySelector('td.user').textContent,
                  tier: tr.querySelector('.badge').dataset.tier,
                  colour: getComputedStyle(tr.querySelector('.badge')).color,
                  reason: tr.querySelector('td.reason').textContent, code: tr.querySelector('td.reason').dataset.reason,
                  actions: [...tr.querySelectorAll('button[data-action]')].map(b => b.dataset.action).join(',')}));
                """);
    }

    public Map<String, Object> row(long id) {
        return rows().stream()
                .filter(r -> ((Number) r.get("id")).longValue() == id)
                .findFirst()
                .orElse(null);
    }

    /** Clicks a job's button; a live refresh may replace the row in between, so it finds it again. */
    public void click(long job, String action) {
        browser.await("the " + action + " button of job " + job, d -> {
            browser.find("#jobs tr[data-job-id='" + job + "'] button[data-action='" + action + "']")
                    .click();
            return true;
        });
    }

    /**
     * Answers the console's confirmation dialog: types the reason when it asks for one (null: it
     * must not ask), then confirms, and waits until the dialog closed or asks something else.
     * Answers the dialog's message.
     */
    public String confirm(String reason) {
        browser.await("the confirmation dialog", d -> browser.visible("#ask"));
        String message = browser.find("#ask-message").getText();
        if (reason != null) {
            browser.find("#ask-reason").sendKeys(reason);
        } else {
            assertTrue(!browser.visible("#ask-reason"), "no reason is asked for");
        }
        browser.find("#ask-ok").click();
        // closed, or already asking the next question (a bulk action over its cap asks again at
        // once, in the same dialog: a fast answer reopens it before a poll sees it closed)
        browser.await(
                "the dialog closed",
                d -> !browser.visible("#ask")
                        || !browser.find("#ask-message").getText().equals(message));
        return message;
    }

    /**
     * Presses a control by keyboard (Enter) or, without keys, clicks it; a live refresh may redraw
     * it between finding and pressing, and a modal dialog just closed may leave the page inert for a
     * moment, so it is found again until the press lands.
     */
    public void press(String css, CharSequence... keys) {
        browser.await("pressing " + css, d -> {
            try {
                if (keys.length == 0) {
                    browser.find(css).click();
                } else {
                    browser.find(css).sendKeys(keys);
                }
                return true;
            } catch (org.openqa.selenium.StaleElementReferenceException
                    | org.openqa.selenium.NoSuchElementException
                    | org.openqa.selenium.ElementNotInteractableException redrawn) {
                // redrawn, or the page still inert for a moment after the modal dialog closed
                return false;
            }
        });
    }

    /** Chooses an option of a select once the page has put it there (lists fill after a read). */
    public void choose(String selectCss, String value) {
        browser.await(
                "the option " + value + " of " + selectCss,
                d -> !browser.all(selectCss + " option[value='" + value + "']").isEmpty());
        new Select(browser.find(selectCss)).selectByValue(value);
    }

    /** Opens one of the console's views, e.g. "locks", and waits until it shows. */
    public void showView(String view) {
        browser.open(base() + "#/" + view);
        browser.await("the " + view + " view", d -> browser.visible("#view-" + view));
    }

    public void assertFits(String what) {
        Object overflow = browser.script("return document.documentElement.scrollWidth - window.innerWidth;");
        assertNotNull(overflow);
        assertTrue(((Number) overflow).longValue() <= 0, what + " scrolls sideways by " + overflow + " px");
    }

    /**
     * Tells the page its tab is hidden or shown again, as the browser does when one switches tabs
     * (a headless browser's only tab never is hidden).
     */
    public void setHidden(boolean hidden) {
        browser.script(
                "Object.defineProperty(document, 'visibilityState', {value: arguments[0], configurable: true});"
                        + "document.dispatchEvent(new Event('visibilitychange'));",
                hidden ? "hidden" : "visible");
    }
}
