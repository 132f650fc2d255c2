package dev.svidauth.testkit;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * The Keycloak a test run shares, started from the distribution zip: a {@link KeycloakServer}
 * configured from the system properties ({@link KeycloakExtension}'s class comment lists them),
 * then by the caller, on the database {@value KeycloakExtension#DB} asks for. Closing stops the
 * server, then the database. Obtain it once per run through
 * {@link KeycloakExtension#shared(org.junit.jupiter.api.extension.ExtensionContext, Class, java.util.function.Supplier)}.
 */
public final class SharedKeycloak implements AutoCloseable {

    private final KeycloakServer server;
    private final LocalDatabase database;

    private SharedKeycloak(KeycloakServer server, LocalDatabase database) {
        this.server = server;
        this.database = database;
    }

    /**
     * Starts the server: the builder from the system properties, then {@code customize} (what a
     * suite adds: environment, options, HTTPS), then the database of the run. A database server
     * started for a Keycloak that then fails to start is stopped again.
     */
    public static SharedKeycloak start(Consumer<KeycloakServer.Builder> customize) {
        KeycloakServer.Builder builder = KeycloakExtension.builderFromSystemProperties();
        Objects.requireNonNull(customize, "customize").accept(builder);
        LocalDatabase database = LocalDatabase.applyTo(builder, System.getProperty(KeycloakExtension.DB));
        try {
            return new SharedKeycloak(builder.start(), database);
        } catch (RuntimeException e) {
            if (database != null) {
                database.close();
            }
            throw e;
        }
    }

    public KeycloakServer server() {
        return server;
    }

    /** The run's database server ({@code postgres} or {@code mariadb}), or null on Keycloak's dev-file H2. */
    public LocalDatabase database() {
        return database;
    }

    @Override
    public void close() {
        server.close();
        if (database != null) {
            database.close();
        }
    }
}
