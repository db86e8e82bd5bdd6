package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard in a real browser: Debian's {@code chromium}, headless, through its {@code
 * chromedriver} (no browser is downloaded). Each test drives the pages as a person would and checks
 * what they show against the REST API; every view is saved as a screenshot under {@code
 * target/screenshots}. The browser's console must stay free of errors, a Content-Security-Policy
 * violation included.
 *
 * <p>Without a chromedriver on the PATH the tests are skipped, except in CI ({@code CI} set), where
 * that is a failure; {@code -Dbrowser.tests=off} skips them anywhere.
 */
@TestPropertySource(properties = {"tk.test.db-file=dashboard.db", "tk.test.demo-data=true"})
@DisplayName("the dashboard, in a real browser")
class DashboardTest extends BootedApp {
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static ChromeDriver driver;
    private static Path downloads;
    /**
     * Requests a test makes fail on purpose (an agent's /auth/me): Chrome lists the API's 401 and 403
     * answers as failed resources.
     */
    private final List<String> expectedRefusals = new ArrayList<>();

    @BeforeAll
    static void browser() throws IOException {
        // Selenium says, through java.util.logging, that it has no DevTools bindings for this Chromium;
        // the tests use WebDriver only
        java.util.logging.Logger.getLogger("org.openqa.selenium").setLevel(Level.SEVERE);
        Assumptions.assumeFalse(
                "off".equals(System.getProperty("browser.tests")), "browser tests are off (-Dbrowser.tests=off)");
        Path chromedriver = onPath("chromedriver");
        Path chromium = onPath("chromium");
        if (chromedriver == null || chromium == null) {
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(
                        "CI needs Debian's chromium and chromium-driver on the PATH (.ci/run installs them)");
            }
            Assumptions.abort("no chromium and chromedriver on the PATH: apt-get install chromium chromium-driver");
        }
        downloads = Files.createTempDirectory("tk-downloads");
        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,900",
                "--lang=en-US");
        options.setExperimentalOption(
                "prefs",
                Map.of("download.default_directory", downloads.toString(), "download.prompt_for_download", false));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    }

    /**
     * The API calls of these tests go with an admin's session rather than an API token of their own,
     * so that the screenshots show the seeded tokens and the ones the tests make, nothing else.
     */
    @Override
    @org.junit.jupiter.api.BeforeEach
    void issueAdmin() throws Exception {
        admin = json.readTree(exchange(
                                "POST",
                                "/api/v1/auth/login",
                                null,
                                "{\"username\":\"admin\",\"password\":\"" + ADMIN_PASSWORD + "\"}")
                        .body())
                .path("access_token")
                .asString();
    }

    @AfterAll
    static void closeBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    /** Every test leaves the console clean: no script error, no refused resource, no CSP violation. */
    @AfterEach
    void consoleIsClean() {
        if (driver == null) {
            return;
        }
        List<String> severe = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()
                    && expectedRefusals.stream()
                            .noneMatch(
                                    r -> e.getMessage()
                                            .matches(
                                                    "(?s).*" + r
                                                            + " - Failed to load resource: the server responded with a status of 40[13].*"))) {
                severe.add(e.getMessage());
            }
        }
        assertThat(severe).as("the browser console").isEmpty();
        driver.manage().deleteAllCookies();
        expectedRefusals.clear();
    }

    private static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ the tour

    @Test
    @DisplayName("an admin logs in, reads a new token once, calls the gateway with it, sees the call in"
            + " traces and usage, watches a limit move, revokes the token, exports CSV and finds it in the audit")
    void adminTour() throws Exception {
        open("");
        waitFor(By.cssSelector("[data-form=login]"));
        screenshot("login");
        logIn("admin", ADMIN_PASSWORD);
        usageCards();
        waitFor(By.cssSelector("canvas")); // the charts are drawn
        screenshot("usage");
        // a range fixed for the whole test, ending tomorrow, so that it holds the test's calls even
        // across a midnight; the view keeps it in its address
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);
        String usage = "usage?from=" + today.minusDays(29) + "&to=" + today.plusDays(1) + "&zone=UTC";
        open(usage);

        // usage: the cards say what the API says for the same range, and the seeded month shows
        Map<String, String> before = usageCards();
        JsonNode api = usageFromApi(admin, null);
        assertThat(before.get("calls"))
                .isEqualTo(api.path("totals").path("requests").asString());
        boolean seeded = backend().equals("sqlite"); // the demo month is seeded on the embedded database only
        if (seeded) {
            assertThat(Long.parseLong(before.get("calls"))).isPositive();
        }
        assertThat(before.get("tokens"))
                .isEqualTo(api.path("totals").path("total_tokens").asString());
        assertThat(before.get("cost"))
                .isEqualTo(api.path("totals").path("cost_usd").asString());
        assertThat(before.get("errors"))
                .isEqualTo(usageFromApi(admin, "error")
                        .path("totals")
                        .path("requests")
                        .asString());
        if (seeded) {
            assertThat(Long.parseLong(before.get("errors"))).isPositive();
        }
        waitFor(By.cssSelector("canvas")); // the charts are drawn
        // the table of cost by model is the API's breakdown, row for row
        JsonNode byModel = json.readTree(
                        exchange("GET", "/api/v1/usage/by-model?" + rangeQuery() + "&limit=100", admin, null)
                                .body())
                .path("rows");
        List<WebElement> modelRows = driver.findElements(By.cssSelector("[data-table=models] tr[data-model]"));
        assertThat(modelRows).hasSize(byModel.size());
        for (int i = 0; i < byModel.size(); i++) {
            assertThat(modelRows.get(i).getAttribute("data-model"))
                    .isEqualTo(byModel.get(i).path("key").asString());
            assertThat(modelRows
                            .get(i)
                            .findElement(By.cssSelector("[data-value]"))
                            .getAttribute("data-value"))
                    .isEqualTo(byModel.get(i).path("totals").path("cost_usd").asString());
        }

        // the session survives a reload: the refresh token is in its cookie, the access token is renewed
        driver.navigate().refresh();
        waitFor(By.cssSelector("[data-card=calls] [data-value]"));
        // how long that first view took, from navigation to figures on screen: reported, not asserted
        Number shown = (Number) ((JavascriptExecutor) driver)
                .executeScript("return performance.getEntriesByName('tk:usage-shown')[0].startTime");
        Files.writeString(
                SCREENSHOTS.resolve(shotPrefix + "first-view.txt"),
                "first view, navigation to the usage figures on screen: " + Math.round(shown.doubleValue()) + " ms\n");

        // tokens: generate one, read its secret once
        go("tokens");
        screenshot("tokens");
        click(By.cssSelector("[data-action=issue]"));
        type(By.cssSelector("[data-form=issue] [name=name]"), "browser-demo");
        type(By.cssSelector("[data-form=issue] [name=project_id]"), "browser");
        type(By.cssSelector("[data-form=issue] [name=models]"), "demo");
        click(By.cssSelector("[data-form=issue] button[type=submit]"));
        String secret = waitFor(By.cssSelector("[data-secret]")).getText();
        assertThat(secret).startsWith("tk_");
        assertThat(driver.findElement(By.cssSelector("[data-modal=secret]")).getText())
                .contains("won\u2019t see it again");
        screenshot("token-secret");
        click(By.cssSelector("[data-modal=secret] button.primary"));
        WebElement row = waitFor(By.xpath("//tr[td[@data-col='name' and text()='browser-demo']]"));
        String tokenId = row.getAttribute("data-token");
        assertThat(driver.getPageSource()).doesNotContain(secret); // shown once, then gone

        // the gateway takes it, and the call shows in traces and in the usage figures
        assertThat(chat(secret).statusCode()).isEqualTo(200);
        keeper.flush();
        go("traces");
        WebElement trace = waitFor(By.cssSelector("[data-trace]"));
        assertThat(trace.getText()).contains("demo").contains("success");
        trace.click();
        WebElement drawer = waitFor(By.cssSelector("[data-drawer]"));
        assertThat(drawer.getText()).contains(tokenId).contains("browser");
        screenshot("trace-detail");
        click(By.cssSelector("[data-drawer] button"));
        screenshot("traces");
        open(usage); // a reload: the session resumes from its cookie, the range from the address
        Map<String, String> after = usageCards();
        assertThat(Long.parseLong(after.get("calls"))).isEqualTo(Long.parseLong(before.get("calls")) + 1);
        assertThat(after.get("calls"))
                .isEqualTo(usageFromApi(admin, null)
                        .path("totals")
                        .path("requests")
                        .asString());

        // limits: one on the token, its progress bar moves with the next call
        go("limits");
        click(By.cssSelector("[data-action=new-limit]"));
        type(By.cssSelector("[data-form=limit] [name=name]"), "browser-demo tokens");
        new Select(driver.findElement(By.cssSelector("[data-form=limit] [name=scope]"))).selectByValue("token");
        type(By.cssSelector("[data-form=limit] [name=scope_id]"), tokenId);
        new Select(driver.findElement(By.cssSelector("[data-form=limit] [name=metric]"))).selectByValue("tokens");
        type(By.cssSelector("[data-form=limit] [name=amount]"), "100000");
        new Select(driver.findElement(By.cssSelector("[data-form=limit] [name=period]"))).selectByValue("day");
        click(By.cssSelector("[data-form=limit] button[type=submit]"));
        By bar = By.xpath("//tr[td[text()='browser-demo tokens']]//div[@role='progressbar']");
        assertThat(waitFor(bar).getAttribute("aria-valuenow")).isEqualTo("0");
        assertThat(chat(secret).statusCode()).isEqualTo(200);
        keeper.flush();
        click(By.xpath("//button[text()='Refresh']"));
        until(d -> !"0".equals(d.findElement(bar).getAttribute("aria-valuenow")));
        long used = Long.parseLong(driver.findElement(bar).getAttribute("aria-valuenow"));
        String limitId = driver.findElement(By.xpath("//tr[td[text()='browser-demo tokens']]"))
                .getAttribute("data-limit");
        assertThat(String.valueOf(used))
                .isEqualTo(json.readTree(exchange("GET", "/api/v1/limits/" + limitId + "/usage", admin, null)
                                .body())
                        .path("used")
                        .asString());
        screenshot("limits");

        // revoke it: the next call is refused
        go("tokens");
        click(By.cssSelector("[data-token='" + tokenId + "'] [data-action=revoke]"));
        type(By.cssSelector("[data-form=revoke] [name=reason]"), "demo over");
        click(By.cssSelector("[data-form=revoke] button[type=submit]"));
        until(ExpectedConditions.textToBe(
                By.cssSelector("[data-token='" + tokenId + "'] [data-col=status]"), "revoked"));
        assertThat(chat(secret).statusCode()).isEqualTo(401);

        // traces: export the filtered set as CSV
        go("traces");
        type(By.cssSelector("[data-form=trace-filter] [name=model]"), "demo");
        click(By.cssSelector("[data-form=trace-filter] button[type=submit]"));
        waitFor(By.cssSelector("[data-trace]"));
        click(By.cssSelector("[data-action=export]"));
        // Chrome writes to a .crdownload file beside an empty placeholder, then renames: done when
        // no .crdownload is left and the file has its bytes
        Path csv = until(d -> {
            try (var files = Files.list(downloads)) {
                List<Path> all = files.toList();
                if (all.stream().anyMatch(p -> p.toString().endsWith(".crdownload"))) {
                    return null;
                }
                for (Path p : all) {
                    if (p.toString().endsWith(".csv") && Files.size(p) > 0) {
                        return p;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.get(0)).contains("model");
        assertThat(lines.subList(1, lines.size()))
                .isNotEmpty()
                .allSatisfy(l -> assertThat(l).contains(",demo,"));
        assertThat(lines.stream().filter(l -> l.contains(tokenId))).hasSize(2);

        // audit: the revocation, with its reason
        go("audit");
        type(By.cssSelector("[data-form=audit-filter] [name=action]"), "token.revoked");
        click(By.cssSelector("[data-form=audit-filter] button[type=submit]"));
        until(d -> d.findElements(By.cssSelector("[data-table=audit] tbody tr")).stream()
                .anyMatch(r -> r.getText().contains(tokenId)));
        screenshot("audit");

        // users (admins only)
        go("users");
        waitFor(By.cssSelector("[data-user=admin]"));
        screenshot("users");
    }

    @Test
    @DisplayName("a plain user sees only their own tokens and usage, and no user administration")
    void plainUser() throws Exception {
        logIn("admin", ADMIN_PASSWORD);
        go("users");
        click(By.cssSelector("[data-action=new-user]"));
        type(By.cssSelector("[data-form=user] [name=username]"), "carol");
        type(By.cssSelector("[data-form=user] [name=password]"), "violet-harbor-lantern-42");
        click(By.cssSelector("[data-form=user] button[type=submit]"));
        waitFor(By.cssSelector("[data-user=carol]"));
        click(By.cssSelector("[data-action=logout]"));
        waitFor(By.cssSelector("[data-form=login]"));

        logIn("carol", "violet-harbor-lantern-42");
        assertThat(driver.findElements(By.cssSelector("[data-nav=users]"))).isEmpty();
        Map<String, String> cards = usageCards();
        assertThat(cards.get("calls")).isEqualTo("0");
        go("tokens");
        waitFor(By.xpath("//td[text()='No tokens.']"));
        click(By.cssSelector("[data-action=issue]"));
        type(By.cssSelector("[data-form=issue] [name=name]"), "carol-laptop");
        click(By.cssSelector("[data-form=issue] button[type=submit]"));
        waitFor(By.cssSelector("[data-secret]"));
        click(By.cssSelector("[data-modal=secret] button.primary"));
        waitFor(By.xpath("//td[@data-col='name' and text()='carol-laptop']"));
        assertThat(driver.findElements(By.cssSelector("[data-table=tokens] tbody tr")))
                .singleElement()
                .satisfies(r -> assertThat(r.getText()).contains("carol"));
        // her own password
        click(By.cssSelector("[data-action=password]"));
        type(By.cssSelector("[data-form=password] [name=current]"), "violet-harbor-lantern-42");
        type(By.cssSelector("[data-form=password] [name=next]"), "amber-quarry-whistle-58");
        type(By.cssSelector("[data-form=password] [name=again]"), "amber-quarry-whistle-58");
        click(By.cssSelector("[data-form=password] button[type=submit]"));
        waitFor(By.xpath("//*[contains(text(),'Password changed')]"));
        click(By.cssSelector("[data-modal=password] button.primary"));
        click(By.cssSelector("[data-action=logout]"));
        logIn("carol", "amber-quarry-whistle-58");
        // typing the users view's address shows the usage view instead: it is not hers
        ((JavascriptExecutor) driver).executeScript("location.hash = '#/users'");
        waitFor(By.cssSelector("[data-nav=usage].active"));
    }

    @Test
    @DisplayName("text from the database stays text: a token named like HTML is shown, never run")
    void textStaysText() throws Exception {
        String name = "<img src=x onerror=alert(1)>";
        assertThat(exchange("POST", "/api/v1/tokens", admin, "{\"name\":" + json.writeValueAsString(name) + "}")
                        .statusCode())
                .isEqualTo(201);
        logIn("admin", ADMIN_PASSWORD);
        go("tokens");
        WebElement cell = waitFor(By.xpath("//td[@data-col='name' and text()=" + xpathLiteral(name) + "]"));
        assertThat(cell.getText()).isEqualTo(name);
        assertThat(driver.findElements(By.cssSelector("[data-table=tokens] img")))
                .isEmpty();
        try {
            driver.switchTo().alert();
            throw new AssertionError("the token's name ran as script");
        } catch (NoAlertPresentException expected) {
            // nothing ran
        }
    }

    @Test
    @DisplayName("an agent cannot log in to the dashboard")
    void agentIsTurnedAway() throws Exception {
        assertThat(exchange(
                                "POST",
                                "/api/v1/users",
                                admin,
                                "{\"username\":\"robot\",\"password\":\"agents-need-long-passwords-1\",\"role\":\"agent\"}")
                        .statusCode())
                .isEqualTo(201);
        expectedRefusals.add("/api/v1/auth/me");
        open("");
        type(By.cssSelector("[data-form=login] [name=username]"), "robot");
        type(By.cssSelector("[data-form=login] [name=password]"), "agents-need-long-passwords-1");
        click(By.cssSelector("[data-form=login] button"));
        assertThat(waitFor(By.cssSelector("[role=alert]")).getText()).contains("cannot use the dashboard");
        assertThat(driver.findElements(By.cssSelector("header.top"))).isEmpty();
    }

    @Test
    @DisplayName("every view fits a 390 px wide screen without scrolling sideways")
    void narrowScreen() throws Exception {
        logIn("admin", ADMIN_PASSWORD);
        driver.manage().window().setSize(new Dimension(390, 844));
        try {
            for (String view : List.of("usage", "tokens", "limits", "traces", "audit", "users")) {
                go(view);
                Number overflow = (Number) ((JavascriptExecutor) driver)
                        .executeScript("return document.documentElement.scrollWidth - window.innerWidth");
                assertThat(overflow.intValue()).as(view).isLessThanOrEqualTo(0);
                if (view.equals("usage")) {
                    waitFor(By.cssSelector("[data-card=calls] [data-value]"));
                    screenshot("usage-390px");
                }
            }
        } finally {
            driver.manage().window().setSize(new Dimension(1280, 900));
        }
    }

    @Test
    @DisplayName("an admin rotates a token with grace, edits and deletes a limit, changes a user's role and"
            + " disables them, and pages through traces")
    void editing() throws Exception {
        JsonNode issued = json.readTree(
                exchange("POST", "/api/v1/tokens", admin, "{\"name\":\"rotating\",\"allowed_models\":[\"demo\"]}")
                        .body());
        String oldSecret = issued.path("token").asString();
        String tokenId = issued.path("token_info").path("id").asString();
        JsonNode limit = json.readTree(exchange(
                        "POST",
                        "/api/v1/limits",
                        admin,
                        "{\"name\":\"to edit\",\"scope\":\"token\",\"scope_id\":\"" + tokenId
                                + "\",\"metric\":\"tokens\",\"amount\":\"1000000\",\"period\":\"day\"}")
                .body());
        String limitId = limit.path("id").asString();
        assertThat(exchange(
                                "POST",
                                "/api/v1/users",
                                admin,
                                "{\"username\":\"dave\",\"password\":\"copper-meadow-violin-77\",\"role\":\"user\"}")
                        .statusCode())
                .isEqualTo(201);
        for (int i = 0; i < 60; i++) { // more calls than a page of traces
            keeper.usage()
                    .record(dev.tokenkeeper.usage.UsageEvent.builder()
                            .requestId("paging-" + i)
                            .tenant("default")
                            .provider("demo")
                            .model("demo")
                            .counts(dev.tokenkeeper.pricing.TokenCounts.of(10, 1))
                            .at(Instant.now().minusSeconds(600 + i))
                            .build());
        }
        keeper.flush();
        logIn("admin", ADMIN_PASSWORD);

        // rotate with an hour of grace: the new secret is shown once, and both work meanwhile
        go("tokens");
        click(By.cssSelector("[data-token='" + tokenId + "'] [data-action=rotate]"));
        new Select(driver.findElement(By.cssSelector("[data-form=rotate] [name=grace]"))).selectByValue("3600");
        click(By.cssSelector("[data-form=rotate] button[type=submit]"));
        String newSecret = waitFor(By.cssSelector("[data-secret]")).getText();
        assertThat(newSecret).startsWith("tk_").isNotEqualTo(oldSecret);
        click(By.cssSelector("[data-modal=secret] button.primary"));
        assertThat(chat(newSecret).statusCode()).isEqualTo(200);
        assertThat(chat(oldSecret).statusCode()).isEqualTo(200);

        // edit the limit's amount: the bar's scale follows, the window's count stays
        go("limits");
        By row = By.cssSelector("[data-limit='" + limitId + "']");
        click(By.cssSelector("[data-limit='" + limitId + "'] [data-action=edit]"));
        type(By.cssSelector("[data-form=edit-limit] [name=amount]"), "5000000");
        click(By.cssSelector("[data-form=edit-limit] button[type=submit]"));
        until(d -> "5000000"
                .equals(d.findElement(row)
                        .findElement(By.cssSelector("[role=progressbar]"))
                        .getAttribute("aria-valuemax")));
        assertThat(json.readTree(exchange("GET", "/api/v1/limits/" + limitId, admin, null)
                                .body())
                        .path("amount")
                        .asString())
                .isEqualTo("5000000");
        // and delete it
        click(By.cssSelector("[data-limit='" + limitId + "'] [data-action=delete]"));
        click(By.cssSelector("[data-action=confirm-delete]"));
        until(ExpectedConditions.invisibilityOfElementLocated(row));
        assertThat(exchange("GET", "/api/v1/limits/" + limitId, admin, null).statusCode())
                .isEqualTo(404);

        // a user's role, then disabled
        go("users");
        new Select(waitFor(By.cssSelector("[data-user=dave] select"))).selectByValue("admin");
        until(d -> {
            try {
                return userField("dave", "role").equals("admin");
            } catch (Exception e) {
                return false;
            }
        });
        click(By.cssSelector("[data-user=dave] [data-action=disable]"));
        until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-user=dave]"), "disabled"));
        assertThat(userField("dave", "disabled")).isEqualTo("true");
        assertThat(exchange(
                                "POST",
                                "/api/v1/auth/login",
                                null,
                                "{\"username\":\"dave\",\"password\":\"copper-meadow-violin-77\"}")
                        .statusCode())
                .isEqualTo(401);

        // traces, a page at a time: older, then back to the newest
        go("traces");
        type(By.cssSelector("[data-form=trace-filter] [name=model]"), "demo");
        click(By.cssSelector("[data-form=trace-filter] button[type=submit]"));
        List<WebElement> first = tracesPage();
        assertThat(first).hasSize(50);
        String newest = first.get(0).getAttribute("data-trace");
        click(By.cssSelector("[data-action=older]"));
        List<WebElement> second = tracesPage();
        assertThat(second)
                .isNotEmpty()
                .noneSatisfy(r -> assertThat(r.getAttribute("data-trace")).isEqualTo(newest));
        click(By.cssSelector("[data-action=newer]"));
        assertThat(tracesPage().get(0).getAttribute("data-trace")).isEqualTo(newest);
    }

    /** The rows of the traces table once its request has been answered (the table says when it is busy). */
    private List<WebElement> tracesPage() {
        until(ExpectedConditions.attributeToBe(By.cssSelector("[data-table=traces]"), "aria-busy", "false"));
        return driver.findElements(By.cssSelector("[data-trace]"));
    }

    private String userField(String username, String field) throws Exception {
        for (JsonNode u : json.readTree(
                        exchange("GET", "/api/v1/users?limit=1000", admin, null).body())
                .path("items")) {
            if (u.path("username").asString().equals(username)) {
                return u.path(field).asString();
            }
        }
        throw new AssertionError("no user " + username);
    }

    // ------------------------------------------------------------------ helpers

    /** A fresh page load (a new hash alone would keep the page, and its session, as it is). */
    private void open(String hash) {
        driver.get("about:blank");
        driver.get(base() + "/#/" + hash);
    }

    private void logIn(String username, String password) {
        open("");
        type(By.cssSelector("[data-form=login] [name=username]"), username);
        type(By.cssSelector("[data-form=login] [name=password]"), password);
        click(By.cssSelector("[data-form=login] button"));
        waitFor(By.cssSelector("[data-me='" + username + "']"));
    }

    private void go(String view) {
        click(By.cssSelector("[data-nav=" + view + "]"));
        waitFor(By.cssSelector("[data-nav=" + view + "].active"));
    }

    private WebElement waitFor(By by) {
        return until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    private void click(By by) {
        until(ExpectedConditions.elementToBeClickable(by)).click();
    }

    /**
     * Waits for a condition of the page; when it does not come, the failure carries what the page
     * showed (a screenshot, its text, the console).
     */
    private static <T> T until(java.util.function.Function<? super org.openqa.selenium.WebDriver, T> condition) {
        try {
            return new WebDriverWait(driver, Duration.ofSeconds(15)).until(condition);
        } catch (org.openqa.selenium.TimeoutException e) {
            String name = "failure-" + System.nanoTime();
            try {
                screenshot(name);
            } catch (IOException ignored) {
                // the report below still says what was on the page
            }
            StringBuilder console = new StringBuilder();
            driver.manage()
                    .logs()
                    .get(LogType.BROWSER)
                    .forEach(l -> console.append(l.getMessage()).append('\n'));
            throw new AssertionError(
                    e.getMessage().lines().findFirst().orElse("") + "\n-- screenshot: " + SCREENSHOTS.resolve(name)
                            + ".png\n-- page text:\n"
                            + driver.findElement(By.tagName("body")).getText()
                            + "\n-- console:\n" + console,
                    e);
        }
    }

    private void type(By by, String text) {
        WebElement e = waitFor(by);
        e.clear();
        e.sendKeys(text);
    }

    /** The usage cards' exact values, once loaded. */
    private Map<String, String> usageCards() {
        waitFor(By.cssSelector("[data-card=errors] [data-value]"));
        Map<String, String> values = new java.util.HashMap<>();
        for (String card : List.of("tokens", "cost", "calls", "errors")) {
            values.put(
                    card,
                    driver.findElement(By.cssSelector("[data-card=" + card + "] [data-value]"))
                            .getAttribute("data-value"));
        }
        return values;
    }

    /** What the API answers for the range the usage view shows: its dates, in its zone. */
    private JsonNode usageFromApi(String bearer, String status) throws Exception {
        return json.readTree(exchange(
                        "GET",
                        "/api/v1/usage?" + rangeQuery() + (status == null ? "" : "&status=" + status),
                        bearer,
                        null)
                .body());
    }

    /** The usage view's range as the API's query: its first and last day, from midnight in its zone. */
    private String rangeQuery() {
        ZoneId zone = ZoneId.of(new Select(driver.findElement(By.cssSelector("select[name=zone]")))
                .getFirstSelectedOption()
                .getAttribute("value"));
        LocalDate from = LocalDate.parse(
                driver.findElement(By.cssSelector("input[name=from]")).getAttribute("value"));
        LocalDate to = LocalDate.parse(
                driver.findElement(By.cssSelector("input[name=to]")).getAttribute("value"));
        Instant start = from.atStartOfDay(zone).toInstant();
        Instant end = to.plusDays(1).atStartOfDay(zone).toInstant();
        return "from=" + start + "&to=" + end + "&zone=" + zone.getId();
    }

    private HttpResponse<String> chat(String secret) throws Exception {
        return exchange(
                "POST",
                "/v1/chat/completions",
                secret,
                "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hello from the browser test\"}]}");
    }

    static void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(shotPrefix + name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    /** Screenshots of another backend than the embedded one are named after it. */
    private static volatile String shotPrefix = "";

    @org.junit.jupiter.api.BeforeEach
    void namesScreenshots() {
        shotPrefix = backend().equals("sqlite") ? "" : backend() + "-";
    }

    private static String xpathLiteral(String s) {
        return s.contains("'") ? "\"" + s + "\"" : "'" + s + "'";
    }
}
