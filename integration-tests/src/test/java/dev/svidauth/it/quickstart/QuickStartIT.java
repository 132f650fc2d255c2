package dev.svidauth.it.quickstart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.KeycloakAdmin;
import dev.svidauth.testkit.KeycloakExtension;
import dev.svidauth.testkit.KeycloakServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static dev.svidauth.testkit.SystemProperties.required;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's quick start of README.md, run as written: its {@code ```sh} blocks are read from
 * the README ({@link QuickStart}), the first block's variables replaced by this run's values, and
 * the other blocks run with bash, in order, from the repository's root:
 * <ul>
 *   <li>"install the JAR" ({@code cp} into {@code $KC_HOME/providers/}, {@code kc.sh build}) runs
 *   against a fresh unpack of the same distribution zip, so that the shared server, which already
 *   has the JAR and is running, is not rebuilt under its feet; the build proves the command and
 *   that Keycloak accepts the JAR;</li>
 *   <li>"set up the realm" ({@code setup/svid-setup.sh}) runs with that unpack's own
 *   {@code bin/kcadm.sh} against the shared server, on a realm created empty for this test (the
 *   operator's existing realm), twice: the second run must change nothing and say so;</li>
 *   <li>"get a token" ({@code curl}) presents a JWT-SVID the SPIRE emulator minted for the README's
 *   SPIFFE ID and the realm's issuer; the emulator's bundle endpoint is the key source the setup
 *   registered. The answer must be a token for the README's client carrying the SPIFFE ID.</li>
 * </ul>
 * {@code -Dsvid.quickstart.readme=<file>} runs another copy of the README (to see the test fail on a
 * broken command). Skipped without bash or curl, and under the container runtime (no
 * distribution on this machine).
 */
@ExtendWith(SvidEnvironment.class)
class QuickStartIT {

    /** The realm the test creates empty: the operator's existing realm. */
    static final String REALM = "quickstart";
    /** The workload and the client the README's commands name. */
    static final String SPIFFE_ID = "spiffe://example.org/ns/apps/sa/payments";
    static final String CLIENT_ID = "payments";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SvidRealm env;

    QuickStartIT(SvidRealm env) {
        this.env = env;
    }

    @Test
    void quickStartAsWrittenGivesATokenWithTheSpiffeId(@TempDir Path work) throws Exception {
        Assumptions.assumeTrue(env.keycloak() instanceof KeycloakServer, "the quick start needs the distribution on this machine");
        Assumptions.assumeTrue(available("bash") && available("curl"), "no bash or curl on this machine");
        QuickStart quickStart = QuickStart.read(readme());
        assertThat(quickStart.settings().keySet()).as("the quick start's settings block").containsExactlyInAnyOrderElementsOf(
                QuickStartTest.SETTINGS);

        createEmptyRealm();
        Path home = unpackDistribution(work.resolve("keycloak"));
        Path svidFile = work.resolve("jwt_svid.token");
        Files.writeString(svidFile, env.spire().mint(SPIFFE_ID, List.of(env.keycloak().realmUrl(REALM).toString())));
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("KC_HOME", home.toString());
        vars.put("KEYCLOAK_URL", env.keycloak().baseUrl().toString());
        vars.put("REALM", REALM);
        vars.put("KC_ADMIN_USER", KeycloakServer.ADMIN_USERNAME);
        vars.put("KC_ADMIN_PASSWORD", KeycloakServer.ADMIN_PASSWORD);
        vars.put("SVID_AUTH_JAR", Path.of(required(KeycloakExtension.PROVIDER_JAR)).toAbsolutePath().toString());
        vars.put("SPIRE_BUNDLE_URL", env.spire().bundleUrl().toString());
        vars.put("SVID_FILE", svidFile.toString());

        String install = quickStart.command("kc.sh");
        String setup = quickStart.command("svid-setup.sh");
        String token = quickStart.command("curl");
        assertThat(quickStart.commands()).as("the quick start's commands, in order").containsExactly(install, setup, token);

        run("install", install, vars, work, Duration.ofMinutes(6));
        assertThat(home.resolve("providers").resolve(Path.of(vars.get("SVID_AUTH_JAR")).getFileName())).isRegularFile();

        String first = run("setup", setup, vars, work, Duration.ofMinutes(4));
        assertThat(first).contains("Done:").doesNotContain("Nothing changed");
        String state = realmState();
        assertSetUp();

        String second = run("setup, again", setup, vars, work, Duration.ofMinutes(4));
        assertThat(second).contains("Nothing changed").doesNotContain("Done:");
        assertThat(realmState()).as("the realm after the second run").isEqualTo(state);

        String answer = run("token", token, vars, work, Duration.ofMinutes(1));
        JsonNode response = JSON.readTree(answer);
        assertThat(response.path("token_type").asText()).isEqualTo("Bearer");
        JsonNode claims = payload(response.path("access_token").asText());
        System.out.println("[quick start] access token claims: " + claims);
        assertThat(claims.path("azp").asText()).isEqualTo(CLIENT_ID);
        assertThat(claims.path("spiffe_id").asText()).isEqualTo(SPIFFE_ID);
        assertThat(claims.path("iss").asText()).isEqualTo(env.keycloak().realmUrl(REALM).toString());
    }

    /**
     * The setup script never overwrites a trust-domain entry (the trust domain's authority for every
     * client of the realm): run again with another key source, it stops with status 1 naming the
     * entry's settings, and the entry keeps its own.
     */
    @Test
    void setupRefusesToChangeAnExistingTrustDomainEntry(@TempDir Path work) throws Exception {
        Assumptions.assumeTrue(env.keycloak() instanceof KeycloakServer, "the setup needs kcadm.sh of the distribution on this machine");
        Assumptions.assumeTrue(available("bash"), "no bash on this machine");
        String realm = "quickstart-entry";
        env.admin().send("DELETE", "/" + realm, null);
        var created = env.admin().send("POST", "", Map.of("realm", realm, "enabled", true));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Map<String, String> vars = Map.of("KC_ADMIN_USER", KeycloakServer.ADMIN_USERNAME,
                "KC_ADMIN_PASSWORD", KeycloakServer.ADMIN_PASSWORD,
                "KCADM", ((KeycloakServer) env.keycloak()).home().resolve("bin/kcadm.sh").toString());
        String setup = "setup/svid-setup.sh --server " + env.keycloak().baseUrl() + " --realm " + realm
                + " --trust-domain example.org --spiffe-id " + SPIFFE_ID + " --client-id " + CLIENT_ID + " --bundle-uri ";
        String bundle = env.spire().bundleUrl().toString();
        run("setup", setup + bundle, vars, work, Duration.ofMinutes(4));

        Result other = exec(setup + bundle + "-other", vars, work, Duration.ofMinutes(4));

        assertThat(other.status()).as(other.output()).isEqualTo(1);
        assertThat(other.output()).contains("trust-domain entry 'example.org' exists with other settings", "bundleEndpointUrl '" + bundle + "'")
                .doesNotContain("Done:");
        JsonNode entries = env.admin().get("/" + realm + "/components?type=org.keycloak.services.ui.extend.UiPageProvider");
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).path("config").path("bundleEndpointUrl").get(0).asText()).isEqualTo(bundle);
    }

    /** What the setup must have made: the flow bound with our steps first, the entry, the client, the mapper. */
    private void assertSetUp() {
        KeycloakAdmin admin = env.admin();
        String flow = admin.get("/" + REALM).path("clientAuthenticationFlow").asText();
        assertThat(flow).isNotEqualTo("clients");
        JsonNode executions = admin.get("/" + REALM + "/authentication/flows/" + KeycloakAdmin.encode(flow) + "/executions");
        assertThat(executions.get(0).path("providerId").asText()).isEqualTo("client-svid-jwt");
        assertThat(executions.get(1).path("providerId").asText()).isEqualTo("client-svid-x509");
        assertThat(executions.get(0).path("requirement").asText()).isEqualTo("ALTERNATIVE");
        assertThat(executions.get(1).path("requirement").asText()).isEqualTo("ALTERNATIVE");
        assertThat(executions.findValuesAsText("providerId")).contains("client-secret", "client-jwt");

        JsonNode entries = admin.get("/" + REALM + "/components?type=org.keycloak.services.ui.extend.UiPageProvider");
        assertThat(entries.findValuesAsText("providerId")).containsExactly("svid-trust-domain");
        assertThat(entries.get(0).path("config").path("trustDomain").get(0).asText()).isEqualTo("example.org");
        assertThat(entries.get(0).path("config").path("bundleEndpointUrl").get(0).asText()).isEqualTo(env.spire().bundleUrl().toString());

        JsonNode client = admin.client(REALM, CLIENT_ID);
        assertThat(client.path("clientAuthenticatorType").asText()).isEqualTo("client-svid-jwt");
        assertThat(client.path("serviceAccountsEnabled").asBoolean()).isTrue();
        assertThat(client.path("attributes").path("svid.spiffe.id").asText()).isEqualTo(SPIFFE_ID);
        JsonNode mappers = admin.get("/" + REALM + "/clients/" + client.path("id").asText() + "/protocol-mappers/models");
        assertThat(mappers.findValuesAsText("protocolMapper")).containsExactly("oidc-svid-claim-mapper");
    }

    /** The realm's setup as the admin REST API shows it, for comparing two runs. */
    private String realmState() {
        KeycloakAdmin admin = env.admin();
        JsonNode realm = admin.get("/" + REALM);
        String flow = realm.path("clientAuthenticationFlow").asText();
        String client = admin.clientUuid(REALM, CLIENT_ID);
        return String.join("\n", flow,
                admin.get("/" + REALM + "/authentication/flows").toString(),
                admin.get("/" + REALM + "/authentication/flows/" + KeycloakAdmin.encode(flow) + "/executions").toString(),
                admin.get("/" + REALM + "/components?type=org.keycloak.services.ui.extend.UiPageProvider").toString(),
                admin.get("/" + REALM + "/clients").toString(),
                admin.get("/" + REALM + "/clients/" + client + "/protocol-mappers/models").toString());
    }

    private void createEmptyRealm() {
        env.admin().send("DELETE", "/" + REALM, null);
        var created = env.admin().send("POST", "", Map.of("realm", REALM, "enabled", true));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    /**
     * Runs one quick-start block with bash from the repository's root, the quick start's variables
     * set; it must exit 0.
     */
    private static String run(String name, String block, Map<String, String> vars, Path work, Duration timeout)
            throws IOException, InterruptedException {
        Result r = exec(block, vars, work, timeout);
        System.out.println("[quick start: " + name + "] " + r.output().strip().replace("\n", "\n[quick start: " + name + "] "));
        assertThat(r.status()).as("exit status of the quick start's '" + name + "' block:\n" + block + "\n" + r.output()).isZero();
        return r.output();
    }

    /** A block's exit status and its output (stdout and stderr together). */
    record Result(int status, String output) {
    }

    /**
     * Runs {@code block} with bash from the repository's root with {@code vars} set. Temporary files
     * of kcadm.sh, kc.sh and the setup script stay under {@code work}.
     */
    private static Result exec(String block, Map<String, String> vars, Path work, Duration timeout)
            throws IOException, InterruptedException {
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        ProcessBuilder pb = new ProcessBuilder("bash", "-e", "-c", block).directory(repoDir().toFile());
        pb.environment().putAll(vars);
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().put("JAVA_OPTS_APPEND", "-Djava.io.tmpdir=" + tmp);
        pb.environment().put("KC_OPTS", "-Djava.io.tmpdir=" + tmp);
        Path log = Files.createTempFile(work, "block-", ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process p = pb.start();
        boolean finished = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly().waitFor();
        }
        String out = Files.readString(log);
        assertThat(finished).as("the block finished within " + timeout + ":\n" + block + "\n" + out).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** Unpacks the run's distribution zip into {@code home}, as an operator's Keycloak installation. */
    private static Path unpackDistribution(Path home) throws IOException {
        Path zip = Path.of(required(KeycloakExtension.DIST_ZIP));
        try (ZipFile archive = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> entries = archive.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                int slash = e.getName().indexOf('/');
                String relative = slash < 0 ? "" : e.getName().substring(slash + 1);
                if (relative.isEmpty()) {
                    continue;
                }
                Path target = home.resolve(relative).normalize();
                if (!target.startsWith(home)) {
                    throw new IOException("zip entry outside the home: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = archive.getInputStream(e)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                if (relative.startsWith("bin/") && relative.endsWith(".sh")) {
                    target.toFile().setExecutable(true);
                }
            }
        }
        return home;
    }

    private static JsonNode payload(String jwt) throws IOException {
        String[] parts = jwt.split("\\.");
        assertThat(parts).as("a compact JWS access token").hasSize(3);
        return JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    }

    /** README.md of the repository, or the copy {@code -Dsvid.quickstart.readme} names. */
    static Path readme() {
        String other = System.getProperty("svid.quickstart.readme", "");
        return other.isBlank() ? repoDir().resolve("README.md") : Path.of(other);
    }

    static Path repoDir() {
        return Path.of(System.getProperty("svid.repo.dir", "..")).toAbsolutePath().normalize();
    }

    private static boolean available(String command) throws IOException, InterruptedException {
        return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
    }
}
