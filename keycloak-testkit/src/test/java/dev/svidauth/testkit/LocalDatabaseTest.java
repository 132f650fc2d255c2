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
}
