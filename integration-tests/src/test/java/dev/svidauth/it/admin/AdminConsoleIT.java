package dev.svidauth.it.admin;

import dev.svidauth.it.support.ChromiumAvailable;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an administrator sees: the real Keycloak admin console (admin-ui) in headless Chromium.
 * The Credentials tab of a client using "Signed JWT-SVID (SPIFFE)" must show that authenticator
 * and the human labels and help texts of its per-client settings, and the form of an SVID claim
 * mapper must show the mapper's, and the realm's "SPIFFE trust domains" page (the svid-trust-domain
 * entries, through Keycloak's admin UI page SPI) its list and the labelled form of an entry; never
 * the raw message keys. Screenshots go to
 * {@code target/screenshots/}.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code /usr/bin/chromium},
 * {@code /usr/bin/chromedriver}; other paths via {@code -Dsvid.chromium=} and
 * {@code -Dsvid.chromedriver=}). Without them the test is skipped before any server starts.
 * Selenium Manager never runs: the driver and the browser are given explicitly.
 */
@ExtendWith({ChromiumAvailable.class, SvidEnvironment.class, AdminConsoleIT.ScreenshotOnFailure.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminConsoleIT {

    /** The messages the drop-in JAR ships for the admin console. */
    static final String MESSAGES_ENTRY = "theme-resources/messages/messages_en.properties";
    static final String AUTHENTICATOR_DISPLAY = "Signed JWT-SVID (SPIFFE)";
    static final String MAPPER_DISPLAY = "SVID claim";
    static final String PROVIDER_ID = "client-svid-jwt";
    /** Message keys of the per-client settings of client-svid-jwt, in the order the factory lists them. */
    static final List<String> AUTHENTICATOR_LABEL_KEYS = List.of("svidSpiffeId", "svidJwksUri", "svidIssuer",
            "svidAudiences", "svidAudienceIssuerOnly", "svidAudienceEndpoints", "svidMaxLifetime", "svidClockSkew", "svidSingleUse", "svidAlgorithms");
    static final String X509_AUTHENTICATOR_DISPLAY = "Mutual TLS X.509-SVID (SPIFFE)";
    /** Message keys of the per-client settings of client-svid-x509, and of their help texts, in the factory's order. */
    static final List<String> X509_LABEL_KEYS = List.of("svidSpiffeId", "svidBundleUri", "svidClockSkew");
    static final List<String> X509_HELP_KEYS = List.of("svidSpiffeIdHelp", "svidBundleUriHelp", "svidX509ClockSkewHelp");
    /** Message keys of the fields of a trust-domain entry (svid-trust-domain), in the order the factory lists them. */
    static final List<String> TRUST_DOMAIN_LABEL_KEYS = List.of("svidTdTrustDomain", "svidTdBundleEndpointUrl", "svidTdJwksUri",
            "svidTdIssuer", "svidTdAlgorithms", "svidTdMaxLifetime", "svidTdClockSkew", "svidTdAudienceEndpoints");
    static final Duration WAIT = Duration.ofSeconds(60);

    // Selenium warns that it has no CDP bindings for this Chromium; the test never uses CDP.
    private static final Logger CDP_LOG = Logger.getLogger("org.openqa.selenium.devtools");

    private static WebDriver browser;
    private static WebDriverWait wait;
    private static Properties messages;
    private static Path screenshots;

    private final SvidRealm env;

    AdminConsoleIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    static void openConsoleAndLogIn(SvidRealm env) throws IOException {
        messages = shippedMessages(Path.of(System.getProperty("svid.provider.jar")));
        screenshots = Path.of(System.getProperty("svid.screenshot.dir", "target/screenshots"));
        Files.createDirectories(screenshots);
        try (var old = Files.newDirectoryStream(screenshots, "failed-*.png")) {
            for (Path file : old) {
                Files.delete(file);
            }
        }
        Path profile = Path.of(System.getProperty("java.io.tmpdir", "target/tmp")).resolve("chromium-profile-" + System.nanoTime());
        Files.createDirectories(profile);

        CDP_LOG.setLevel(Level.SEVERE);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(ChromiumAvailable.chromium().toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--lang=en-US", "--window-size=1400,1350",
                "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(ChromiumAvailable.chromedriver().toFile())
                .build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, WAIT);

        browser.get(env.keycloak().baseUrl() + "/admin/master/console/");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys("admin");
        browser.findElement(By.id("password")).sendKeys("admin");
        browser.findElement(By.id("kc-login")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.linkText("Manage realms")));
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
            browser = null;
        }
    }

    @Test
    @Order(1)
    void credentialsTabShowsTheAuthenticatorAndHumanLabels() {
        openClient("payments-api");
        click(By.xpath("//*[@role='tab'][normalize-space(.)='Credentials']"));

        // the toggle is empty until the console has loaded the list of client authenticators
        WebElement authenticator = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("clientAuthenticatorType")));
        wait.until(d -> !authenticator.getText().isBlank());
        assertThat(authenticator.getText().strip()).isEqualTo(AUTHENTICATOR_DISPLAY);
        waitForLabel(message("svidSpiffeId"));

        assertThat(message("svidSpiffeId")).isEqualTo("SPIFFE ID");
        assertThat(message("svidJwksUri")).isEqualTo("Key source URL");
        assertThat(message("svidIssuer")).isEqualTo("Pinned issuer");
        List<String> labels = formLabels();
        assertThat(labels).containsSubsequence(AUTHENTICATOR_LABEL_KEYS.stream().map(AdminConsoleIT::message).toList());
        assertNoRawMessageKeys();

        // the fields hold the imported client's attributes
        assertThat(field("SPIFFE ID").getAttribute("value")).isEqualTo(SvidRealm.PAYMENTS);
        assertThat(field("Pinned issuer").getAttribute("value")).isEqualTo(env.spire().issuer());
        assertThat(field(message("svidMaxLifetime")).getAttribute("value")).isEqualTo("3600");

        screenshot("credentials-payments-api");

        assertThat(helpText("SPIFFE ID", "credentials-payments-api-help")).isEqualTo(message("svidSpiffeIdHelp"));
        for (String key : AUTHENTICATOR_LABEL_KEYS) {
            assertThat(helpText(message(key))).as("help of %s", key).isEqualTo(message(key + "Help"));
        }
    }

    @Test
    @Order(2)
    void credentialsTabOfAnX509SvidClientShowsItsAuthenticatorAndHumanLabels() {
        openClient("warehouse-api");
        click(By.xpath("//*[@role='tab'][normalize-space(.)='Credentials']"));

        WebElement authenticator = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("clientAuthenticatorType")));
        wait.until(d -> !authenticator.getText().isBlank());
        assertThat(authenticator.getText().strip()).isEqualTo(X509_AUTHENTICATOR_DISPLAY);
        waitForLabel(message("svidBundleUri"));

        assertThat(message("svidBundleUri")).isEqualTo("SPIFFE bundle endpoint URL");
        List<String> labels = formLabels();
        assertThat(labels).containsSubsequence(X509_LABEL_KEYS.stream().map(AdminConsoleIT::message).toList());
        assertThat(labels).as("JWT-SVID settings do not apply to a certificate")
                .doesNotContain(message("svidJwksUri"), message("svidIssuer"), message("svidAudiences"));
        assertNoRawMessageKeys();
        assertThat(field("SPIFFE ID").getAttribute("value")).isEqualTo("spiffe://example.org/ns/apps/sa/warehouse");
        assertThat(field(message("svidBundleUri")).getAttribute("value")).isEqualTo(env.spire().bundleUrl().toString());

        screenshot("credentials-warehouse-api");
        for (int i = 0; i < X509_LABEL_KEYS.size(); i++) {
            assertThat(helpText(message(X509_LABEL_KEYS.get(i)))).as("help of %s", X509_LABEL_KEYS.get(i))
                    .isEqualTo(message(X509_HELP_KEYS.get(i)));
        }
    }

    @Test
    @Order(3)
    void svidClaimMapperFormShowsHumanLabels() {
        openClient("ai-agents");
        click(By.xpath("//*[@role='tab'][normalize-space(.)='Client scopes']"));
        click(By.linkText("ai-agents-dedicated"));
        click(By.linkText("is agent"));
        waitForLabel(message("svidClaimMapper.claim.label"));

        assertThat(message("svidClaimMapper.claim.label")).isEqualTo("Source SVID claim");
        assertThat(message("svidClaimMapper.matchValue.label")).isEqualTo("Match value");
        assertThat(formLabels()).containsSubsequence("Mapper type", "Name", "Source SVID claim", "Match value",
                "Token Claim Name", "Claim JSON Type");
        assertNoRawMessageKeys();

        assertThat(field("Mapper type").getAttribute("value")).isEqualTo(MAPPER_DISPLAY);
        assertThat(field("Name").getAttribute("value")).isEqualTo("is agent");
        assertThat(field("Source SVID claim").getAttribute("value")).isEqualTo("client_type");
        assertThat(field("Match value").getAttribute("value")).isEqualTo("ai-agent");
        assertThat(field("Token Claim Name").getAttribute("value")).isEqualTo("is_agent");

        screenshot("mapper-is-agent");

        assertThat(helpText("Source SVID claim", "mapper-is-agent-help")).isEqualTo(message("svidClaimMapper.claim.tooltip"));
        assertThat(helpText("Match value")).isEqualTo(message("svidClaimMapper.matchValue.tooltip"));
        assertThat(helpText("Claim JSON Type")).isEqualTo(message("svidClaimMapper.jsonType.tooltip"));
    }

    /**
     * The master realm's Provider info tab lists client-svid-jwt with the version Server Info
     * reports, which is the Implementation-Version of the drop-in JAR's manifest.
     */
    @Test
    @Order(4)
    void providerInfoShowsTheVersionOfTheJarsManifest() throws IOException {
        String version = SvidRealm.providerJarVersion();
        assertThat(version).isEqualTo(System.getProperty("svid.version"));

        // Manage realms, master (the console shows the server-wide tabs on the master realm's page), Provider info
        click(By.linkText("Manage realms"));
        click(By.linkText("master"));
        wait.until(ExpectedConditions.urlContains("#/master"));
        click(By.cssSelector("[data-testid='providersTab']"));
        By entry = By.xpath("//li[starts-with(normalize-space(.),'" + PROVIDER_ID + "')]");
        WebElement provider = wait.until(ExpectedConditions.presenceOfElementLocated(entry));
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'center'})", provider);
        provider.findElement(By.xpath(".//button[normalize-space(.)='Show more']")).click();
        WebElement value = wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath(
                "//li[starts-with(normalize-space(.),'" + PROVIDER_ID + "')]//tr[td[1][normalize-space(.)='svid-auth-version']]/td[2]")));

        assertThat(value.getText().strip()).isEqualTo(version);
        screenshot("provider-info-client-svid-jwt");
    }

    @Test
    @Order(5)
    void trustDomainsPageListsTheEntriesAndShowsHumanLabels() {
        // The sidebar lists UI pages only with Keycloak's experimental declarative-ui feature; the
        // page's own route works without it.
        // A full page load: a hash-only change keeps the realm an earlier test chose (master).
        browser.get("about:blank");
        browser.get(env.keycloak().baseUrl() + "/admin/master/console/#/" + SvidRealm.REALM + "/page-section/svid-trust-domain");
        // the list: the first fields are its columns; the shipped realm's entry is listed
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.xpath("//tr[td[normalize-space(.)='example.org']]")));
        assertThat(browser.findElement(By.tagName("body")).getText()).contains(message("svid-trust-domain"))
                .contains(message("svidTdBundleEndpointUrl"));
        assertNoRawMessageKeys();
        screenshot("trust-domains-list");

        row.findElement(By.tagName("a")).click();
        waitForLabel(message("svidTdTrustDomain"));
        assertThat(formLabels()).containsSubsequence(TRUST_DOMAIN_LABEL_KEYS.stream().map(AdminConsoleIT::message).toList());
        assertNoRawMessageKeys();
        assertThat(field(message("svidTdTrustDomain")).getAttribute("value")).isEqualTo("example.org");
        assertThat(field(message("svidTdBundleEndpointUrl")).getAttribute("value")).isEqualTo(env.spire().bundleUrl().toString());
        assertThat(field(message("svidTdIssuer")).getAttribute("value")).isEqualTo(env.spire().issuer());
        screenshot("trust-domain-example-org");

        for (String key : TRUST_DOMAIN_LABEL_KEYS) {
            assertThat(helpText(message(key))).as("help of %s", key).isEqualTo(message(key + "Help"));
        }
    }
    // ------------------------------------------------------------------------------------------

    /**
     * Realm svid, Clients, then the client found through the list's search box: the list is
     * paginated, and the tests that run before this one add clients to the realm.
     */
    private static void openClient(String clientId) {
        if (!browser.getCurrentUrl().contains("#/" + SvidRealm.REALM + "/")) {
            click(By.linkText("Manage realms"));
            // the current realm is listed without a link
            click(By.linkText(SvidRealm.REALM));
            wait.until(ExpectedConditions.urlContains("#/" + SvidRealm.REALM));
        }
        click(By.linkText("Clients"));
        WebElement search = wait.until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("input[placeholder*='Search'], input[aria-label*='Search']")));
        search.clear();
        search.sendKeys(clientId, org.openqa.selenium.Keys.ENTER);
        click(By.linkText(clientId));
        wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.xpath("//h1[normalize-space(.)='" + clientId + "'] | //*[contains(@class,'pf-v5-c-title')][normalize-space(.)='" + clientId + "']")));
    }

    private static void click(By by) {
        wait.until(ExpectedConditions.elementToBeClickable(by)).click();
    }

    private static void waitForLabel(String text) {
        wait.until(ExpectedConditions.visibilityOfElementLocated(labelText(text)));
    }

    private static By labelText(String text) {
        return By.xpath("//span[contains(@class,'pf-v5-c-form__label-text')][normalize-space(.)=" + xpathLiteral(text) + "]");
    }

    /** The visible form labels, in page order. */
    private static List<String> formLabels() {
        return browser.findElements(By.cssSelector(".pf-v5-c-form__label-text")).stream()
                .filter(WebElement::isDisplayed)
                .map(e -> e.getText().strip())
                .collect(Collectors.toList());
    }

    /** The input a visible label belongs to (label for=id). */
    private static WebElement field(String label) {
        WebElement labelElement = browser.findElement(labelText(label)).findElement(By.xpath("./ancestor::label[1]"));
        return browser.findElement(By.id(labelElement.getAttribute("for")));
    }

    private static String helpText(String label) {
        return helpText(label, null);
    }

    /** Opens the help popover next to a label, returns its text and closes it again; a screenshot of it if named. */
    private static String helpText(String label, String screenshotName) {
        WebElement help = browser.findElement(By.xpath("//div[contains(@class,'pf-v5-c-form__group-label')]"
                + "[.//span[contains(@class,'pf-v5-c-form__label-text')][normalize-space(.)=" + xpathLiteral(label) + "]]"
                + "//button[contains(@class,'pf-v5-c-form__group-label-help')]"));
        help.click();
        WebElement body = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".pf-v5-c-popover__body")));
        String text = body.getText().strip();
        if (screenshotName != null) {
            // let the popover finish fading in
            WebElement popover = browser.findElement(By.cssSelector(".pf-v5-c-popover"));
            wait.until(d -> "1".equals(popover.getCssValue("opacity")));
            screenshot(screenshotName);
        }
        browser.findElement(By.cssSelector(".pf-v5-c-popover__close button")).click();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector(".pf-v5-c-popover__body")));
        return text;
    }

    /** No message key of ours shows up anywhere in the page's visible text. */
    private static void assertNoRawMessageKeys() {
        String text = browser.findElement(By.tagName("body")).getText();
        for (String key : messages.stringPropertyNames()) {
            assertThat(text).as("raw message key %s shown instead of its text", key).doesNotContain(key);
        }
    }

    private static void screenshot(String name) {
        try {
            Path file = screenshots.resolve(name + ".png");
            Files.write(file, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            System.out.println("[admin-console] screenshot " + file.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String message(String key) {
        String value = messages.getProperty(key);
        assertThat(value).as("message %s in %s", key, MESSAGES_ENTRY).isNotBlank();
        return value;
    }

    /** The admin console messages inside the drop-in JAR, i.e. what Keycloak serves. */
    static Properties shippedMessages(Path providerJar) throws IOException {
        try (ZipFile zip = new ZipFile(providerJar.toFile())) {
            ZipEntry entry = zip.getEntry(MESSAGES_ENTRY);
            assertThat(entry).as(MESSAGES_ENTRY + " in " + providerJar).isNotNull();
            Properties p = new Properties();
            try (InputStream in = zip.getInputStream(entry)) {
                p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            }
            return p;
        }
    }

    private static String xpathLiteral(String s) {
        if (!s.contains("'")) {
            return "'" + s + "'";
        }
        return "concat('" + s.replace("'", "',\"'\",'") + "')";
    }

    /** Keeps a picture of the page a failed test left behind. */
    static final class ScreenshotOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (browser != null && screenshots != null) {
                try {
                    screenshot("failed-" + context.getRequiredTestMethod().getName());
                } catch (RuntimeException ignored) {
                    // the browser may be gone; the assertion message is what matters
                }
            }
        }
    }
}
