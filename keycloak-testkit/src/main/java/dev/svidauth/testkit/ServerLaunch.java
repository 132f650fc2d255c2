package dev.svidauth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One start of a {@link KeycloakServer}, from the work-directory lock to the end of the process:
 * processes a crashed run left behind are stopped, the distribution is unpacked with the provider
 * JARs and realm files installed, {@code kc.sh build} runs when the build fingerprint changed, the
 * HTTPS material is made, {@code kc.sh start} runs until ready ({@link ServerProcess}), and a
 * shutdown hook stops the server should the JVM end first. Ending it (a stop or a kill) releases
 * all of that exactly once.
 */
final class ServerLaunch {

    static final String HOME_DIR = "keycloak";
    static final String TMP_DIR = "tmp";
    static final String FINGERPRINT_FILE = ".build-fingerprint";
    /** Where the HTTPS listener's throwaway server certificate goes, under the work directory. */
    static final String TLS_DIR = "tls";

    final Path workDir;
    final Path home;
    final ServerLog log;
    final Duration buildTime;
    final boolean rebuilt;
    final ServerProcess process;
    /** The HTTPS listener's certificates, or null for HTTP only. */
    final ServerTls tls;
    private final ServerProcess.WorkDirLock lock;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final Thread shutdownHook;

    private ServerLaunch(Path workDir, Path home, ServerLog log, Duration buildTime, boolean rebuilt,
                         ServerProcess.WorkDirLock lock, ServerProcess process, ServerTls tls) {
        this.workDir = workDir;
        this.home = home;
        this.log = log;
        this.buildTime = buildTime;
        this.rebuilt = rebuilt;
        this.lock = lock;
        this.process = process;
        this.tls = tls;
        this.shutdownHook = new Thread(this::stop, "keycloak-server-stop");
    }

    /**
     * Unpacks (if needed), builds (if needed), starts the server and waits until it is ready.
     *
     * @throws IllegalStateException with the last 100 log lines if the server does not become ready
     */
    static ServerLaunch start(ServerConfig config) {
        if (config.distZip == null) {
            throw new IllegalStateException("distZip(...) is required");
        }
        if (config.workDir == null) {
            throw new IllegalStateException("workDir(...) is required");
        }
        Path dir = config.workDir.toAbsolutePath().normalize();
        Path zip = config.distZip.toAbsolutePath().normalize();
        ServerProcess.WorkDirLock lock = null;
        try {
            Files.createDirectories(dir.resolve(TMP_DIR));
            lock = ServerProcess.WorkDirLock.acquire(dir);
            Path home = dir.resolve(HOME_DIR);
            ServerProcess.stopOrphans(dir.resolve(ServerProcess.PID_FILE), home);

            ServerLog log = ServerLog.in(dir);

            String distIdentity = DistArchive.ensureUnpacked(zip, home, config.progress);
            List<Path> installedJars = config.installProviders(home);
            config.installRealms(home);
            if (config.freshDatabase) {
                DistArchive.deleteRecursively(home.resolve("data").resolve("h2"));
            }

            Map<String, String> processEnv = config.processEnvironment(System.getenv(), dir);
            List<String> buildOpts = config.effectiveBuildOptions();
            String fingerprint = BuildFingerprint.of(distIdentity, buildOpts, installedJars);
            Path fingerprintFile = home.resolve(FINGERPRINT_FILE);
            Duration buildTime = Duration.ZERO;
            boolean rebuilt = BuildFingerprint.needsBuild(fingerprintFile, fingerprint);
            if (rebuilt) {
                BuildFingerprint.forget(fingerprintFile);
                buildTime = ServerProcess.build(home, buildOpts, processEnv, log, config.progress);
                BuildFingerprint.write(fingerprintFile, fingerprint);
            }

            ServerTls tls = config.https == null ? null : ServerTls.create(config.tlsDir());
            if (config.https != null && config.https.trustStore() != null
                    && !Files.isRegularFile(config.https.trustStore())) {
                throw new IllegalStateException("HTTPS trust store not found: " + config.https.trustStore().toAbsolutePath());
            }
            Path pidFile = dir.resolve(ServerProcess.PID_FILE);
            ServerProcess process;
            try {
                process = ServerProcess.launch(home, pidFile, config, processEnv, log);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(pidFile); // launch stopped what it started
                throw e;
            }
            ServerLaunch started = new ServerLaunch(dir, home, log, buildTime, rebuilt, lock, process, tls);
            Runtime.getRuntime().addShutdownHook(started.shutdownHook);
            return started;
        } catch (IOException e) {
            throw failure(lock, new UncheckedIOException(e));
        } catch (RuntimeException e) {
            throw failure(lock, e);
        }
    }

    private static RuntimeException failure(ServerProcess.WorkDirLock lock, RuntimeException e) {
        if (lock != null) {
            lock.close();
        }
        return e;
    }

    boolean isRunning() {
        return !ended.get() && process.isAlive();
    }

    /** SIGTERM, then a kill after {@link ServerProcess#STOP_GRACE}. Does nothing once ended. */
    void stop() {
        end(process::stop);
    }

    /** SIGKILL to the JVM and {@code kc.sh} at once, as a crash would. Does nothing once ended. */
    void kill() {
        end(process::kill);
    }

    private void end(Runnable how) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            how.run();
            Files.deleteIfExists(workDir.resolve(ServerProcess.PID_FILE));
        } catch (IOException ignored) {
            // the pid file is only a hint for the next start
        } finally {
            lock.close();
            removeShutdownHook();
        }
    }

    private void removeShutdownHook() {
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down
            }
        }
    }
}
