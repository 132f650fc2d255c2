package dev.svidauth.testkit;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One real Keycloak server, started from the {@code keycloak-quarkus-dist} zip for integration
 * tests, the demo and the benchmark.
 *
 * <p>Everything lives under the work directory: the unpacked distribution ({@code keycloak/}),
 * the server's {@code java.io.tmpdir} ({@code tmp/}), its output ({@code server.log}) and a lock
 * file that keeps two servers from sharing one work directory.
 *
 * <pre>{@code
 * try (KeycloakServer kc = KeycloakServer.builder()
 *         .distZip(zip).workDir(dir).providerJar(jar).importRealm(realm)
 *         .start()) {
 *     URI token = kc.tokenEndpoint("svid");
 * }
 * }</pre>
 *
 * <p>The parts: {@code ServerConfig} is what the builder was told (options, environment, the
 * files installed into the distribution), {@code ServerLaunch} one start from the work-directory
 * lock to the stop, {@code ServerProcess} supervises {@code kc.sh build} and {@code kc.sh start}
 * (ports, readiness, stopping, pid and lock files), {@code ServerLog} is the log each start appends to.
 */
public final class KeycloakServer implements RunningKeycloak {

    /** User name of the bootstrap administrator in the master realm. */
    public static final String ADMIN_USERNAME = "admin";
    /** Password of the bootstrap administrator in the master realm. */
    public static final String ADMIN_PASSWORD = "admin";
    /** Heap options (via {@code JAVA_OPTS_KC_HEAP}) unless {@link Builder#heap(String)} says otherwise. */
    public static final String DEFAULT_HEAP = "-Xms128m -Xmx1g";
    /** How long {@link Builder#start()} waits for {@code /health/ready} unless told otherwise. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(180);
    /** Options every {@code kc.sh build} gets; features and {@link Builder#buildOption(String)} follow. */
    public static final List<String> BASE_BUILD_OPTIONS =
            List.of("--health-enabled=true", "--metrics-enabled=true", "--db=dev-file");
    /** How often Keycloak re-reads its certificate files and trust store unless told otherwise: the shortest period it allows. */
    public static final Duration DEFAULT_HTTPS_RELOAD_PERIOD = Duration.ofSeconds(30);

    private final ServerLaunch launch;
    private KeycloakAdmin admin;

    private KeycloakServer(ServerLaunch launch) {
        this.launch = launch;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code http://127.0.0.1:<httpPort>} */
    @Override
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + httpPort());
    }

    public int httpPort() {
        return launch.process.httpPort();
    }

    @Override
    public boolean httpsEnabled() {
        return launch.tls != null;
    }

    /**
     * The HTTPS port.
     *
     * @throws IllegalStateException without {@link Builder#https()}
     */
    public int httpsPort() {
        requireHttps();
        return launch.process.httpsPort();
    }

    /** {@code https://127.0.0.1:<httpsPort>}. */
    @Override
    public URI httpsBaseUrl() {
        return URI.create("https://127.0.0.1:" + httpsPort());
    }

    /** The throwaway server CA and certificate of the HTTPS listener: clients trust {@link ServerTls#ca()}. */
    @Override
    public ServerTls serverTls() {
        requireHttps();
        return launch.tls;
    }

    private void requireHttps() {
        if (launch.tls == null) {
            throw new IllegalStateException("this Keycloak was started without HTTPS (KeycloakServer.Builder#https)");
        }
    }

    /** The management port, which serves {@code /health} and {@code /metrics}. */
    public int managementPort() {
        return launch.process.managementPort();
    }

    /** {@code <workDir>/server.log}: output of {@code kc.sh build} and {@code kc.sh start}, appended per start. */
    public Path logFile() {
        return launch.log.file();
    }

    /** What this start wrote to {@link #logFile()} so far (the build, if one ran, included). */
    public String logText() {
        return launch.log.text();
    }

    /** From launching {@code kc.sh start} until {@code /health/ready} answered UP. */
    public Duration startupTime() {
        return launch.process.startupTime();
    }

    /** How long {@code kc.sh build} took for this start; zero when the earlier build was reused. */
    public Duration buildTime() {
        return launch.buildTime;
    }

    /** Whether this start ran {@code kc.sh build}. */
    public boolean rebuilt() {
        return launch.rebuilt;
    }

    public Path workDir() {
        return launch.workDir;
    }

    /** The unpacked distribution ({@code <workDir>/keycloak}). */
    public Path home() {
        return launch.home;
    }

    /**
     * Process id of the Keycloak JVM: {@code kc.sh} starts it as a child (or {@code exec}s it),
     * so this is the launched process's java descendant, or the launched process itself. For
     * reading {@code /proc/<pid>} figures (CPU time, RSS) in benchmarks.
     */
    public long pid() {
        return launch.process.pid();
    }

    public boolean isRunning() {
        return launch.isRunning();
    }

    /** Admin REST helper, logged in as the bootstrap administrator. */
    public synchronized KeycloakAdmin admin() {
        if (admin == null) {
            admin = new KeycloakAdmin(baseUrl(), ADMIN_USERNAME, ADMIN_PASSWORD);
        }
        return admin;
    }

    /** Stops the server: SIGTERM, then a kill after 20 s. Safe to call more than once. */
    @Override
    public void close() {
        launch.stop();
    }

    /**
     * Kills the server at once, as a crash or the OOM killer would: SIGKILL to the JVM and
     * {@code kc.sh}, so it neither finishes its requests nor leaves its cluster. Returns once the
     * processes are gone; {@link #close()} afterwards does nothing.
     */
    public void kill() {
        launch.kill();
    }

    @Override
    public String toString() {
        return "KeycloakServer[" + baseUrl() + ", home=" + launch.home + "]";
    }

    /** Configures and starts a {@link KeycloakServer}. */
    public static final class Builder {

        private Path distZip;
        private Path workDir;
        private final List<Path> providerJars = new ArrayList<>();
        private final List<Path> realmFiles = new ArrayList<>();
        private final Set<String> features = new LinkedHashSet<>();
        private final List<String> options = new ArrayList<>();
        private final List<String> buildOptions = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private String heap = DEFAULT_HEAP;
        private Consumer<String> progress = line -> System.out.println("[keycloak] " + line);
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private boolean freshDatabase = true;
        private String dbVendor = "dev-file";
        private String cache = "local";
        private boolean https;
        private Path httpsTrustStore;
        /** Password of a PKCS #12 {@link #httpsTrustStore}; null for PEM. */
        private String httpsTrustStorePassword;
        private String httpsClientAuth;
        private Duration httpsReloadPeriod = DEFAULT_HTTPS_RELOAD_PERIOD;

        private Builder() {
        }

        /** The {@code keycloak-quarkus-dist} zip. */
        public Builder distZip(Path zip) {
            this.distZip = Objects.requireNonNull(zip, "zip");
            return this;
        }

        /** Where everything goes; the distribution is unpacked into {@code <workDir>/keycloak}. */
        public Builder workDir(Path dir) {
            this.workDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** A provider JAR copied into {@code providers/}; JARs of earlier starts are removed. May be called several times. */
        public Builder providerJar(Path jar) {
            providerJars.add(Objects.requireNonNull(jar, "jar"));
            return this;
        }

        /** A realm file copied into {@code data/import/} and imported at start. May be called several times. */
        public Builder importRealm(Path realmFile) {
            realmFiles.add(Objects.requireNonNull(realmFile, "realmFile"));
            return this;
        }

        /** A feature to enable ({@code --features=...} of {@code kc.sh build}). May be called several times. */
        public Builder feature(String feature) {
            String f = Objects.requireNonNull(feature, "feature").strip();
            if (!f.isEmpty()) {
                features.add(f);
            }
            return this;
        }

        /** An extra option for {@code kc.sh start}, e.g. {@code --spi-events-listener-...=...}. */
        public Builder option(String option) {
            options.add(Objects.requireNonNull(option, "option"));
            return this;
        }

        /** An extra build-time option for {@code kc.sh build}; a change triggers a new build. */
        public Builder buildOption(String option) {
            buildOptions.add(Objects.requireNonNull(option, "option"));
            return this;
        }

        /** An environment variable for the server process. */
        public Builder env(String key, String value) {
            env.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** {@link #env(String, String)} for each entry. */
        public Builder env(Map<String, String> variables) {
            variables.forEach(this::env);
            return this;
        }

        /** Heap options, passed as {@code JAVA_OPTS_KC_HEAP}; default {@code -Xms128m -Xmx1g}. */
        public Builder heap(String heapOptions) {
            this.heap = Objects.requireNonNull(heapOptions, "heapOptions");
            return this;
        }

        /** Receives progress lines ("unpacking…", "building…", "starting… 12 s", "ready …"). */
        public Builder progress(Consumer<String> consumer) {
            this.progress = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /** How long to wait for {@code /health/ready}; default 180 s. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Whether to delete the dev-file database before starting, so only the imported realms exist; default true. */
        public Builder freshDatabase(boolean fresh) {
            this.freshDatabase = fresh;
            return this;
        }

        /**
         * Runs on an external database instead of the dev-file H2: {@code vendor} for
         * {@code kc.sh build --db} (e.g. {@code postgres}), the JDBC URL and credentials for start.
         * The caller provides an empty database (Keycloak creates its schema).
         */
        public Builder database(String vendor, String jdbcUrl, String username, String password) {
            this.dbVendor = Objects.requireNonNull(vendor, "vendor");
            options.add("--db-url=" + Objects.requireNonNull(jdbcUrl, "jdbcUrl"));
            options.add("--db-username=" + Objects.requireNonNull(username, "username"));
            options.add("--db-password=" + Objects.requireNonNull(password, "password"));
            return this;
        }

        /**
         * {@code --cache} of {@code kc.sh start}: {@code local} (default, no cluster) or {@code ispn}
         * (embedded Infinispan with JGroups; see {@link KeycloakCluster}).
         */
        public Builder cache(String mode) {
            this.cache = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * An HTTPS listener on a free port next to the HTTP one ({@code --https-port}), with a
         * throwaway server CA and certificate made at each start in {@code <workDir>/tls}
         * ({@link KeycloakServer#serverTls()}). The management interface stays plain HTTP
         * ({@code --http-management-scheme=http}). Without {@link #httpsTrustStore(Path)} no client
         * certificate is asked for.
         */
        public Builder https() {
            this.https = true;
            return this;
        }

        /**
         * HTTPS ({@link #https()}) that asks clients for a certificate and accepts the ones that
         * chain to a certificate in {@code pemFile} ({@code --https-trust-store-file}), e.g. the
         * SPIRE emulator's X.509 bundle kept current by {@code keepX509BundlePemUpdated}. Keycloak
         * re-reads it every {@link #httpsCertificatesReloadPeriod(Duration)}. Client authentication
         * is {@code request} unless {@link #httpsClientAuth(String)} says otherwise.
         *
         * @param pemFile must end in {@code .pem}, {@code .crt} or {@code .ca}: Keycloak tells the
         *                trust store type by the file name
         */
        public Builder httpsTrustStore(Path pemFile) {
            this.https = true;
            this.httpsTrustStore = ServerConfig.Https.pemTrustStore(pemFile);
            this.httpsTrustStorePassword = null;
            return this;
        }

        /**
         * As {@link #httpsTrustStore(Path)} with a PKCS #12 trust store ({@code .p12}) and its
         * password ({@code --https-trust-store-password}): the format Keycloak 26.4 and 26.5 can
         * reload (their TLS layer fails to reload a PEM trust store, keeping the old one).
         */
        public Builder httpsTrustStore(Path p12File, String password) {
            this.https = true;
            this.httpsTrustStore = ServerConfig.Https.p12TrustStore(p12File);
            this.httpsTrustStorePassword = Objects.requireNonNull(password, "password");
            return this;
        }

        /**
         * {@code --https-client-auth} (a build option: a change rebuilds): {@code none},
         * {@code request} (ask, accept connections without) or {@code required}. Default
         * {@code request} with a trust store, {@code none} without. Implies {@link #https()}.
         */
        public Builder httpsClientAuth(String mode) {
            this.https = true;
            this.httpsClientAuth = ServerConfig.Https.clientAuth(mode);
            return this;
        }

        /**
         * {@code --https-certificates-reload-period}: how often Keycloak re-reads the certificate
         * files and the trust store; at least 30 s (Quarkus refuses less), default 30 s.
         */
        public Builder httpsCertificatesReloadPeriod(Duration period) {
            this.httpsReloadPeriod = ServerConfig.Https.reloadPeriod(period);
            return this;
        }

        /** What the builder holds now. */
        ServerConfig config() {
            ServerConfig.Https tls = !https ? null
                    : ServerConfig.Https.of(httpsTrustStore, httpsTrustStorePassword, httpsClientAuth, httpsReloadPeriod);
            return new ServerConfig(distZip, workDir, providerJars, realmFiles, features, options, buildOptions, env,
                    heap, progress, startTimeout, freshDatabase, dbVendor, cache, tls);
        }

        /**
         * Unpacks (if needed), builds (if needed), starts the server and waits until it is ready.
         *
         * @throws IllegalStateException with the last 100 log lines if the server does not become ready
         */
        public KeycloakServer start() {
            return new KeycloakServer(ServerLaunch.start(config()));
        }
    }
}
