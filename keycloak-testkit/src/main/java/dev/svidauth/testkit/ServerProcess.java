package dev.svidauth.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Supervision of the Keycloak processes: {@code kc.sh build} with a timeout, {@code kc.sh start}
 * on free ports until {@code /health/ready} answers UP (retried when a port was taken meanwhile),
 * stopping the whole process tree, the pid file that lets the next run stop what a crashed run
 * left behind, and the lock that keeps two servers out of one work directory. One instance is
 * one started server process.
 */
final class ServerProcess {

    static final String LOCK_FILE = "keycloak.lock";
    static final String PID_FILE = "keycloak.pid";
    static final Duration STOP_GRACE = Duration.ofSeconds(20);
    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
    private static final int START_ATTEMPTS = 3;

    private final Process process;
    private final int httpPort;
    private final int managementPort;
    private final int httpsPort;
    private final Duration startupTime;

    private ServerProcess(Process process, int httpPort, int managementPort, int httpsPort, Duration startupTime) {
        this.process = process;
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.httpsPort = httpsPort;
        this.startupTime = startupTime;
    }

    int httpPort() {
        return httpPort;
    }

    int managementPort() {
        return managementPort;
    }

    /** The HTTPS port, or -1 without HTTPS. */
    int httpsPort() {
        return httpsPort;
    }

    /** From launching {@code kc.sh start} until {@code /health/ready} answered UP. */
    Duration startupTime() {
        return startupTime;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The Keycloak JVM: the launched process's java descendant, or the launched process itself. */
    long pid() {
        ProcessHandle root = process.toHandle();
        return root.descendants()
                .filter(h -> h.info().command().map(c -> c.equals("java") || c.endsWith("/java")).orElse(false))
                .mapToLong(ProcessHandle::pid)
                .findFirst()
                .orElse(root.pid());
    }

    /** SIGTERM, then a kill of the tree after {@link #STOP_GRACE}. */
    void stop() {
        stopProcessTree(process, STOP_GRACE);
    }

    /** SIGKILL to the whole tree at once (the JVM and {@code kc.sh}), as a crash would end it; waits for the exit. */
    void kill() {
        killProcessTree(process);
    }

    /** Runs {@code kc.sh build}; returns how long it took. */
    static Duration build(Path home, List<String> buildOpts, Map<String, String> processEnv, ServerLog log,
                          Consumer<String> progress) throws IOException {
        progress.accept("building (kc.sh build " + String.join(" ", buildOpts) + ")…");
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin").resolve("kc.sh").toString());
        command.add("build");
        command.addAll(buildOpts);
        log.append("==== " + Instant.now() + " " + String.join(" ", command) + System.lineSeparator());
        long started = System.nanoTime();
        Map<String, String> buildEnv = new java.util.LinkedHashMap<>(processEnv);
        buildEnv.remove("KC_BOOTSTRAP_ADMIN_USERNAME"); // run-time options; the build would only warn about them
        buildEnv.remove("KC_BOOTSTRAP_ADMIN_PASSWORD");
        Process build = newProcess(command, home, buildEnv, log.file()).start();
        try {
            if (!build.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                stopProcessTree(build, Duration.ofSeconds(5));
                throw new IllegalStateException("kc.sh build did not finish within " + BUILD_TIMEOUT.toSeconds()
                        + " s; last log lines:\n" + log.tail());
            }
        } catch (InterruptedException e) {
            stopProcessTree(build, Duration.ofSeconds(5));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while kc.sh build ran", e);
        }
        if (build.exitValue() != 0) {
            throw new IllegalStateException("kc.sh build failed with exit code " + build.exitValue()
                    + "; last log lines:\n" + log.tail());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        progress.accept(String.format("built in %.1f s", took.toMillis() / 1000.0));
        return took;
    }

    /**
     * Runs {@code kc.sh start} on free ports (HTTP, management, and HTTPS when configured) and
     * waits for {@code /health/ready}.
     *
     * @throws IllegalStateException with the last log lines if the server does not become ready
     */
    static ServerProcess launch(Path home, Path pidFile, ServerConfig config, Map<String, String> processEnv,
                                ServerLog log) throws IOException {
        for (int attempt = 1; ; attempt++) {
            int[] ports = FreePorts.pick(config.portCount());
            int httpsPort = ports.length > 2 ? ports[2] : -1;
            List<String> command = new ArrayList<>();
            command.add(home.resolve("bin").resolve("kc.sh").toString());
            command.addAll(config.startArguments(ports[0], ports[1], httpsPort));
            long logBefore = log.size();
            log.append("==== " + Instant.now() + " " + String.join(" ", command) + System.lineSeparator());
            config.progress.accept("starting on http://127.0.0.1:" + ports[0]
                    + (httpsPort > 0 ? " and https://127.0.0.1:" + httpsPort : "") + " (management port " + ports[1] + ")…");
            long started = System.nanoTime();
            Process process = newProcess(command, home, processEnv, log.file()).start();
            String outcome;
            try {
                writePidFile(pidFile, process);
                outcome = awaitReady(process, ports[1], started, config.startTimeout, config.progress);
            } catch (RuntimeException e) {
                stopProcessTree(process, STOP_GRACE);
                throw e;
            }
            if (outcome == null) {
                ServerProcess ready = new ServerProcess(process, ports[0], ports[1], httpsPort,
                        Duration.ofNanos(System.nanoTime() - started));
                writePidFile(pidFile, process);
                config.progress.accept(String.format("ready in %.1f s at http://127.0.0.1:%d",
                        ready.startupTime.toMillis() / 1000.0, ports[0]));
                return ready;
            }
            stopProcessTree(process, STOP_GRACE);
            String attemptLog = log.textSince(logBefore);
            if (attempt < START_ATTEMPTS && isPortConflict(attemptLog)) {
                config.progress.accept("port taken meanwhile; retrying on other ports");
                continue;
            }
            throw new IllegalStateException(outcome + "; last " + ServerLog.TAIL_LINES + " lines of " + log.file()
                    + ":\n" + log.tail());
        }
    }

    /** Polls {@code /health/ready}; null when UP, otherwise why not. */
    private static String awaitReady(Process process, int managementPort, long startedNanos, Duration startTimeout,
                                     Consumer<String> progress) {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/health/ready"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        long deadline = startedNanos + startTimeout.toNanos();
        long nextReport = startedNanos + TimeUnit.SECONDS.toNanos(5);
        String lastAnswer = "no answer";
        while (true) {
            if (!process.isAlive()) {
                return "Keycloak exited with code " + process.exitValue() + " before it was ready";
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
            killProcessTree(process, tree);
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

    /** SIGKILL to the process and all its descendants at once; returns when they are gone (5 s at most each). */
    static void killProcessTree(Process process) {
        List<ProcessHandle> tree = process.descendants().collect(Collectors.toList());
        killProcessTree(process, tree);
        for (ProcessHandle child : tree) {
            try {
                child.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // left to the kernel; nothing else to do
            }
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL to {@code tree} (the JVM first: killing {@code kc.sh} alone would leave it running), then to the process. */
    private static void killProcessTree(Process process, List<ProcessHandle> tree) {
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
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
    static void stopOrphans(Path pidFile, Path home) throws IOException {
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

    /** The lock file that keeps two servers from sharing one work directory. */
    static final class WorkDirLock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private WorkDirLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        /** Locks {@code dir}, or fails naming it when another server holds the lock. */
        static WorkDirLock acquire(Path dir) throws IOException {
            FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("another Keycloak server is running from " + dir
                        + " (" + LOCK_FILE + " is locked); use another work directory");
            }
            return new WorkDirLock(channel, lock);
        }

        @Override
        public void close() {
            try {
                if (lock.isValid()) {
                    lock.release();
                }
                channel.close();
            } catch (IOException ignored) {
                // the lock goes away with the channel or the JVM anyway
            }
        }
    }
}
