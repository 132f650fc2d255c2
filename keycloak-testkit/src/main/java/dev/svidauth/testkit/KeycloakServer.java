package dev.svidauth.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

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

    static final String HOME_DIR = "keycloak";
    static final String LOG_FILE = "server.log";
    static final String TMP_DIR = "tmp";
    static final String LOCK_FILE = "keycloak.lock";
    static final String PID_FILE = "keycloak.pid";
    static final String FINGERPRINT_FILE = ".build-fingerprint";
    static final Duration STOP_GRACE = Duration.ofSeconds(20);
    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
    static final int LOG_TAIL_LINES = 100;
    private static final int START_ATTEMPTS = 3;
    private static final ObjectMapper REALM_JSON = new ObjectMapper();

    private final Path workDir;
    private final Path home;
    private final Path logFile;
    private final long logOffset;
    private final Duration buildTime;
    private final boolean rebuilt;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Process process;
    private int httpPort;
    private int managementPort;
    private Duration startupTime;
    private Thread shutdownHook;
    private KeycloakAdmin admin;

    private KeycloakServer(Path workDir, Path home, Path logFile, long logOffset, Duration buildTime,
                           boolean rebuilt, FileChannel lockChannel, FileLock lock) {
        this.workDir = workDir;
        this.home = home;
        this.logFile = logFile;
        this.logOffset = logOffset;
        this.buildTime = buildTime;
        this.rebuilt = rebuilt;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code http://127.0.0.1:<httpPort>} */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    /** {@code <baseUrl>/realms/<realm>} */
    public URI realmUrl(String realm) {
        return URI.create(baseUrl() + "/realms/" + realm);
    }

    /** {@code <baseUrl>/realms/<realm>/protocol/openid-connect/token} */
    public URI tokenEndpoint(String realm) {
        return URI.create(realmUrl(realm) + "/protocol/openid-connect/token");
    }

    public int httpPort() {
        return httpPort;
    }

    /** The management port, which serves {@code /health} and {@code /metrics}. */
    public int managementPort() {
        return managementPort;
    }

    /** {@code <workDir>/server.log}: output of {@code kc.sh build} and {@code kc.sh start}, appended per start. */
    public Path logFile() {
        return logFile;
    }

    /** What this start wrote to {@link #logFile()} so far (the build, if one ran, included). */
    public String logText() {
        return readLogSince(logFile, logOffset);
    }

    /** From launching {@code kc.sh start} until {@code /health/ready} answered UP. */
    public Duration startupTime() {
        return startupTime;
    }

    /** How long {@code kc.sh build} took for this start; zero when the earlier build was reused. */
    public Duration buildTime() {
        return buildTime;
    }

    /** Whether this start ran {@code kc.sh build}. */
    public boolean rebuilt() {
        return rebuilt;
    }

    public Path workDir() {
        return workDir;
    }

    /** The unpacked distribution ({@code <workDir>/keycloak}). */
    public Path home() {
        return home;
    }

    /**
     * Process id of the Keycloak JVM: {@code kc.sh} starts it as a child (or {@code exec}s it),
     * so this is the launched process's java descendant, or the launched process itself. For
     * reading {@code /proc/<pid>} figures (CPU time, RSS) in benchmarks.
     */
    public long pid() {
        if (process == null) {
            throw new IllegalStateException("Keycloak is not started");
        }
        ProcessHandle root = process.toHandle();
        return root.descendants()
                .filter(h -> h.info().command().map(c -> c.equals("java") || c.endsWith("/java")).orElse(false))
                .mapToLong(ProcessHandle::pid)
                .findFirst()
                .orElse(root.pid());
    }

    public boolean isRunning() {
        return !closed.get() && process != null && process.isAlive();
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
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (process != null) {
                stopProcessTree(process, STOP_GRACE);
            }
            Files.deleteIfExists(workDir.resolve(PID_FILE));
        } catch (IOException ignored) {
            // the pid file is only a hint for the next start
        } finally {
            releaseLock(lock, lockChannel);
            removeShutdownHook();
        }
    }

    @Override
    public String toString() {
        return "KeycloakServer[" + (httpPort == 0 ? "not started" : baseUrl()) + ", home=" + home + "]";
    }

    private void removeShutdownHook() {
        Thread hook = shutdownHook;
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Builder
    // ------------------------------------------------------------------------------------------

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

        /** The options of {@code kc.sh build}. */
        List<String> effectiveBuildOptions() {
            List<String> all = new ArrayList<>(BASE_BUILD_OPTIONS);
            all.replaceAll(o -> o.equals("--db=dev-file") ? "--db=" + dbVendor : o);
            if (!features.isEmpty()) {
                all.add("--features=" + String.join(",", features));
            }
            all.addAll(buildOptions);
            return all;
        }

        /** The arguments after {@code kc.sh} for starting on the given ports. */
        List<String> startArguments(int httpPort, int managementPort) {
            List<String> args = new ArrayList<>(List.of(
                    "start",
                    "--optimized",
                    "--http-enabled=true",
                    "--http-host=127.0.0.1",
                    "--http-port=" + httpPort,
                    "--http-management-port=" + managementPort,
                    "--hostname-strict=false",
                    "--import-realm",
                    // one node needs no cluster: without this (a run-time option since Keycloak 26), start
                    // mode runs JGroups, which listens on all interfaces (port 7800) and slows every start;
                    // KeycloakCluster sets ispn and binds JGroups to the loopback address
                    "--cache=" + cache,
                    "--log-console-color=false",
                    // every /health/ready poll that finds the server not yet ready logs a line at INFO
                    "--log-level-io.smallrye.health=warn"));
            args.addAll(options);
            return args;
        }

        /**
         * Unpacks (if needed), builds (if needed), starts the server and waits until it is ready.
         *
         * @throws IllegalStateException with the last 100 log lines if the server does not become ready
         */
        public KeycloakServer start() {
            if (distZip == null) {
                throw new IllegalStateException("distZip(...) is required");
            }
            if (workDir == null) {
                throw new IllegalStateException("workDir(...) is required");
            }
            Path dir = workDir.toAbsolutePath().normalize();
            Path zip = distZip.toAbsolutePath().normalize();
            FileChannel lockChannel = null;
            FileLock lock = null;
            KeycloakServer server = null;
            try {
                Files.createDirectories(dir.resolve(TMP_DIR));
                lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                lock = tryLock(lockChannel);
                if (lock == null) {
                    throw new IllegalStateException("another Keycloak server is running from " + dir
                            + " (" + LOCK_FILE + " is locked); use another work directory");
                }
                Path home = dir.resolve(HOME_DIR);
                stopOrphans(dir.resolve(PID_FILE), home);

                Path logFile = dir.resolve(LOG_FILE);
                long logOffset = Files.exists(logFile) ? Files.size(logFile) : 0L;

                String distIdentity = DistArchive.ensureUnpacked(zip, home, progress);
                List<Path> installedJars = installProviders(home);
                installRealms(home);
                if (freshDatabase) {
                    DistArchive.deleteRecursively(home.resolve("data").resolve("h2"));
                }

                Map<String, String> processEnv = processEnvironment(System.getenv(), dir);
                List<String> buildOpts = effectiveBuildOptions();
                String fingerprint = BuildFingerprint.of(distIdentity, buildOpts, installedJars);
                Path fingerprintFile = home.resolve(FINGERPRINT_FILE);
                Duration buildTime = Duration.ZERO;
                boolean rebuilt = BuildFingerprint.needsBuild(fingerprintFile, fingerprint);
                if (rebuilt) {
                    BuildFingerprint.forget(fingerprintFile);
                    buildTime = runBuild(home, buildOpts, processEnv, logFile, logOffset);
                    BuildFingerprint.write(fingerprintFile, fingerprint);
                }

                server = new KeycloakServer(dir, home, logFile, logOffset, buildTime, rebuilt, lockChannel, lock);
                launch(server, processEnv);
                KeycloakServer started = server;
                started.shutdownHook = new Thread(started::close, "keycloak-server-stop");
                Runtime.getRuntime().addShutdownHook(started.shutdownHook);
                return started;
            } catch (IOException e) {
                throw failure(server, lock, lockChannel, new UncheckedIOException(e));
            } catch (RuntimeException e) {
                throw failure(server, lock, lockChannel, e);
            }
        }

        private static RuntimeException failure(KeycloakServer server, FileLock lock, FileChannel channel,
                                                RuntimeException e) {
            if (server != null) {
                server.close();
            } else {
                releaseLock(lock, channel);
            }
            return e;
        }

        private List<Path> installProviders(Path home) throws IOException {
            Path providers = home.resolve("providers");
            Files.createDirectories(providers);
            try (Stream<Path> old = Files.list(providers)) {
                for (Path p : (Iterable<Path>) old.filter(p -> p.getFileName().toString().endsWith(".jar"))::iterator) {
                    Files.delete(p);
                }
            }
            List<Path> installed = new ArrayList<>();
            for (Path jar : providerJars) {
                if (!Files.isRegularFile(jar)) {
                    throw new IllegalStateException("provider JAR not found: " + jar.toAbsolutePath()
                            + " (build it first)");
                }
                Path target = providers.resolve(jar.getFileName());
                Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                installed.add(target);
            }
            return installed;
        }

        private void installRealms(Path home) throws IOException {
            Path importDir = home.resolve("data").resolve("import");
            DistArchive.deleteRecursively(importDir);
            Files.createDirectories(importDir);
            Set<String> names = new LinkedHashSet<>();
            for (Path realm : realmFiles) {
                if (!Files.isRegularFile(realm)) {
                    throw new IllegalStateException("realm file not found: " + realm.toAbsolutePath());
                }
                String name = importFileName(realm);
                if (!names.add(name)) {
                    throw new IllegalStateException("two realm files import the same realm (" + name + "): " + realmFiles);
                }
                Files.copy(realm, importDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }

        /**
         * The name a file must have in {@code data/import}: Keycloak refuses to start when a realm
         * file is not named {@code <realm>-realm.json} after the realm it contains. Partial user
         * files ({@code <realm>-users-<n>.json}) keep their name.
         */
        static String importFileName(Path realmFile) throws IOException {
            String name = realmFile.getFileName().toString();
            if (name.matches(".+-users-\\d+\\.json")) {
                return name;
            }
            String realm;
            try (InputStream in = Files.newInputStream(realmFile)) {
                realm = REALM_JSON.readTree(in).path("realm").asText("");
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("realm file is not JSON: " + realmFile.toAbsolutePath(), e);
            }
            if (realm.isEmpty()) {
                throw new IllegalStateException("realm file has no \"realm\" name: " + realmFile.toAbsolutePath());
            }
            return realm + "-realm.json";
        }

        /** The server's environment: the inherited one minus anything that would reconfigure Keycloak, plus ours. */
        Map<String, String> processEnvironment(Map<String, String> inherited, Path dir) {
            Map<String, String> result = new LinkedHashMap<>();
            inherited.forEach((k, v) -> {
                if (!isKeycloakVariable(k)) {
                    result.put(k, v);
                }
            });
            result.put("JAVA_HOME", System.getProperty("java.home"));
            result.put("JAVA_OPTS_KC_HEAP", heap);
            result.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USERNAME);
            result.put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
            String append = "-Djava.io.tmpdir=" + dir.resolve(TMP_DIR) + " -XX:-UsePerfData";
            result.putAll(env);
            if (env.containsKey("JAVA_OPTS_APPEND")) {
                append = append + " " + env.get("JAVA_OPTS_APPEND");
            }
            result.put("JAVA_OPTS_APPEND", append);
            return result;
        }

        static boolean isKeycloakVariable(String name) {
            return name.startsWith("KC_") || name.startsWith("KEYCLOAK_") || name.startsWith("QUARKUS_")
                    || name.startsWith("JAVA_OPTS") || name.equals("JAVA_ADD_OPENS") || name.equals("JAVA_LOCALE")
                    || name.equals("JAVA") || name.equals("DEBUG") || name.equals("DEBUG_PORT")
                    || name.equals("DEBUG_SUSPEND") || name.equals("PRINT_ENV");
        }

        private Duration runBuild(Path home, List<String> buildOpts, Map<String, String> processEnv,
                                  Path logFile, long logOffset) throws IOException {
            progress.accept("building (kc.sh build " + String.join(" ", buildOpts) + ")…");
            List<String> command = new ArrayList<>();
            command.add(home.resolve("bin").resolve("kc.sh").toString());
            command.add("build");
            command.addAll(buildOpts);
            appendLog(logFile, "==== " + Instant.now() + " " + String.join(" ", command) + System.lineSeparator());
            long started = System.nanoTime();
            Map<String, String> buildEnv = new LinkedHashMap<>(processEnv);
            buildEnv.remove("KC_BOOTSTRAP_ADMIN_USERNAME"); // run-time options; the build would only warn about them
            buildEnv.remove("KC_BOOTSTRAP_ADMIN_PASSWORD");
            Process build = newProcess(command, home, buildEnv, logFile).start();
            try {
                if (!build.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    stopProcessTree(build, Duration.ofSeconds(5));
                    throw new IllegalStateException("kc.sh build did not finish within " + BUILD_TIMEOUT.toSeconds()
                            + " s; last log lines:\n" + tail(readLogSince(logFile, logOffset), LOG_TAIL_LINES));
                }
            } catch (InterruptedException e) {
                stopProcessTree(build, Duration.ofSeconds(5));
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while kc.sh build ran", e);
            }
            if (build.exitValue() != 0) {
                throw new IllegalStateException("kc.sh build failed with exit code " + build.exitValue()
                        + "; last log lines:\n" + tail(readLogSince(logFile, logOffset), LOG_TAIL_LINES));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            progress.accept(String.format("built in %.1f s", took.toMillis() / 1000.0));
            return took;
        }

        private void launch(KeycloakServer server, Map<String, String> processEnv) throws IOException {
            for (int attempt = 1; ; attempt++) {
                int[] ports = FreePorts.pick(2);
                server.httpPort = ports[0];
                server.managementPort = ports[1];
                List<String> command = new ArrayList<>();
                command.add(server.home.resolve("bin").resolve("kc.sh").toString());
                command.addAll(startArguments(ports[0], ports[1]));
                long logBefore = Files.exists(server.logFile) ? Files.size(server.logFile) : 0L;
                appendLog(server.logFile, "==== " + Instant.now() + " " + String.join(" ", command) + System.lineSeparator());
                progress.accept("starting on http://127.0.0.1:" + ports[0] + " (management port " + ports[1] + ")…");
                long started = System.nanoTime();
                server.process = newProcess(command, server.home, processEnv, server.logFile).start();
                writePidFile(server.workDir.resolve(PID_FILE), server.process);
                String outcome = awaitReady(server, started);
                if (outcome == null) {
                    server.startupTime = Duration.ofNanos(System.nanoTime() - started);
                    writePidFile(server.workDir.resolve(PID_FILE), server.process);
                    progress.accept(String.format("ready in %.1f s at %s", server.startupTime.toMillis() / 1000.0,
                            server.baseUrl()));
                    return;
                }
                stopProcessTree(server.process, STOP_GRACE);
                String attemptLog = readLogSince(server.logFile, logBefore);
                if (attempt < START_ATTEMPTS && isPortConflict(attemptLog)) {
                    progress.accept("port taken meanwhile; retrying on other ports");
                    continue;
                }
                throw new IllegalStateException(outcome + "; last " + LOG_TAIL_LINES + " lines of " + server.logFile
                        + ":\n" + tail(server.logText(), LOG_TAIL_LINES));
            }
        }

        /** Polls {@code /health/ready}; null when UP, otherwise why not. */
        private String awaitReady(KeycloakServer server, long startedNanos) {
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(2))
                    .build();
            HttpRequest request = HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.managementPort + "/health/ready"))
                    .timeout(Duration.ofSeconds(5))
                    .GET()
                    .build();
            long deadline = startedNanos + startTimeout.toNanos();
            long nextReport = startedNanos + TimeUnit.SECONDS.toNanos(5);
            String lastAnswer = "no answer";
            while (true) {
                if (!server.process.isAlive()) {
                    return "Keycloak exited with code " + server.process.exitValue() + " before it was ready";
                }
                try {
                    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                    if (Readiness.isUp(response.statusCode(), response.body())) {
                        return null;
                    }
                    lastAnswer = "HTTP " + response.statusCode() + " " + response.body();
                } catch (IOException e) {
                    lastAnswer = e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted while waiting for Keycloak";
                }
                long now = System.nanoTime();
                if (now - deadline > 0) {
                    return "Keycloak was not ready within " + startTimeout.toSeconds() + " s (last /health/ready: "
                            + lastAnswer + ")";
                }
                if (now - nextReport > 0) {
                    progress.accept("starting… " + TimeUnit.NANOSECONDS.toSeconds(now - startedNanos) + " s");
                    nextReport += TimeUnit.SECONDS.toNanos(5);
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted while waiting for Keycloak";
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Process and file helpers
    // ------------------------------------------------------------------------------------------

    private static ProcessBuilder newProcess(List<String> command, Path home, Map<String, String> env, Path logFile) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().clear();
        pb.environment().putAll(env);
        return pb;
    }

    static boolean isPortConflict(String log) {
        return log.contains("Address already in use") || log.contains("QuarkusBindException")
                || log.contains("Port already bound");
    }

    /** SIGTERM to the process (kc.sh forwards it to the JVM), then a kill of the whole tree after {@code grace}. */
    static void stopProcessTree(Process process, Duration grace) {
        List<ProcessHandle> tree = process.descendants().collect(Collectors.toList());
        process.destroy();
        boolean exited;
        try {
            exited = process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = false;
        }
        if (!exited) {
            tree.forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        for (ProcessHandle child : tree) {
            if (child.isAlive()) {
                child.destroy();
                try {
                    child.onExit().get(exited ? grace.toMillis() : 5000, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    child.destroyForcibly();
                }
            }
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void writePidFile(Path pidFile, Process process) {
        String pids = Stream.concat(Stream.of(process.toHandle()), process.descendants())
                .map(h -> Long.toString(h.pid()))
                .collect(Collectors.joining("\n", "", "\n"));
        try {
            Files.writeString(pidFile, pids, StandardCharsets.UTF_8);
        } catch (IOException ignored) {
            // only a hint for cleaning up after a crashed test run
        }
    }

    /** Kills processes a crashed earlier run left behind (only those whose command line names this home). */
    private static void stopOrphans(Path pidFile, Path home) throws IOException {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        String homeText = home.toString();
        for (String line : Files.readAllLines(pidFile, StandardCharsets.UTF_8)) {
            long pid;
            try {
                pid = Long.parseLong(line.strip());
            } catch (NumberFormatException e) {
                continue;
            }
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isPresent() && handle.get().isAlive()
                    && handle.get().info().commandLine().map(c -> c.contains(homeText)).orElse(false)) {
                handle.get().destroy();
                try {
                    handle.get().onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    handle.get().destroyForcibly();
                }
            }
        }
        Files.deleteIfExists(pidFile);
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static void releaseLock(FileLock lock, FileChannel channel) {
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // the lock goes away with the channel or the JVM anyway
        }
    }

    private static void appendLog(Path logFile, String text) throws IOException {
        Files.writeString(logFile, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static String readLogSince(Path logFile, long offset) {
        try (FileChannel channel = FileChannel.open(logFile, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size <= offset) {
                return "";
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size - offset, Integer.MAX_VALUE - 8));
            channel.position(offset);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // keep reading
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last {@code lines} lines of {@code text}. */
    static String tail(String text, int lines) {
        List<String> all = Arrays.asList(text.split("\\R", -1));
        int end = all.size();
        if (end > 0 && all.get(end - 1).isEmpty()) {
            end--;
        }
        return String.join("\n", all.subList(Math.max(0, end - lines), end));
    }
}
