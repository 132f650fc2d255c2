package dev.svidauth.it.support;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.KeycloakExtension;
import dev.svidauth.testkit.KeycloakServer;
import dev.svidauth.testkit.LocalDatabase;
import dev.svidauth.testkit.RunningKeycloak;
import org.opentest4j.TestAbortedException;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

import static dev.svidauth.testkit.SystemProperties.required;

/**
 * Starts, once per test run, what every integration test shares: a SPIRE emulator for the trust
 * domain {@code example.org} and ONE real Keycloak server with the drop-in JAR that imports the
 * shipped realm-export, whose key-source placeholders point at the emulator. Injects
 * {@link SvidRealm} into test constructors and methods.
 *
 * <p>With {@code -Dkeycloak.db=postgres} or {@code mariadb} the server runs on a throwaway
 * database from the machine's Debian package ({@link LocalDatabase}); where that package is
 * missing, every test class of the run is skipped and the run says why in one line.
 */
public final class SvidEnvironment implements ExecutionCondition, BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SvidEnvironment.class);
    /** The skip line is printed once per run, not once per test class. */
    private static final AtomicBoolean SKIP_REPORTED = new AtomicBoolean();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return databaseCondition(System.getProperty(KeycloakExtension.DB),
                "testcontainers".equals(System.getProperty("svid.keycloak.runtime")) ? db -> Optional.empty() : LocalDatabase::unavailableReason,
                SKIP_REPORTED, System.out::println);
    }

    /**
     * Enabled when this machine can run the database {@code db} names; else disabled, and the
     * reason printed through {@code out} the first time only ({@code reported}).
     */
    static ConditionEvaluationResult databaseCondition(String db, Function<String, Optional<String>> unavailable,
                                                       AtomicBoolean reported, Consumer<String> out) {
        Optional<String> missing = unavailable.apply(db);
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("database " + LocalDatabase.vendor(db) + " available");
        }
        String line = "every test on " + LocalDatabase.vendor(db) + " skipped: " + missing.get();
        if (reported.compareAndSet(false, true)) {
            out.accept("[database] " + line);
        }
        return ConditionEvaluationResult.disabled(line);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        env(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == SvidRealm.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return env(context);
    }

    private static SvidRealm env(ExtensionContext context) {
        return context.getRoot().getStore(NS).getOrComputeIfAbsent(SvidRealm.class, k -> start(), SvidRealm.class);
    }

    private static SvidRealm start() {
        Path jar = Path.of(required("svid.provider.jar"));
        Path realm = Path.of(required("svid.realm.file"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("drop-in JAR " + jar + " is missing: build provider-jar first (./mvnw verify builds it)");
        }
        return "testcontainers".equals(System.getProperty("svid.keycloak.runtime"))
                ? startContainer(jar, realm) : startFromDistribution(jar, realm);
    }

    /** The default: the keycloak-quarkus-dist zip from Maven Central, run as a local process. */
    private static SvidRealm startFromDistribution(Path jar, Path realm) {
        SpireEmulator spire = sharedEmulator().start();
        Path bundleFile = x509BundleFile(spire);
        AuthenticationDevice device = AuthenticationDevice.start();
        KeycloakServer.Builder builder = KeycloakServer.builder()
                .distZip(Path.of(required("keycloak.dist.zip")))
                .workDir(Path.of(required("keycloak.work.dir")))
                .providerJar(jar)
                .importRealm(realm)
                .env(SvidRealm.realmExportEnvironment(spire))
                .option("--log-level=INFO,dev.svidauth:DEBUG")
                // CIBA: Keycloak's HTTP authentication channel posts to the test's authentication device
                .option("--spi-ciba-auth-channel--ciba-http-auth-channel--http-authentication-channel-uri=" + device.uri())
                .startTimeout(Duration.ofMinutes(5))
                .progress(line -> System.out.println("[keycloak] " + line));
        // HTTPS next to HTTP, asking for client certificates: X.509-SVIDs over mutual TLS, the TLS
        // layer trusting the trust domain's X.509 authorities (the bundle file the emulator keeps
        // current, as spiffe-helper does; Keycloak reloads it every 30 s)
        if (bundleFile.getFileName().toString().endsWith(".p12")) {
            builder.httpsTrustStore(bundleFile, SpireEmulator.TRUST_STORE_PASSWORD);
        } else {
            builder.httpsTrustStore(bundleFile);
        }
        LocalDatabase database = null;
        try {
            database = LocalDatabase.applyTo(builder, System.getProperty(KeycloakExtension.DB));
            return new SvidRealm(spire, builder.start(), null, database, device);
        } catch (RuntimeException e) {
            if (database != null) {
                database.close();
            }
            device.close();
            spire.close();
            throw e;
        }
    }

    /**
     * {@code -Ptestcontainers}: the official image through testcontainers-keycloak. The SPIRE
     * emulator stays in the test JVM; the container reaches it as host.testcontainers.internal,
     * which is also the issuer it signs with. Skipped (not failed) without a Docker engine.
     */
    private static SvidRealm startContainer(Path jar, Path realm) {
        try {
            Class<?> runtime = Class.forName("dev.svidauth.it.ContainerKeycloak");
            if (!(Boolean) runtime.getMethod("dockerAvailable").invoke(null)) {
                throw new TestAbortedException("no Docker engine answers: the testcontainers runtime is skipped");
            }
            String alias = (String) runtime.getField("HOST_ALIAS").get(null);
            int port;
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            String base = "http://" + alias + ":" + port;
            SpireEmulator spire = sharedEmulator().port(port).issuer(base).start();
            Map<String, String> env = SvidRealm.realmExportEnvironment(base, base + SpireEmulator.KEYS_PATH,
                    base + SpireEmulator.BUNDLE_PATH);
            RunningKeycloak keycloak = (RunningKeycloak) runtime
                    .getMethod("start", String.class, Path.class, Path.class, Map.class, int[].class)
                    .invoke(null, required("keycloak.server.version"), jar, realm, env, new int[]{port});
            return new SvidRealm(spire, keycloak, alias, null, null);
        } catch (ReflectiveOperationException | java.io.IOException e) {
            throw new IllegalStateException("the testcontainers runtime needs -Ptestcontainers", e);
        }
    }

    /**
     * The shared emulator as the realm-export expects SPIRE: {@code jwt_issuer} set (payments-api
     * pins it and finds the keys by discovery), and a bundle endpoint serving the X.509 authority
     * ({@code x509-svid}) next to the JWT keys, as real SPIRE does.
     */
    private static SpireEmulator.Builder sharedEmulator() {
        return SpireEmulator.builder().trustDomain(SvidRealm.TRUST_DOMAIN).issuer(SpireEmulator.SELF).x509Authority(true);
    }

    /**
     * The trust domain's X.509 bundle as a file the emulator rewrites at every CA change: PEM (what
     * spiffe-helper writes), or a PKCS #12 trust store on Keycloak 26.4 and 26.5, whose TLS layer
     * fails to reload a PEM trust store (Quarkus' certificate reloader casts its options to a key
     * store's and gives up, keeping the old authorities; measured with 26.4.7 and 26.5.6).
     */
    private static Path x509BundleFile(SpireEmulator spire) {
        try {
            String version = System.getProperty("keycloak.server.version", "");
            String name = version.startsWith("26.4.") || version.startsWith("26.5.") ? "example.org-bundle.p12" : "example.org-bundle.pem";
            Path file = Files.createTempDirectory("svid-auth-x509-bundle-").resolve(name);
            spire.keepX509BundleUpdated(file);
            return file;
        } catch (IOException e) {
            spire.close();
            throw new UncheckedIOException(e);
        }
    }
}
