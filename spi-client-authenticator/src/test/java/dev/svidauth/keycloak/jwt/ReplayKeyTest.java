package dev.svidauth.keycloak.jwt;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A single-use JWT-SVID is recorded per realm and client. */
class ReplayKeyTest {

    @Test
    void replayKeysAreScopedToRealmAndClient() {
        String svidKey = "svid-auth.replay.DIGEST";
        String a = JwtSvidVerification.replayKey("realm-1", "client-a", svidKey);
        assertThat(a).isEqualTo("svid-auth.replay.realm-1.client-a.DIGEST");
        assertThat(JwtSvidVerification.replayKey("realm-1", "client-b", svidKey)).isNotEqualTo(a);
        assertThat(JwtSvidVerification.replayKey("realm-2", "client-a", svidKey)).isNotEqualTo(a);
        assertThat(JwtSvidVerification.replayKey("realm-1", "client-a", svidKey)).isEqualTo(a);
    }
}
