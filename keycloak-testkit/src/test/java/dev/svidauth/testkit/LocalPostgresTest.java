package dev.svidauth.testkit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalPostgresTest {

    @Test
    void devFileIsTheDefaultAndNeedsNoServer() {
        KeycloakServer.Builder builder = KeycloakServer.builder();

        assertThat(LocalPostgres.applyTo(builder, null)).isNull();
        assertThat(LocalPostgres.applyTo(builder, " dev-file ")).isNull();
        assertThat(builder.effectiveBuildOptions()).contains("--db=dev-file");
        assertThat(builder.startArguments(1, 2)).noneMatch(a -> a.startsWith("--db-"));
    }

    @Test
    void otherDatabasesAreRefusedByName() {
        assertThatThrownBy(() -> LocalPostgres.applyTo(KeycloakServer.builder(), "mysql"))
                .hasMessageContaining("'mysql'").hasMessageContaining("dev-file and postgres");
    }

    @Test
    void anExternalDatabaseReplacesDevFileAtBuildAndGivesTheConnectionAtStart() {
        KeycloakServer.Builder builder = KeycloakServer.builder()
                .database("postgres", "jdbc:postgresql://127.0.0.1:5999/keycloak", "u", "p");

        assertThat(builder.effectiveBuildOptions()).contains("--db=postgres").doesNotContain("--db=dev-file");
        assertThat(builder.startArguments(1, 2)).contains("--db-url=jdbc:postgresql://127.0.0.1:5999/keycloak",
                "--db-username=u", "--db-password=p");
    }
}
