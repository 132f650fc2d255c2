package dev.svidauth.it;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.KeycloakServer;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Starts, once per test run, what every integration test shares: a SPIRE emulator for the trust
 * domain {@code example.org} and ONE real Keycloak server with the drop-in JAR that imports the
 * shipped realm-export, whose key-source placeholders point at the emulator. Injects
 * {@link Svid} into test constructors and methods.
 */
public final class SvidEnvironment implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SvidEnvironment.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        env(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Svid.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return env(context);
    }

    private static Svid env(ExtensionContext context) {
        return context.getRoot().getStore(NS).getOrComputeIfAbsent(Svid.class, k -> start(), Svid.class);
    }

    private static Svid start() {
        SpireEmulator spire = SpireEmulator.builder().trustDomain("example.org").start();
        Path zip = Path.of(required("keycloak.dist.zip"));
        Path jar = Path.of(required("svid.provider.jar"));
        Path realm = Path.of(required("svid.realm.file"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("drop-in JAR " + jar + " is missing: build provider-jar first (./mvnw verify builds it)");
        }
        KeycloakServer keycloak = KeycloakServer.builder()
                .distZip(zip)
                .workDir(Path.of(required("keycloak.work.dir")))
                .providerJar(jar)
                .importRealm(realm)
                .env("SVID_ISSUER", spire.issuer())
                .env("SVID_JWKS_URI", spire.jwksUrl().toString())
                .env("SVID_BUNDLE_URI", spire.bundleUrl().toString())
                .env("LEGACY_SERVICE_SECRET", Svid.LEGACY_SECRET)
                .env("WORKLOAD_API_SECRET", Svid.WORKLOAD_API_SECRET)
                .option("--log-level=INFO,dev.svidauth:DEBUG")
                .startTimeout(Duration.ofMinutes(5))
                .progress(line -> System.out.println("[keycloak] " + line))
                .start();
        return new Svid(spire, keycloak);
    }

    private static String required(String name) {
        return Objects.requireNonNull(System.getProperty(name), "system property " + name + " is not set (run through ./mvnw verify)");
    }
}
