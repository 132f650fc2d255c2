package dev.svidauth.it.support;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.SpireEmulatorBuilder;
import dev.svidauth.testkit.FreePorts;
import dev.svidauth.testkit.KeycloakExtension;
import dev.svidauth.testkit.LocalDatabase;
import dev.svidauth.testkit.RunningKeycloak;
import dev.svidauth.testkit.SharedKeycloak;
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
 * <p>The server is the testkit's ({@link SharedKeycloak}: the distribution zip, the drop-in JAR
 * and the realm file named by the system properties), and the run keeps one {@link SvidRealm}
 * through the testkit's {@link KeycloakExtension#shared}; this class adds what is svid-specific:
 * the emulator, the realm-export's environment, CIBA's device and HTTPS with client certificates.
 * Under {@code -Ptestcontainers} the server is a container instead ({@link ContainerRuntime}).
 *
 * <p>With {@code -Dkeycloak.db=postgres} or {@code mariadb} the server runs on a throwaway
 * database from the machine's Debian package ({@link LocalDatabase}); where that package is
 * missing, every test class of the run is skipped and the run says why in one line.
 */
public final class SvidEnvironment implements ExecutionCondition, BeforeAllCallback, ParameterResolver {

    /** The skip line is printed once per run, not once per test class. */
    private static final AtomicBoolean SKIP_REPORTED = new AtomicBoolean();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return databaseCondition(System.getProperty(KeycloakExtension.DB),
                containerRuntime() ? db -> Optional.empty() : LocalDatabase::unavailableReason,
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
        return KeycloakExtension.shared(context, SvidRealm.class, SvidEnvironment::start);
    }

    private static SvidRealm start() {
        Path jar = Path.of(required(KeycloakExtension.PROVIDER_JAR));
        Path realm = Path.of(required(KeycloakExtension.REALM_FILE));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("drop-in JAR " + jar + " is missing: build provider-jar first (./mvnw verify builds it)");
        }
        return containerRuntime() ? startContainer(jar, realm) : startFromDistribution();
    }

    private static boolean containerRuntime() {
        return "testcontainers".equals(System.getProperty("svid.keycloak.runtime"));
    }

    /**
     * The default: the testkit's shared server from the keycloak-quarkus-dist zip (drop-in JAR and
     * realm-export from the same system properties), with what svid-auth adds: the realm-export's
     * environment pointing at the emulator, CIBA's authentication device, and HTTPS asking for
     * client certificates.
     */
    private static SvidRealm startFromDistribution() {
        SpireEmulator spire = sharedEmulator().start();
        Path bundleFile = x509BundleFile(spire);
        AuthenticationDevice device = null;
        try {
            device = AuthenticationDevice.start();
            String cibaChannel = device.uri().toString();
            SharedKeycloak keycloak = SharedKeycloak.start(builder -> {
                builder.env(SvidRealm.realmExportEnvironment(spire))
                        .option("--log-level=INFO,dev.svidauth:DEBUG")
                        // CIBA: Keycloak's HTTP authentication channel posts to the test's authentication device
                        .option("--spi-ciba-auth-channel--ciba-http-auth-channel--http-authentication-channel-uri=" + cibaChannel)
                        .startTimeout(Duration.ofMinutes(5))
                        .progress(line -> System.out.println("[keycloak] " + line));
                // HTTPS next to HTTP, asking for client certificates: X.509-SVIDs over mutual TLS, the
                // TLS layer trusting the trust domain's X.509 authorities (the bundle file the emulator
                // keeps current, as spiffe-helper does; Keycloak reloads it every 30 s)
                if (bundleFile.getFileName().toString().endsWith(".p12")) {
                    builder.httpsTrustStore(bundleFile, SpireEmulator.TRUST_STORE_PASSWORD);
                } else {
                    builder.httpsTrustStore(bundleFile);
                }
            });
            return new SvidRealm(spire, keycloak.server(), null, keycloak.database(), device);
        } catch (RuntimeException e) {
            if (device != null) {
                device.close();
            }
            spire.close();
            throw e;
        }
    }

    /**
     * {@code -Ptestcontainers}: the official image through testcontainers-keycloak
     * ({@link ContainerRuntime}). The SPIRE emulator stays in the test JVM; the container reaches
     * it under the runtime's host alias, which is also the issuer it signs with. Skipped (not
     * failed) without a Docker engine.
     */
    private static SvidRealm startContainer(Path jar, Path realm) {
        ContainerRuntime runtime = ContainerRuntime.find().orElseThrow(() ->
                new IllegalStateException("the testcontainers runtime needs -Ptestcontainers (it compiles src/test-containers)"));
        if (!runtime.dockerAvailable()) {
            throw new TestAbortedException("no Docker engine answers: the testcontainers runtime is skipped");
        }
        int port = FreePorts.pick();
        String base = "http://" + runtime.hostAlias() + ":" + port;
        SpireEmulator spire = sharedEmulator().port(port).issuer(base).start();
        try {
            runtime.exposeHostPort(port);
            Map<String, String> env = SvidRealm.realmExportEnvironment(base, base + SpireEmulator.KEYS_PATH,
                    base + SpireEmulator.BUNDLE_PATH);
            RunningKeycloak keycloak = runtime.start(required("keycloak.server.version"), jar, realm, env);
            return new SvidRealm(spire, keycloak, runtime, null, null);
        } catch (RuntimeException e) {
            spire.close();
            throw e;
        }
    }

    /**
     * The shared emulator as the realm-export expects SPIRE: {@code jwt_issuer} set (payments-api
     * pins it and finds the keys by discovery), and a bundle endpoint serving the X.509 authority
     * ({@code x509-svid}) next to the JWT keys, as real SPIRE does.
     */
    private static SpireEmulatorBuilder sharedEmulator() {
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
