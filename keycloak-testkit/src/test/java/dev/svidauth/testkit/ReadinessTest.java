package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadinessTest {

    private static final String UP = "{\n    \"status\": \"UP\",\n    \"checks\": [\n"
            + "        {\n            \"name\": \"Keycloak database connections async health check\",\n"
            + "            \"status\": \"UP\"\n        }\n    ]\n}";
    private static final String DOWN = "{\"status\":\"DOWN\",\"checks\":[{\"name\":\"db\",\"status\":\"DOWN\"}]}";

    @Test
    void upOnlyWith200AndStatusUp() {
        assertThat(Readiness.isUp(200, UP)).isTrue();
        assertThat(Readiness.isUp(503, UP)).isFalse();
        assertThat(Readiness.isUp(200, DOWN)).isFalse();
        assertThat(Readiness.isUp(503, DOWN)).isFalse();
    }

    @Test
    void notUpForOtherBodies() {
        assertThat(Readiness.isUp(200, "")).isFalse();
        assertThat(Readiness.isUp(200, null)).isFalse();
        assertThat(Readiness.isUp(200, "<html>UP</html>")).isFalse();
        assertThat(Readiness.isUp(200, "{\"checks\":[{\"status\":\"UP\"}]}")).isFalse();
        assertThat(Readiness.isUp(200, "{\"status\":true}")).isFalse();
        assertThat(Readiness.isUp(200, "[\"UP\"]")).isFalse();
    }

    @Test
    void readsStatus() {
        assertThat(Readiness.status(UP)).isEqualTo("UP");
        assertThat(Readiness.status(DOWN)).isEqualTo("DOWN");
        assertThat(Readiness.status("not json")).isNull();
    }
}
