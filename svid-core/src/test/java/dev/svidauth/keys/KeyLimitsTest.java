package dev.svidauth.keys;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.svidauth.svid.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The explicit bounds on the cost of a key set: what a set may hold, and
 * which RSA and EC keys are taken. A set outside the bounds is refused as a whole (the cache then
 * keeps its last-known-good keys, {@link KeySourceCacheTest}); a key outside them is skipped.
 */
class KeyLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final URI SOURCE = URI.create("https://oidc.example.org/keys");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final RSAKey RSA = KeySetParserTest.generateRsa(2048, "rsa");

    private static byte[] jwks(ObjectNode... keys) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("keys");
        for (ObjectNode k : keys) {
            arr.add(k);
        }
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode ec(String kid) {
        return KeySetParserTest.spireKey(KeySetParserTest.generateEc(Curve.P_256, kid), "ES256", null);
    }

    private static ObjectNode rsa(String kid, BigInteger n, BigInteger e) {
        ObjectNode k = JSON.createObjectNode();
        k.put("kty", "RSA").put("kid", kid).put("n", Base64URL.encode(n).toString()).put("e", Base64URL.encode(e).toString());
        return k;
    }

    /** A random odd number of exactly {@code bits} bits: the cost of a key depends on its sizes only. */
    private static BigInteger odd(int bits) {
        return new BigInteger(bits, RANDOM).setBit(bits - 1).setBit(0);
    }

    @Test
    void theKeySetOfFinding8IsRefusedBeforeAnyKeyIsRead() {
        // 470 RSA keys under one kid, 3072-bit moduli, exponents of about 3,070 bits
        ObjectNode[] keys = new ObjectNode[470];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = rsa("costly", odd(3072), odd(3070));
        }
        byte[] doc = jwks(keys);
        assertThat(doc.length).as("just under the default 512 KiB size cap").isLessThan(512 * 1024);

        long start = System.nanoTime();
        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, doc)).isInstanceOf(KeySourceException.class)
                .hasMessageContaining("publishes 470 keys; a key set of at most 64 is accepted");
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms to refuse it").isLessThan(1000);
    }

    @Test
    void atMostMaxJwtKeysAreAccepted() throws Exception {
        ObjectNode[] keys = new ObjectNode[KeyLimits.MAX_JWT_KEYS + 1];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ec("k" + i);
        }
        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, jwks(keys))).isInstanceOf(KeySourceException.class)
                .hasMessageContaining("publishes 17 signing keys; at most 16 are accepted");
        assertThat(KeySetParser.parse(SOURCE, jwks(java.util.Arrays.copyOf(keys, KeyLimits.MAX_JWT_KEYS))).keys())
                .hasSize(KeyLimits.MAX_JWT_KEYS);
    }

    @Test
    void aKidUsedTwiceAmongTheSigningKeysRefusesTheSet() {
        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, jwks(ec("same"), ec("other"), ec("same"))))
                .isInstanceOf(KeySourceException.class).hasMessageContaining("two signing keys with kid 'same'");
    }

    @Test
    void keysWithoutKidAndKeysOfAnotherUseDoNotCountAsDuplicates() throws Exception {
        ObjectNode noKid1 = ec("x");
        noKid1.remove("kid");
        ObjectNode noKid2 = ec("y");
        noKid2.remove("kid");
        ObjectNode enc = ec("same").put("use", "enc");

        assertThat(KeySetParser.parse(SOURCE, jwks(noKid1, noKid2, ec("same"), enc)).keys()).hasSize(3);
    }

    @Test
    void aBundleWithMoreThanMaxAuthoritiesIsRefused() {
        TestCertificates.Issued root = TestCertificates.root("example.org", Instant.now());
        StringBuilder doc = new StringBuilder("{\"spiffe_sequence\":1,\"keys\":[");
        for (int i = 0; i <= KeyLimits.MAX_X509_AUTHORITIES; i++) {
            doc.append(i == 0 ? "" : ",").append(TestCertificates.bundleEntry(root.cert()));
        }
        byte[] body = doc.append("]}").toString().getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, body)).isInstanceOf(KeySourceException.class)
                .hasMessageContaining("publishes 17 X.509 authorities; at most 16 are accepted");
    }

    @Test
    void anAuthorityWithAnOutOfBoundsKeyIsSkipped() throws Exception {
        Instant now = Instant.now();
        TestCertificates.Issued good = TestCertificates.root("example.org", now);
        TestCertificates.Issued big = TestCertificates.issue(new TestCertificates.Spec(now).subject("CN=big")
                .uris("spiffe://example.org").ca().keys(TestCertificates.rsa(1024)), null);
        String doc = "{\"spiffe_sequence\":1,\"keys\":[" + TestCertificates.bundleEntry(good.cert()) + ","
                + TestCertificates.bundleEntry(big.cert()) + "]}";

        KeySet set = KeySetParser.parse(SOURCE, doc.getBytes(StandardCharsets.UTF_8));

        assertThat(set.x509Authorities()).containsExactly(good.cert());
        assertThat(set.skipped()).anySatisfy(s -> assertThat(s).contains("1024-bit RSA key"));
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 17, 65537, Integer.MAX_VALUE})
    void rsaExponentsAsIssuersUseThemAreAccepted(int e) throws Exception {
        assertThat(KeyLimits.rsaProblem(RSA.getModulus().decodeToBigInteger(), BigInteger.valueOf(e))).isNull();
        VerificationKey.of(new RSAKey.Builder(RSA.getModulus(), Base64URL.encode(BigInteger.valueOf(e))).keyID("k").build());
    }

    @Test
    void rsaExponentsBeyondWhatIssuersUseAreRefused() {
        BigInteger n = RSA.getModulus().decodeToBigInteger();
        assertThat(KeyLimits.rsaProblem(n, BigInteger.valueOf(65536))).contains("(even)");
        assertThat(KeyLimits.rsaProblem(n, BigInteger.ONE)).contains("odd exponent from 3 to 2^31-1");
        assertThat(KeyLimits.rsaProblem(n, BigInteger.valueOf(Integer.MAX_VALUE).add(BigInteger.TWO))).contains("32 bits");
        assertThat(KeyLimits.rsaProblem(n, odd(2040))).contains("2040 bits");
        assertThatThrownBy(() -> VerificationKey.of(new RSAKey.Builder(RSA.getModulus(), Base64URL.encode(odd(2040)))
                .keyID("costly").build())).isInstanceOf(KeySourceException.class).hasMessageContaining("key 'costly' has an RSA public exponent");
    }

    @Test
    void rsaModuliFrom2048To4096BitsAreAccepted() {
        BigInteger e = BigInteger.valueOf(65537);
        assertThat(KeyLimits.rsaProblem(odd(2048), e)).isNull();
        assertThat(KeyLimits.rsaProblem(odd(3072), e)).isNull();
        assertThat(KeyLimits.rsaProblem(odd(4096), e)).isNull();
        assertThat(KeyLimits.rsaProblem(odd(2047), e)).contains("2047-bit RSA key");
        assertThat(KeyLimits.rsaProblem(odd(4097), e)).contains("4097-bit RSA key; 2048 to 4096 bits are accepted");
        assertThatThrownBy(() -> VerificationKey.of(new RSAKey.Builder(Base64URL.encode(odd(8192)), Base64URL.encode(e))
                .keyID("big").build())).isInstanceOf(KeySourceException.class).hasMessageContaining("8192-bit RSA key");
    }

    @Test
    void aSetWhoseOnlyKeysAreOutOfBoundsIsRefusedLikeAMalformedOne() {
        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, jwks(rsa("costly", odd(3072), odd(3070)))))
                .isInstanceOf(KeySourceException.class).hasMessageContaining("published no usable signing key")
                .hasMessageContaining("RSA public exponent");
    }

    @Test
    void ecKeysOnlyOnNamedCurves() throws Exception {
        ECKey p256 = KeySetParserTest.generateEc(Curve.P_256, "p256");
        ObjectNode offCurve = KeySetParserTest.spireKey(p256, "ES256", null);
        offCurve.put("y", KeySetParserTest.spireKey(KeySetParserTest.generateEc(Curve.P_256, "o"), "ES256", null).get("y").asText());
        ObjectNode secp256k1 = KeySetParserTest.spireKey(KeySetParserTest.generateEc(Curve.P_256, "k"), "ES256", null);
        secp256k1.put("crv", "secp256k1");
        ObjectNode noCurve = KeySetParserTest.spireKey(KeySetParserTest.generateEc(Curve.P_256, "n"), "ES256", null);
        noCurve.remove("crv");

        KeySet set = KeySetParser.parse(SOURCE, jwks(KeySetParserTest.spireKey(p256, "ES256", null).put("kid", "good"),
                offCurve.put("kid", "off"), secp256k1.put("kid", "k1"), noCurve.put("kid", "none")));

        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly("good");
        assertThat(set.skipped()).hasSize(3);
    }

    @Test
    void explicitCurveParametersAreComparedWithTheNamedCurves() throws Exception {
        java.security.interfaces.ECPublicKey p384 = (java.security.interfaces.ECPublicKey) TestCertificates.ec("secp384r1").getPublic();
        assertThat(KeyLimits.namedCurve(p384.getParams())).isEqualTo("secp384r1");
        java.security.spec.ECParameterSpec p = p384.getParams();
        java.security.spec.ECParameterSpec madeUp = new java.security.spec.ECParameterSpec(p.getCurve(), p.getGenerator(),
                p.getOrder().subtract(BigInteger.TWO), p.getCofactor());
        assertThat(KeyLimits.namedCurve(madeUp)).isNull();
        assertThat(KeyLimits.publicKeyProblem(TestCertificates.ec("secp256r1").getPublic())).isNull();
    }
}
