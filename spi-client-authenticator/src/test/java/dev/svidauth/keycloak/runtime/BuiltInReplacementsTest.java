package dev.svidauth.keycloak.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.keycloak.Config;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The switches of the replaced Keycloak built-ins: both on unless set, each read under its own
 * name, and found by {@link BuiltInReplacements#ofServer()} in the scope of {@code client-svid-jwt}
 * (here Keycloak's system-property configuration, as in a server without Quarkus).
 */
class BuiltInReplacementsTest {

    private static final String PREFIX = "svidauth.test.replacements.";
    private static final String SERVER_PREFIX = "keycloak.client-authenticator.client-svid-jwt.";

    @AfterEach
    void cleanUp() {
        for (String name : new String[] {BuiltInReplacements.CLIENT_VALIDATION, BuiltInReplacements.CLIENT_REGISTRATION}) {
            System.clearProperty(PREFIX + name);
            System.clearProperty(SERVER_PREFIX + name);
        }
    }

    @Test
    void bothReplacementsAreOnUnlessSet() {
        assertThat(BuiltInReplacements.read(new Config.SystemPropertiesScope(PREFIX))).isEqualTo(new BuiltInReplacements(true, true));
        assertThat(BuiltInReplacements.ofServer()).isEqualTo(BuiltInReplacements.DEFAULTS);
    }

    @Test
    void eachSwitchIsReadUnderItsName() {
        System.setProperty(PREFIX + "replace-client-validation", "false");
        assertThat(BuiltInReplacements.read(new Config.SystemPropertiesScope(PREFIX))).isEqualTo(new BuiltInReplacements(false, true));

        System.clearProperty(PREFIX + "replace-client-validation");
        System.setProperty(PREFIX + "replace-client-registration", "false");
        assertThat(BuiltInReplacements.read(new Config.SystemPropertiesScope(PREFIX))).isEqualTo(new BuiltInReplacements(true, false));
    }

    @Test
    void theReplacingFactoriesReadTheOptionsOfClientSvidJwt() {
        System.setProperty(SERVER_PREFIX + "replace-client-validation", "false");
        System.setProperty(SERVER_PREFIX + "replace-client-registration", "false");

        assertThat(BuiltInReplacements.ofServer()).isEqualTo(new BuiltInReplacements(false, false));
    }
}
