package dev.svidauth.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SystemPropertiesTest {

    @Test
    void aSetPropertyIsReturnedStripped() {
        Map<String, String> props = Map.of("keycloak.dist.zip", " /d/kc.zip\n");

        assertThat(SystemProperties.required("keycloak.dist.zip", props::get)).isEqualTo("/d/kc.zip");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "  "})
    void anUnsetOrBlankPropertyFailsNamingItAndTheCommandThatSetsIt(String value) {
        assertThatThrownBy(() -> SystemProperties.required("svid.realm.file", name -> value))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("system property svid.realm.file is not set")
                .hasMessageContaining("./mvnw verify");
    }
}
