package dev.svidauth.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A throwaway database server for one test run, started from the machine's own Debian packages
 * ({@link LocalPostgres}, {@link LocalMariaDb}); {@link #close()} stops it and deletes its files.
 * The property {@value KeycloakExtension#DB} picks one: {@code dev-file} (the default, Keycloak's
 * H2, no server), {@code postgres} or {@code mariadb}.
 */
public interface LocalDatabase extends AutoCloseable {

    /** Keycloak's {@code --db} value for this database. */
    String vendor();

    /** The JDBC URL of the database Keycloak uses. */
    String jdbcUrl();

    /** One line for the run's log: product, version, address and anything a reader needs to judge the run. */
    String describe();

    /** The server's own directory (data, socket, {@code server.log}), deleted by {@link #close()}. */
    Path dir();

    /** The server's log so far (empty if none). */
    default String log() {
        try {
            Path log = dir().resolve("server.log");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops the server and deletes its directory. */
    @Override
    void close();

    /** The steps that bring a created server up. */
    @FunctionalInterface
    interface StartSteps {
        void run() throws IOException;
    }

    /**
     * Runs {@code steps} for {@code db} and returns it; if a step fails, stops the server, deletes
     * its files and fails naming {@code product}, with the server's own log.
     */
    static <D extends LocalDatabase> D startedOrClosed(String product, D db, StartSteps steps) {
        try {
            steps.run();
            return db;
        } catch (RuntimeException | IOException e) {
            String log = db.log();
            db.close();
            throw new IllegalStateException(product + " did not start: " + e.getMessage() + (log.isEmpty() ? "" : "\n" + log), e);
        }
    }

    /**
     * Applies the database a run asks for to {@code builder}: for {@code postgres} and
     * {@code mariadb} starts a server, which the caller closes after Keycloak; null for
     * {@code dev-file} (also when {@code db} is null or blank).
     */
    static LocalDatabase applyTo(KeycloakServer.Builder builder, String db) {
        String vendor = vendor(db);
        LocalDatabase started;
        String user;
        String password;
        switch (vendor) {
            case "dev-file":
                return null;
            case "postgres":
                started = LocalPostgres.start();
                user = LocalPostgres.USER;
                password = LocalPostgres.PASSWORD;
                break;
            case "mariadb":
                started = LocalMariaDb.start();
                user = LocalMariaDb.USER;
                password = LocalMariaDb.PASSWORD;
                break;
            default:
                throw unsupported(vendor);
        }
        System.out.println("[keycloak] database: " + started.describe());
        builder.database(started.vendor(), started.jdbcUrl(), user, password);
        return started;
    }

    /**
     * Why this machine cannot run the database {@code db} names (a Debian package is missing), or
     * empty when it can (always for {@code dev-file}).
     */
    static Optional<String> unavailableReason(String db) {
        switch (vendor(db)) {
            case "dev-file":
                return Optional.empty();
            case "postgres":
                return LocalPostgres.findBinaries().isPresent() ? Optional.empty()
                        : Optional.of("no PostgreSQL server binaries under /usr/lib/postgresql (install Debian's postgresql package)");
            case "mariadb":
                return LocalMariaDb.unavailableReason();
            default:
                throw unsupported(vendor(db));
        }
    }

    /** {@code db} stripped, {@code dev-file} when null or blank. */
    static String vendor(String db) {
        return db == null || db.isBlank() ? "dev-file" : db.strip();
    }

    private static IllegalStateException unsupported(String vendor) {
        return new IllegalStateException("database '" + vendor + "': only dev-file, postgres and mariadb are supported");
    }
}
