package dev.svidauth.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway MariaDB server for one test run, from the machine's own Debian {@code mariadb-server}
 * package ({@code /usr/sbin/mariadbd}), on a free loopback port, in a temporary directory deleted
 * by {@link #close()}. No network access, no Docker, and the system service is never touched: the
 * server reads no option file ({@code --no-defaults}) and gets Debian's character set and collation
 * explicitly, {@code utf8mb4} / {@code utf8mb4_general_ci} (Debian's {@code 50-server.cnf}; MariaDB's
 * compiled-in default, {@code latin1_swedish_ci}, is case-insensitive too). The {@value #DATABASE}
 * database inherits it, as a database created by a Debian administrator does, so string
 * comparisons in Keycloak's queries ignore case: the point of running tests here.
 *
 * <p>MariaDB runs as root only when told to, so as root the server drops to the {@code mysql}
 * user ({@code --user=mysql}), which then owns the directory.
 */
public final class LocalMariaDb implements LocalDatabase {

    public static final String DATABASE = "keycloak";
    public static final String USER = "keycloak";
    public static final String PASSWORD = "keycloak";

    static final Path SERVER = Path.of("/usr/sbin/mariadbd");
    static final Path INSTALL_DB = Path.of("/usr/bin/mariadb-install-db");
    static final Path CLIENT = Path.of("/usr/bin/mariadb");
    /** What Debian's mariadb-server package configures (/etc/mysql/mariadb.conf.d/50-server.cnf). */
    static final String CHARACTER_SET = "utf8mb4";
    static final String COLLATION = "utf8mb4_general_ci";
    /** The longest Unix socket path Linux accepts, less a margin. */
    private static final int MAX_SOCKET_PATH = 100;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final Path socket;
    private final int port;
    private Process process;
    private String version = "?";
    private String collation = "?";
    private boolean caseInsensitive;

    private LocalMariaDb(Path dir, Path socket, int port) {
        this.dir = dir;
        this.socket = socket;
        this.port = port;
    }

    /** Why MariaDB cannot run here (Debian's mariadb-server is not installed), or empty. */
    public static Optional<String> unavailableReason() {
        for (Path binary : List.of(SERVER, INSTALL_DB, CLIENT)) {
            if (!Files.isExecutable(binary)) {
                return Optional.of("no MariaDB at " + binary + " (install Debian's mariadb-server package)");
            }
        }
        return Optional.empty();
    }

    /**
     * Creates the data directory, starts the server, creates the {@value #DATABASE} database and
     * its user; fails with the server's log if it cannot.
     */
    public static LocalMariaDb start() {
        unavailableReason().ifPresent(why -> {
            throw new IllegalStateException(why);
        });
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory(directoryParent(root), "svid-auth-mariadb-");
            Path socket = dir.resolve("mysqld.sock");
            if (socket.toString().length() > MAX_SOCKET_PATH) {
                socket = Path.of("/tmp", dir.getFileName() + ".sock");
            }
            LocalMariaDb db = new LocalMariaDb(dir, socket, FreePorts.pick());
            return LocalDatabase.startedOrClosed("MariaDB", db, () -> {
                db.create(root);
                db.awaitReady();
            });
        } catch (IOException e) {
            throw new IllegalStateException("MariaDB did not start: " + e, e);
        }
    }

    /**
     * The build's temporary directory ({@code target/tmp} under the test runner), unless the
     * server runs as {@code mysql} and could not reach it: then {@code /tmp}.
     */
    private static Path directoryParent(boolean root) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        Files.createDirectories(tmp);
        if (!root) {
            return tmp;
        }
        for (Path p = tmp; p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                return Path.of("/tmp");
            }
        }
        return tmp;
    }

    private void create(boolean root) throws IOException {
        Path data = dir.resolve("data");
        Path init = dir.resolve("init.sql");
        // Runs at start-up with full privileges, before the server accepts connections.
        Files.writeString(init, "CREATE DATABASE IF NOT EXISTS " + DATABASE + ";\n"
                + "CREATE USER IF NOT EXISTS '" + USER + "'@'127.0.0.1' IDENTIFIED BY '" + PASSWORD + "';\n"
                + "GRANT ALL PRIVILEGES ON " + DATABASE + ".* TO '" + USER + "'@'127.0.0.1';\n", StandardCharsets.UTF_8);
        List<String> install = new ArrayList<>(List.of(INSTALL_DB.toString(), "--no-defaults", "--datadir=" + data,
                "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve"));
        List<String> server = new ArrayList<>(List.of(SERVER.toString(), "--no-defaults", "--datadir=" + data,
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + socket, "--pid-file=" + dir.resolve("mysqld.pid"),
                "--log-error=" + dir.resolve("server.log"), "--skip-name-resolve", "--skip-log-bin",
                "--character-set-server=" + CHARACTER_SET, "--collation-server=" + COLLATION,
                // a throwaway database: no flush per commit (PostgreSQL's fsync=off)
                "--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=64M", "--init-file=" + init));
        if (root) {
            run(List.of("chown", "-R", "mysql:", dir.toString()), Map.of());
            install.add("--user=mysql");
            server.add("--user=mysql");
        }
        run(install, Map.of());
        process = new ProcessBuilder(server).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
    }

    /** Waits until the keycloak user reaches its database over TCP, and reads what the database compares with. */
    private void awaitReady() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mariadbd exited with " + process.exitValue());
            }
            try {
                String[] row = query("SELECT VERSION(), @@collation_database, 'A' = 'a'").split("\t");
                version = row[0];
                collation = row[1];
                caseInsensitive = "1".equals(row[2]);
                return;
            } catch (IllegalStateException e) {
                last = e.getMessage();
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        throw new IllegalStateException("not ready after " + START_TIMEOUT.toSeconds() + " s: " + last);
    }

    /** One row of {@code sql} as the keycloak user in its database, columns separated by tabs. */
    private String query(String sql) {
        return run(List.of(CLIENT.toString(), "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", String.valueOf(port),
                "-u", USER, "-N", "-B", "-e", sql, DATABASE), Map.of("MYSQL_PWD", PASSWORD)).strip();
    }

    @Override
    public String vendor() {
        return "mariadb";
    }

    /** The JDBC URL of the {@value #DATABASE} database. */
    @Override
    public String jdbcUrl() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/" + DATABASE;
    }

    @Override
    public String describe() {
        return "MariaDB " + version + " at " + jdbcUrl() + ", database collation " + collation
                + (caseInsensitive ? " (compares case-insensitively)" : " (compares case-sensitively)");
    }

    public int port() {
        return port;
    }

    /** The directory holding the data, the logs and usually the socket; deleted by {@link #close()}. */
    Path directory() {
        return dir;
    }

    /** The server's version, as {@code VERSION()} gives it. */
    public String version() {
        return version;
    }

    /** The {@value #DATABASE} database's collation, which Keycloak's tables inherit. */
    public String collation() {
        return collation;
    }

    /** Whether the database found {@code 'A' = 'a'} true. */
    public boolean caseInsensitive() {
        return caseInsensitive;
    }

    @Override
    public Path dir() {
        return dir;
    }

    /** Stops the server (SIGTERM: a clean shutdown) and deletes its directory. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    System.err.println("[mariadb] no shutdown within 60 s: killed");
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            System.err.println("[mariadb] could not delete " + socket + ": " + e);
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("[mariadb] could not delete " + dir + ": " + e);
        }
    }

    /** Runs a command to its end; its output, or an exception with the output when it fails. */
    private static String run(List<String> command, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish in 120 s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(Path.of(command.get(0)).getFileName() + " exited with " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
