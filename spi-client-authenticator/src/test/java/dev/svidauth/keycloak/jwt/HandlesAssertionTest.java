package dev.svidauth.keycloak.jwt;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Step 1: which assertions client-svid-jwt takes on, and which it leaves to other authenticators. */
class HandlesAssertionTest {

    private static final String SPIFFE = JwtSvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_SPIFFE;
    private static final String BEARER = JwtSvidClientAuthenticatorFactory.ASSERTION_TYPE_JWT_BEARER;

    private static String jwt(String payload) {
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        return b.encodeToString("{\"alg\":\"ES256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".c2ln";
    }

    static Stream<Arguments> cases() {
        String svid = jwt("{\"iss\":\"https://oidc.example.org\",\"sub\":\"spiffe://example.org/w\"}");
        return Stream.of(
                arguments("jwt-spiffe is always ours, even junk", SPIFFE, "junk", true),
                arguments("jwt-bearer SVID", BEARER, svid, true),
                arguments("jwt-bearer SVID without iss", BEARER, jwt("{\"sub\":\"spiffe://example.org/w\"}"), true),
                arguments("self-signed private_key_jwt named by a SPIFFE ID", BEARER,
                        jwt("{\"iss\":\"spiffe://example.org/w\",\"sub\":\"spiffe://example.org/w\"}"), false),
                arguments("private_key_jwt of a normal client", BEARER, jwt("{\"iss\":\"app\",\"sub\":\"app\"}"), false),
                arguments("unreadable jwt-bearer", BEARER, "junk", false),
                arguments("no assertion type", null, svid, false),
                arguments("no assertion", SPIFFE, null, false),
                arguments("other assertion type", "urn:example:other", svid, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void handlesAssertion(String name, String type, String assertion, boolean expected) {
        assertThat(JwtSvidClientAuthenticator.handlesAssertion(type, assertion)).isEqualTo(expected);
    }
}
