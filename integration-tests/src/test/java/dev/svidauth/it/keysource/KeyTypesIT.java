package dev.svidauth.it.keysource;

import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.spire.KeyType;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Base64;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * SPIRE's other JWT key types ({@code jwt_key_type} {@code rsa-2048}, {@code rsa-4096},
 * {@code ec-p384}) through both key-source forms: the OIDC Discovery Provider's {@code /keys}, and
 * the SPIFFE bundle endpoint as SPIRE serves it, with the trust domain's X.509 authority
 * ({@code x509-svid}, listed first) next to the JWT keys. Each case has an emulator of its own: a
 * genuine SVID is accepted with the key type's algorithm, a bit of its signature flipped is
 * refused, and a prepared key that SPIRE activates verifies without another fetch.
 */
@ExtendWith(SvidEnvironment.class)
class KeyTypesIT {

    private final SvidRealm env;

    KeyTypesIT(SvidRealm env) {
        this.env = env;
    }

    static Stream<Arguments> keyTypesAndSources() {
        Stream.Builder<Arguments> cases = Stream.builder();
        for (KeyType type : new KeyType[]{KeyType.RSA_2048, KeyType.RSA_4096, KeyType.EC_P384}) {
            cases.add(arguments(type, "keys"));
            cases.add(arguments(type, "bundle"));
        }
        return cases.build();
    }

    @ParameterizedTest(name = "{0} from {1}")
    @MethodSource("keyTypesAndSources")
    void svidsSignedWithEveryKeyTypeSpireOffersAreVerified(KeyType type, String form) {
        boolean bundle = "bundle".equals(form);
        Function<SpireEmulator, Map<String, String>> keySource = s ->
                Map.of("svid.jwks.uri", env.forKeycloak(bundle ? s.bundleUrl() : s.jwksUrl()));
        String name = "kt-" + type.name().toLowerCase().replace('_', '-') + "-" + form;
        try (OwnKeySource src = OwnKeySource.start(env, name, b -> b.keyType(type).x509Authority(true), keySource)) {
            if (bundle) {
                JsonNode keys = env.getJson(src.spire.bundleUrl()).path("keys");
                assertThat(keys.get(0).path("use").asText()).as("SPIRE lists the X.509 authority first").isEqualTo("x509-svid");
                assertThat(keys.get(0).has("x5c")).isTrue();
            }
            SpireEmulator.Endpoint endpoint = bundle ? SpireEmulator.Endpoint.BUNDLE : SpireEmulator.Endpoint.KEYS;
            long fetchesBefore = src.spire.requests(endpoint);
            src.spire.prepareRotation(); // published before the first fetch, signs only later

            String svid = src.validSvid();
            assertThat(OwnKeySource.algOf(svid)).isEqualTo(type.algorithm().getName());
            FormPost.Answer ok = src.token(svid);
            assertThat(ok.status).as(ok.toString()).isEqualTo(200);
            assertThat(SvidRealm.payload(ok.json.path("access_token").asText()).path("azp").asText()).isEqualTo(src.clientId);

            String[] parts = svid.split("\\.");
            byte[] sig = Base64.getUrlDecoder().decode(parts[2]);
            sig[sig.length / 2] ^= 0x01;
            FormPost.Answer tampered = src.token(parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig));
            assertThat(tampered.status).as(tampered.toString()).isEqualTo(401);
            assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("bad_signature");

            src.spire.activateNextKey();
            String rotated = src.validSvid();
            assertThat(OwnKeySource.kidOf(rotated)).isNotEqualTo(OwnKeySource.kidOf(svid));
            FormPost.Answer afterRotation = src.token(rotated);
            assertThat(afterRotation.status).as(afterRotation.toString()).isEqualTo(200);
            assertThat(src.spire.requests(endpoint)).as("one fetch served both keys").isEqualTo(fetchesBefore + 1);
        }
    }
}
