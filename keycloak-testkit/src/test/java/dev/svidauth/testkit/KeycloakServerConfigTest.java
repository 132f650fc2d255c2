package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The launcher's pure parts: command lines, environment, log handling and system-property configuration. */
class KeycloakServerConfigTest {

    @Test
    void buildOptionsCarryFeaturesAndExtraBuildOptions() {
        KeycloakServer.Builder builder = KeycloakServer.builder()
                .feature("spiffe").feature("dpop").feature("spiffe")
                .buildOption("--spi-x-provider=y");

        assertThat(builder.config().effectiveBuildOptions()).containsExactly(
                "--health-enabled=true", "--metrics-enabled=true", "--db=dev-file",
                "--features=spiffe,dpop", "--spi-x-provider=y");
        assertThat(KeycloakServer.builder().config().effectiveBuildOptions()).isEqualTo(KeycloakServer.BASE_BUILD_OPTIONS);
    }

    /**
     * A provider JAR rebuilt with the same bytes (reproducible builds) keeps the installed file and
     * its time, which Keycloak's optimized start compares with the build's; changed bytes replace
     * it, and a JAR no longer named is removed.
     */
    @Test
    void anUnchangedProviderJarKeepsItsInstalledFile() throws Exception {
        Path dir = TestDirs.fresh("install-providers");
        Path jar = Files.write(dir.resolve("svid-auth.jar"), new byte[] {1, 2, 3});
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve("providers"));
        Path stale = Files.write(home.resolve("providers").resolve("other.jar"), new byte[] {9});
        ServerConfig config = KeycloakServer.builder().providerJar(jar).config();

        Path installed = config.installProviders(home).get(0);
        FileTime built = FileTime.from(Instant.parse("2026-01-01T00:00:00Z"));
        Files.setLastModifiedTime(installed, built);
        Files.write(jar, new byte[] {1, 2, 3});

        assertThat(config.installProviders(home)).containsExactly(installed);
        assertThat(Files.getLastModifiedTime(installed)).isEqualTo(built);
        assertThat(stale).doesNotExist();

        Files.write(jar, new byte[] {4, 5, 6});
        config.installProviders(home);
        assertThat(Files.readAllBytes(installed)).containsExactly(4, 5, 6);
        assertThat(Files.getLastModifiedTime(installed)).isNotEqualTo(built);
    }

    @Test
    void startArguments() {
        List<String> args = KeycloakServer.builder().option("--spi-a-b-c=d").config().startArguments(1234, 5678);

        assertThat(args).startsWith("start", "--optimized")
                .contains("--http-enabled=true", "--http-host=127.0.0.1", "--http-port=1234",
                        "--http-management-port=5678", "--hostname-strict=false", "--import-realm", "--cache=local")
                .endsWith("--spi-a-b-c=d")
                .noneMatch(a -> a.startsWith("--features"));
    }

    @Test
    void httpOnlyStartsHaveNoHttpsOptions() {
        KeycloakServer.Builder builder = KeycloakServer.builder().workDir(Path.of("/w"));

        assertThat(builder.config().portCount()).isEqualTo(2);
        assertThat(builder.config().startArguments(1234, 5678, 9999)).isEqualTo(builder.config().startArguments(1234, 5678))
                .noneMatch(a -> a.startsWith("--https") || a.startsWith("--http-management-scheme"));
        assertThat(builder.config().effectiveBuildOptions()).isEqualTo(KeycloakServer.BASE_BUILD_OPTIONS);
    }

    @Test
    void httpsWithAClientTrustStore() {
        KeycloakServer.Builder builder = KeycloakServer.builder().workDir(Path.of("/w/kc"))
                .httpsTrustStore(Path.of("/w/spire/bundle.pem"))
                .httpsCertificatesReloadPeriod(java.time.Duration.ofMinutes(1))
                .option("--spi-a-b-c=d");

        assertThat(builder.config().portCount()).isEqualTo(3);
        assertThat(builder.config().effectiveBuildOptions()).endsWith("--https-client-auth=request");
        assertThat(builder.config().startArguments(1234, 5678, 8443))
                .contains("--http-enabled=true", "--http-port=1234", "--http-management-port=5678")
                .containsSubsequence("--https-port=8443",
                        "--https-certificate-file=" + Path.of("/w/kc/tls/server.pem"),
                        "--https-certificate-key-file=" + Path.of("/w/kc/tls/server-key.pem"),
                        "--https-trust-store-file=" + Path.of("/w/spire/bundle.pem"),
                        "--https-certificates-reload-period=60s",
                        "--http-management-scheme=http")
                .endsWith("--spi-a-b-c=d");
    }

    @Test
    void httpsWithoutClientCertificates() {
        KeycloakServer.Builder builder = KeycloakServer.builder().workDir(Path.of("/w")).https();

        assertThat(builder.config().effectiveBuildOptions()).as("Keycloak's default none needs no build option")
                .isEqualTo(KeycloakServer.BASE_BUILD_OPTIONS);
        assertThat(builder.config().startArguments(1, 2, 3)).contains("--https-port=3", "--http-management-scheme=http",
                        "--https-certificates-reload-period=30s")
                .noneMatch(a -> a.startsWith("--https-trust-store"));
        assertThat(KeycloakServer.builder().httpsClientAuth("required").config().effectiveBuildOptions())
                .contains("--https-client-auth=required");
    }

    @Test
    void httpsSettingsKeycloakWouldRefuse() {
        assertThatThrownBy(() -> KeycloakServer.builder().httpsTrustStore(Path.of("bundle.txt")))
                .hasMessageContaining(".pem");
        assertThatThrownBy(() -> KeycloakServer.builder().httpsCertificatesReloadPeriod(java.time.Duration.ofSeconds(29)))
                .hasMessageContaining("30 s");
        assertThatThrownBy(() -> KeycloakServer.builder().httpsClientAuth("want")).hasMessageContaining("request");
    }

    @Test
    void environmentDropsInheritedKeycloakSettingsAndAddsOurs() {
        Map<String, String> inherited = new HashMap<>();
        inherited.put("PATH", "/usr/bin");
        inherited.put("KC_DB", "postgres");
        inherited.put("JAVA_OPTS", "-Xmx16m");
        inherited.put("QUARKUS_HTTP_PORT", "1");
        inherited.put("DEBUG", "true");

        Map<String, String> env = KeycloakServer.builder()
                .heap("-Xmx300m")
                .env("KC_LOG_LEVEL", "debug")
                .env("JAVA_OPTS_APPEND", "-Dfoo=bar")
                .config().processEnvironment(inherited, Path.of("/work/x"));

        assertThat(env).containsEntry("PATH", "/usr/bin")
                .doesNotContainKeys("KC_DB", "JAVA_OPTS", "QUARKUS_HTTP_PORT", "DEBUG")
                .containsEntry("KC_LOG_LEVEL", "debug")
                .containsEntry("JAVA_OPTS_KC_HEAP", "-Xmx300m")
                .containsEntry("JAVA_HOME", System.getProperty("java.home"))
                .containsEntry("KC_BOOTSTRAP_ADMIN_USERNAME", KeycloakServer.ADMIN_USERNAME)
                .containsEntry("KC_BOOTSTRAP_ADMIN_PASSWORD", KeycloakServer.ADMIN_PASSWORD);
        assertThat(env.get("JAVA_OPTS_APPEND"))
                .startsWith("-Djava.io.tmpdir=" + Path.of("/work/x/tmp"))
                .endsWith("-Dfoo=bar");
        assertThat(KeycloakServer.builder().config().processEnvironment(Map.of(), Path.of("/w")))
                .containsEntry("JAVA_OPTS_KC_HEAP", KeycloakServer.DEFAULT_HEAP);
    }

    @Test
    void realmFilesAreNamedAfterTheirRealm() throws Exception {
        Path dir = TestDirs.fresh("realm-names");
        Path realm = java.nio.file.Files.writeString(dir.resolve("svid-auth-realm.json"), "{\"realm\":\"svid\"}");
        Path users = java.nio.file.Files.writeString(dir.resolve("svid-users-0.json"), "{\"realm\":\"svid\"}");
        Path nameless = java.nio.file.Files.writeString(dir.resolve("x.json"), "{\"enabled\":true}");

        assertThat(ServerConfig.importFileName(realm)).isEqualTo("svid-realm.json");
        assertThat(ServerConfig.importFileName(users)).isEqualTo("svid-users-0.json");
        assertThatThrownBy(() -> ServerConfig.importFileName(nameless)).hasMessageContaining("no \"realm\"");
    }

    @Test
    void tailKeepsTheLastLines() {
        assertThat(ServerLog.tail("a\nb\nc\n", 2)).isEqualTo("b\nc");
        assertThat(ServerLog.tail("a\r\nb", 5)).isEqualTo("a\nb");
        assertThat(ServerLog.tail("", 3)).isEmpty();
    }

    @Test
    void recognisesPortConflicts() {
        assertThat(ServerProcess.isPortConflict("ERROR: Port already bound: 8080: Address already in use")).isTrue();
        assertThat(ServerProcess.isPortConflict("ERROR: something else")).isFalse();
    }

    @Test
    void startNeedsZipAndWorkDir() {
        assertThatThrownBy(() -> KeycloakServer.builder().start()).hasMessageContaining("distZip");
        assertThatThrownBy(() -> KeycloakServer.builder().distZip(Path.of("x.zip")).start())
                .hasMessageContaining("workDir");
    }

    @Test
    void extensionReadsSystemProperties() {
        Map<String, String> props = new HashMap<>();
        props.put(KeycloakExtension.DIST_ZIP, "/d/kc.zip");
        props.put(KeycloakExtension.WORK_DIR, "/w");
        props.put(KeycloakExtension.FEATURES, " spiffe , dpop,");
        props.put(KeycloakExtension.OPTIONS, "--spi-a=b   --spi-c=d");

        KeycloakServer.Builder builder = KeycloakExtension.builderFrom(props::get);

        assertThat(builder.config().effectiveBuildOptions()).contains("--features=spiffe,dpop");
        assertThat(builder.config().startArguments(1, 2)).endsWith("--spi-a=b", "--spi-c=d");
    }

    @Test
    void extensionNeedsTheZip() {
        assertThatThrownBy(() -> KeycloakExtension.builderFrom(key -> null))
                .hasMessageContaining(KeycloakExtension.DIST_ZIP);
    }

    @Test
    void commaList() {
        assertThat(KeycloakExtension.commaList(null)).isEmpty();
        assertThat(KeycloakExtension.commaList(" a.json, ,b.json ")).containsExactly("a.json", "b.json");
    }

    @Test
    void adminHelpers() {
        KeycloakAdmin admin = new KeycloakAdmin(java.net.URI.create("http://127.0.0.1:1"), "u", "p");
        assertThat(admin.adminUri("svid/clients")).hasToString("http://127.0.0.1:1/admin/realms/svid/clients");
        assertThat(admin.adminUri("/svid")).hasToString("http://127.0.0.1:1/admin/realms/svid");
        assertThat(KeycloakAdmin.encode("spiffe://example.org/ns a")).isEqualTo("spiffe%3A%2F%2Fexample.org%2Fns%20a");
        assertThat(KeycloakAdmin.toJson("{\"a\":1}")).isEqualTo("{\"a\":1}");
        assertThat(KeycloakAdmin.toJson(Map.of("a", 1))).isEqualTo("{\"a\":1}");
    }
}
