package dev.svidauth.it.keysource;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.HostileKeySource;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On the real server: a key set built to make every verification expensive
 * (470 RSA keys under one {@code kid}, 3072-bit moduli with public exponents of about 3,070 bits,
 * just under the size cap) is refused as a whole when it is fetched: the request answers
 * {@code key_source_unavailable} at once, and no public-key operation runs with those keys.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeySetLimitsIT {

    private static final String CLIENT = "hostile-key-set";
    private static final String SPIFFE_ID = "spiffe://costly.test/ns/hostile/sa/key-set";
    private static final String KID = "costly";
    private static final int KEYS = 470;
    /** Far below the seconds of CPU the key set costs when every key is tried; generous for a loaded machine. */
    private static final long QUICK_MILLIS = 2000;

    private final SvidRealm env;
    private HostileKeySource source;
    private int documentBytes;

    KeySetLimitsIT(SvidRealm env) {
        this.env = env;
    }

    /** 470 keys, one kid, a 3072-bit modulus and a ~3,070-bit odd exponent each (random: only the cost matters). */
    static String costlyKeySet(SecureRandom random) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        StringBuilder doc = new StringBuilder("{\"keys\":[");
        for (int i = 0; i < KEYS; i++) {
            BigInteger n = new BigInteger(3072, random).setBit(3071).setBit(0);
            BigInteger e = new BigInteger(3070, random).setBit(3069).setBit(0);
            doc.append(i == 0 ? "" : ",").append("{\"kty\":\"RSA\",\"kid\":\"").append(KID).append("\",\"n\":\"")
                    .append(b64.encodeToString(unsigned(n))).append("\",\"e\":\"").append(b64.encodeToString(unsigned(e)))
                    .append("\"}");
        }
        return doc.append("]}").toString();
    }

    private static byte[] unsigned(BigInteger v) {
        byte[] b = v.toByteArray();
        return b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
    }

    @BeforeAll
    void setUp() {
        String doc = costlyKeySet(new SecureRandom());
        documentBytes = doc.getBytes(StandardCharsets.UTF_8).length;
        source = HostileKeySource.serving(doc);
        OwnKeySource.createClient(env, CLIENT, Map.of("svid.spiffe.id", SPIFFE_ID, "svid.jwks.uri", env.forKeycloak(source.url()),
                "svid.algorithms", "RS256"));
    }

    @AfterAll
    void tearDown() {
        OwnKeySource.deleteClient(env, CLIENT);
        source.close();
    }

    /** An RS256 SVID under the costly kid whose signature has the moduli's length (so every key would be tried). */
    private String svid(SecureRandom random) {
        byte[] signature = new byte[384];
        random.nextBytes(signature);
        signature[0] = 1;
        return Forge.b64(Forge.header("RS256", KID)) + "." + Forge.b64(Forge.claims(SPIFFE_ID, env.audience(), null)) + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    }

    @Test
    void costlyKeySetIsRefusedWhenFetchedAndCostsNoVerification() {
        assertThat(documentBytes).as("document size, under the 512 KiB size cap").isLessThan(512 * 1024);
        SecureRandom random = new SecureRandom();
        for (int round = 1; round <= 2; round++) {
            long start = System.nanoTime();
            FormPost.Answer answer = env.token(SvidRealm.JWT_SPIFFE, svid(random), CLIENT);
            long millis = (System.nanoTime() - start) / 1_000_000;
            JsonNode event = env.lastLoginError();
            System.out.printf("[key-set-limits] %d keys under one kid, %d bytes, round %d: %d after %d ms, reason %s: %s%n", KEYS,
                    documentBytes, round, answer.status, millis, event.path("details").path("reason").asText(),
                    answer.json == null ? answer.body : answer.json.path("error_description").asText());
            assertThat(answer.status).as(answer.toString()).isEqualTo(401);
            assertThat(answer.error()).isEqualTo("invalid_client");
            assertThat(event.path("details").path("client_assertion_sub").asText()).isEqualTo(SPIFFE_ID);
            assertThat(event.path("details").path("reason").asText()).isEqualTo("key_source_unavailable");
            assertThat(millis).as("ms for round " + round).isLessThan(QUICK_MILLIS);
        }
    }
}
