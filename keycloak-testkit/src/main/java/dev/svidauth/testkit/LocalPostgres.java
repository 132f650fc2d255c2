package dev.svidauth.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for one test run, from the machine's own PostgreSQL server
 * binaries (Debian's {@code postgresql} package: {@code /usr/lib/postgresql/<version>/bin}), on a
 * free loopback port, in a temporary directory deleted by {@link #close()}. No network access, no
 * Docker. PostgreSQL refuses to run as root, so as root it runs as the {@code postgres} user
 * (through {@code runuser}).
 */
public final class LocalPostgres implements LocalDatabase {

    public static final String DATABASE = "keycloak";
    public static final String USER = "keycloak";
    public static final String PASSWORD = "keycloak";

    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");

    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asPostgresUser;

    private LocalPostgres(Path bin, Path dir, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /** The newest {@code /usr/lib/postgresql/<version>/bin} that holds {@code initdb}, if any. */
    public static Optional<Path> findBinaries() {
        if (!Files.isDirectory(DEBIAN_ROOT)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(LocalPostgres::majorVersion));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Creates, starts and creates the {@value #DATABASE} database; fails with the server's log if it cannot. */
    public static LocalPostgres start() {
        Path bin = findBinaries().orElseThrow(() -> new IllegalStateException(
                "no PostgreSQL server binaries under " + DEBIAN_ROOT + " (install Debian's postgresql package)"));
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            // As root the server runs as postgres, which must reach the directory: /tmp, not the build's tmpdir.
            Path dir = root ? Files.createTempDirectory(Path.of("/tmp"), "svid-auth-postgres-") : Files.createTempDirectory("svid-auth-postgres-");
            int port = FreePorts.pick();
            LocalPostgres pg = new LocalPostgres(bin, dir, port, root);
            return LocalDatabase.startedOrClosed("PostgreSQL", pg, () -> {
                if (root) {
                    run(List.of("chown", "postgres:", dir.toString()));
                }
                Path password = dir.resolve("password");
                Files.writeString(password, PASSWORD, StandardCharsets.UTF_8);
                if (root) {
                    run(List.of("chown", "postgres:", password.toString()));
                }
                pg.runAsOwner(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", USER,
                        "--pwfile=" + password, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"));
                pg.runAsOwner(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "60",
                        "-l", dir.resolve("server.log").toString(), "-o",
                        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start"));
                pg.runAsOwner(List.of(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", USER,
                        "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE " + DATABASE), PASSWORD);
            });
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL did not start: " + e, e);
        }
    }

    public int port() {
        return port;
    }

    @Override
    public String vendor() {
        return "postgres";
    }

    @Override
    public String describe() {
        return "PostgreSQL " + version() + " at " + jdbcUrl();
    }

    /** The JDBC URL of the {@value #DATABASE} database. */
    @Override
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    /** The server's major version, e.g. 15. */
    public int version() {
        return majorVersion(bin);
    }

    @Override
    public Path dir() {
        return dir;
    }

    /** Stops the server and deletes its directory. */
    @Override
    public void close() {
        if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
            try {
                runAsOwner(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop"));
            } catch (RuntimeException e) {
                System.err.println("[postgres] stop failed: " + e.getMessage());
            }
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("[postgres] could not delete " + dir + ": " + e);
        }
    }

    private void runAsOwner(List<String> command) {
        runAsOwner(command, null);
    }

    private void runAsOwner(List<String> command, String password) {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
            if (password != null) {
                full.addAll(List.of("env", "PGPASSWORD=" + password));
            }
        }
        full.addAll(command);
        run(full, password);
    }

    private static void run(List<String> command) {
        run(command, null);
    }

    private static void run(List<String> command, String password) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (password != null) {
            pb.environment().put("PGPASSWORD", password);
        }
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish in 120 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
                        + new String(out, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
