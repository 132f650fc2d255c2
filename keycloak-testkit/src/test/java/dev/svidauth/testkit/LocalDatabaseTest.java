package dev.svidauth.testkit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalDatabaseTest {

    @Test
    void devFileIsTheDefaultAndNeedsNoServer() {
        KeycloakServer.Builder builder = KeycloakServer.builder();

        assertThat(LocalDatabase.applyTo(builder, null)).isNull();
        assertThat(LocalDatabase.applyTo(builder, " dev-file ")).isNull();
        assertThat(LocalDatabase.unavailableReason(null)).isEmpty();
        assertThat(builder.config().effectiveBuildOptions()).contains("--db=dev-file");
        assertThat(builder.config().startArguments(1, 2)).noneMatch(a -> a.startsWith("--db-"));
    }

    @Test
    void otherDatabasesAreRefusedByName() {
        assertThatThrownBy(() -> LocalDatabase.applyTo(KeycloakServer.builder(), "mysql"))
                .hasMessageContaining("'mysql'").hasMessageContaining("dev-file, postgres and mariadb");
        assertThatThrownBy(() -> LocalDatabase.unavailableReason("mysql")).hasMessageContaining("'mysql'");
    }

    @Test
    void anExternalDatabaseReplacesDevFileAtBuildAndGivesTheConnectionAtStart() {
        KeycloakServer.Builder builder = KeycloakServer.builder()
                .database("mariadb", "jdbc:mariadb://127.0.0.1:5999/keycloak", "u", "p");

        assertThat(builder.config().effectiveBuildOptions()).contains("--db=mariadb").doesNotContain("--db=dev-file");
        assertThat(builder.config().startArguments(1, 2)).contains("--db-url=jdbc:mariadb://127.0.0.1:5999/keycloak",
                "--db-username=u", "--db-password=p");
    }

    @Test
    void aServerThatFailsToComeUpIsClosedAndItsLogNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("server.log"), "FATAL: no space left");
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        LocalDatabase db = new LocalDatabase() {
            public String vendor() {
                return "postgres";
            }

            public String jdbcUrl() {
                return "jdbc:postgresql://127.0.0.1:1/keycloak";
            }

            public String describe() {
                return "test";
            }

            public java.nio.file.Path dir() {
                return dir;
            }

            public void close() {
                closed.set(true);
            }
        };

        assertThat(LocalDatabase.startedOrClosed("PostgreSQL", db, () -> { })).isSameAs(db);
        assertThat(closed).isFalse();
        assertThatThrownBy(() -> LocalDatabase.startedOrClosed("PostgreSQL", db, () -> {
            throw new java.io.IOException("initdb exited with 1");
        })).hasMessageStartingWith("PostgreSQL did not start: initdb exited with 1").hasMessageContaining("FATAL: no space left");
        assertThat(closed).isTrue();
    }
}
