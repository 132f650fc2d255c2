package dev.svidauth.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;

/**
 * Starts ONE Keycloak server per test run (JVM), the first time a test class that uses this
 * extension runs, and stops it when the run ends. Test methods, constructors and lifecycle
 * methods get it as a {@link KeycloakServer} (or {@link KeycloakAdmin}) parameter.
 *
 * <pre>{@code
 * @ExtendWith(KeycloakExtension.class)
 * class TokenEndpointIT {
 *     @Test void works(KeycloakServer kc) { ... }
 * }
 * }</pre>
 *
 * <p>Configured by system properties, so every test class of a run shares the same server:
 * <ul>
 *   <li>{@value #DIST_ZIP} (required): the {@code keycloak-quarkus-dist} zip</li>
 *   <li>{@value #WORK_DIR}: work directory, default {@code target/keycloak}</li>
 *   <li>{@value #PROVIDER_JAR}: provider JAR for {@code providers/} (optional)</li>
 *   <li>{@value #REALM_FILE}: realm file to import (optional)</li>
 *   <li>{@value #EXTRA_REALM_FILES}: more realm files to import, comma separated (optional);
 *       tests that need their own realm list it here instead of starting a second server</li>
 *   <li>{@value #FEATURES}: features to enable, comma separated (optional)</li>
 *   <li>{@value #OPTIONS}: extra {@code kc.sh start} options, separated by whitespace (optional)</li>
 *   <li>{@value #HEAP}: heap options (optional, default {@code -Xms128m -Xmx1g})</li>
 *   <li>{@value #START_TIMEOUT}: seconds to wait for readiness (optional, default 180)</li>
 *   <li>{@value #DB}: {@code dev-file} (default, Keycloak's H2), {@code postgres} or
 *       {@code mariadb}: a throwaway {@link LocalPostgres} or {@link LocalMariaDb} server from the
 *       machine's Debian packages, for this run only ({@link LocalDatabase})</li>
 * </ul>
 *
 * <p>If the server fails to start, every later test class of the run fails at once with the
 * same cause instead of trying again.
 *
 * <p>A suite that shares more than the server (a realm, an emulator the realm points at) keeps
 * one value of its own per run with {@link #shared(ExtensionContext, Class, Supplier)} and starts
 * the server inside it with {@link SharedKeycloak#start}: the same properties, database and
 * lifecycle, still one server per run.
 */
public final class KeycloakExtension implements BeforeAllCallback, ParameterResolver {

    public static final String DIST_ZIP = "keycloak.dist.zip";
    public static final String WORK_DIR = "keycloak.work.dir";
    public static final String PROVIDER_JAR = "svid.provider.jar";
    public static final String REALM_FILE = "svid.realm.file";
    public static final String EXTRA_REALM_FILES = "svid.extra.realm.files";
    public static final String FEATURES = "keycloak.features";
    public static final String OPTIONS = "keycloak.options";
    public static final String HEAP = "keycloak.heap";
    public static final String START_TIMEOUT = "keycloak.start.timeout";
    public static final String DB = "keycloak.db";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KeycloakExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == KeycloakServer.class || type == KeycloakAdmin.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        KeycloakServer server;
        try {
            server = server(extensionContext);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("Keycloak is not available: " + e.getMessage(), e);
        }
        return parameterContext.getParameter().getType() == KeycloakAdmin.class ? server.admin() : server;
    }

    /** The server of this test run, started on first use. */
    public static KeycloakServer server(ExtensionContext context) {
        return shared(context, SharedKeycloak.class, () -> SharedKeycloak.start(builder -> { })).server();
    }

    /**
     * What this test run shares under {@code type}, however many test classes ask: started by
     * {@code start} the first time, closed when the run ends. A start that failed is not tried
     * again (it would fail the same way, minutes later): every later call fails at once with the
     * same cause. A start that aborted ({@link TestAbortedException}: the run cannot have it here)
     * aborts every later call the same way, so their classes are skipped, not failed.
     */
    @SuppressWarnings("deprecation") // computeIfAbsent, its replacement in JUnit 6, does not exist in JUnit 5
    public static <T extends AutoCloseable> T shared(ExtensionContext context, Class<T> type, Supplier<? extends T> start) {
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        @SuppressWarnings("unchecked")
        Shared<T> shared = store.getOrComputeIfAbsent(type, key -> new Shared<T>(start), Shared.class);
        return type.cast(shared.get());
    }

    /** A builder configured from system properties (see the class comment). */
    public static KeycloakServer.Builder builderFromSystemProperties() {
        return builderFrom(System::getProperty);
    }

    /** A builder configured from {@code properties} (see the class comment). */
    static KeycloakServer.Builder builderFrom(UnaryOperator<String> properties) {
        String zip = trimmed(properties.apply(DIST_ZIP));
        if (zip == null) {
            throw new IllegalStateException("system property " + DIST_ZIP
                    + " must name the keycloak-quarkus-dist zip");
        }
        String workDir = trimmed(properties.apply(WORK_DIR));
        KeycloakServer.Builder builder = KeycloakServer.builder()
                .distZip(Path.of(zip))
                .workDir(Path.of(workDir != null ? workDir : "target/keycloak"));
        String providerJar = trimmed(properties.apply(PROVIDER_JAR));
        if (providerJar != null) {
            builder.providerJar(Path.of(providerJar));
        }
        String realmFile = trimmed(properties.apply(REALM_FILE));
        if (realmFile != null) {
            builder.importRealm(Path.of(realmFile));
        }
        commaList(properties.apply(EXTRA_REALM_FILES)).forEach(f -> builder.importRealm(Path.of(f)));
        commaList(properties.apply(FEATURES)).forEach(builder::feature);
        String options = trimmed(properties.apply(OPTIONS));
        if (options != null) {
            Arrays.stream(options.split("\\s+")).forEach(builder::option);
        }
        String heap = trimmed(properties.apply(HEAP));
        if (heap != null) {
            builder.heap(heap);
        }
        String timeout = trimmed(properties.apply(START_TIMEOUT));
        if (timeout != null) {
            builder.startTimeout(Duration.ofSeconds(Long.parseLong(timeout)));
        }
        return builder;
    }

    static List<String> commaList(String value) {
        if (value == null) {
            return List.of();
        }
        return Arrays.stream(value.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }

    private static String trimmed(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** One shared value of the run (or why it could not start); closed by JUnit when the root context closes. */
    @SuppressWarnings("deprecation")
    static final class Shared<T extends AutoCloseable>
            implements ExtensionContext.Store.CloseableResource, AutoCloseable {

        private final Supplier<? extends T> start;
        private T value;
        private RuntimeException failure;

        Shared(Supplier<? extends T> start) {
            this.start = start;
        }

        synchronized T get() {
            if (value == null && failure == null) {
                try {
                    value = Objects.requireNonNull(start.get(), "the start returned nothing");
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            if (failure instanceof TestAbortedException) {
                throw failure;
            }
            if (failure != null) {
                throw new IllegalStateException("Keycloak failed to start in this test run: " + failure.getMessage(),
                        failure);
            }
            return value;
        }

        @Override
        public synchronized void close() {
            T closing = value;
            value = null;
            if (closing == null) {
                return;
            }
            try {
                closing.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("could not close " + closing + " at the end of the test run", e);
            }
        }
    }
}
