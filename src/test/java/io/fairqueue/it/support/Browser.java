package io.fairqueue.it.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One headless Chromium per test class (register it as a static {@code @RegisterExtension}),
 * driven through Debian's chromedriver with the paths given explicitly and Selenium Manager
 * offline (SE_OFFLINE=true in the failsafe environment), so nothing is downloaded. The browser's
 * console log is read after every test: any SEVERE entry that the test did not expect fails it.
 * A failed test leaves {@code target/console-failures/<class>.<test>.png} and {@code .log} (the
 * page as it was, and every console entry of that test).
 */
public final class Browser
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, TestWatcher {

    public static final Dimension DESKTOP = new Dimension(1280, 800);

    /** How long the browser may take to report a console entry after the page moved on. */
    static final long SETTLE_MILLIS = 500;

    private ChromeDriver driver;
    private final List<LogEntry> log = new ArrayList<>();
    private int checked;

    @Override
    public void beforeAll(ExtensionContext context) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(System.getProperty("fairqueue.it.chromium", "/usr/bin/chromium"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(
                        new File(System.getProperty("fairqueue.it.chromedriver", "/usr/bin/chromedriver")))
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().window().setSize(DESKTOP);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (driver != null) {
            driver.quit();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        driver.manage().window().setSize(DESKTOP);
        drain();
        log.clear();
        checked = 0;
    }

    /** No page of the test logged an error to the browser console (beyond those it expected). */
    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        Thread.sleep(SETTLE_MILLIS); // a failed load reaches the log a moment after the page showed it
        List<LogEntry> errors = newErrors();
        if (!errors.isEmpty()) {
            throw new AssertionError("the browser console logged errors:\n" + text(errors));
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        if (driver == null) {
            return;
        }
        Path dir = Path.of("target", "console-failures");
        String name = context.getRequiredTestClass().getSimpleName() + "."
                + context.getDisplayName().replaceAll("\\W+", "");
        try {
            Files.createDirectories(dir);
            drain();
            Files.writeString(
                    dir.resolve(name + ".log"), "URL: " + driver.getCurrentUrl() + "\n" + text(log) + "\n\n" + cause);
            Files.write(dir.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Reads the console log so far into this test's record (reading empties the browser's). */
    private void drain() {
        log.addAll(driver.manage().logs().get(LogType.BROWSER).getAll());
    }

    /** SEVERE console entries since the last call; they count as seen (expected) from now on. */
    public List<LogEntry> newErrors() {
        drain();
        List<LogEntry> errors = log.subList(checked, log.size()).stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
        checked = log.size();
        return errors;
    }

    public static String text(List<LogEntry> entries) {
        return entries.stream().map(LogEntry::toString).collect(Collectors.joining("\n"));
    }

    public void open(String url) {
        driver.get(url);
    }

    /**
     * Lays pages out at a phone's width (a headless window is at least 500 px wide, so the width
     * is emulated, as the browser's device toolbar does).
     */
    public void emulatePhone(int width, int height) {
        driver.executeCdpCommand(
                "Emulation.setDeviceMetricsOverride",
                Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", true));
    }

    public WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    public List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    /** Waits until the condition holds (not null, not false) and answers its value. */
    public <T> T await(Duration within, String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, within, Duration.ofMillis(50))
                .withMessage(what)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(condition);
    }

    public <T> T await(String what, Function<WebDriver, T> condition) {
        return await(Duration.ofSeconds(10), what, condition);
    }

    public boolean visible(String css) {
        List<WebElement> found = all(css);
        return !found.isEmpty() && found.get(0).isDisplayed();
    }

    public Object script(String js, Object... args) {
        return driver.executeScript(js, args);
    }

    /**
     * Waits for {@code count} expected console errors, all matching (a refused token's 401): they
     * reach the log a moment after the page showed the refusal. Answers them; any other error fails.
     */
    public List<LogEntry> awaitErrors(int count, Predicate<LogEntry> expected) {
        List<LogEntry> seen = new ArrayList<>();
        await("" + count + " expected console errors", d -> {
            seen.addAll(newErrors());
            return seen.size() >= count;
        });
        if (seen.size() != count || !seen.stream().allMatch(expected)) {
            throw new AssertionError("the browser console logged other errors than expected:\n" + text(seen));
        }
        return seen;
    }

    /** The entries of this test that match, for a test that expects some (a refused token's 401). */
    public static Predicate<LogEntry> mentioning(String text) {
        return e -> e.getMessage().contains(text);
    }
}
