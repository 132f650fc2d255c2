package dev.svidauth.svid;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A single-use SVID must stay single-use however its signature is re-encoded: ECDSA signatures are
 * malleable ((r, s) and (r, n - s) both verify) and base64url has spare bits in a part's last
 * character. Found by {@link SvidFuzzTest}.
 */
class SignatureMalleabilityTest {

    private static final Instant NOW = Instant.parse("2026-07-01T12:00:00Z");
    private static final String AUD = "https://keycloak.example.com/realms/svid";
    private static final String KID = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    private final JwtSvidVerifier verifier = new JwtSvidVerifier(Clock.fixed(NOW, ZoneOffset.UTC));
    private KeyPair ec;
    private KeyResolver keys;
    private String token;

    @BeforeEach
    void setUp() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        ec = g.generateKeyPair();
        VerificationKey key = VerificationKey.of(new ECKey.Builder(Curve.P_256, (ECPublicKey) ec.getPublic()).keyID(KID).build());
        keys = (kid, alg) -> List.of(key);
        long now = NOW.getEpochSecond();
        String input = b64(("{\"alg\":\"ES256\",\"kid\":\"" + KID + "\",\"typ\":\"JWT\"}").getBytes(StandardCharsets.UTF_8)) + "."
                + b64(("{\"aud\":[\"" + AUD + "\"],\"exp\":" + (now + 300) + ",\"iat\":" + now
                + ",\"sub\":\"spiffe://example.org/ns/apps/sa/payments\"}").getBytes(StandardCharsets.UTF_8));
        Signature sig = Signature.getInstance("SHA256withECDSAinP1363Format");
        sig.initSign(ec.getPrivate());
        sig.update(input.getBytes(StandardCharsets.US_ASCII));
        token = input + "." + b64(sig.sign());
    }

    @Test
    void negatedEcdsaSignatureIsTheSameSvidForReplayDetection() throws Exception {
        String malleated = withSignature(token, negateS(signature(token)));
        assertThat(malleated).isNotEqualTo(token);
        // Both signatures are mathematically valid: rejecting high-s would refuse half of what
        // Go's crypto/ecdsa (SPIRE) signs, so the defence is a replay key that ignores them.
        assertThat(verify(malleated, ReplayGuard.NONE, false).spiffeId().toString()).endsWith("/payments");

        ReplayGuard guard = memoryGuard();
        verify(token, guard, true);
        assertThatThrownBy(() -> verify(malleated, guard, true))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REPLAYED));
    }

    @Test
    void nonCanonicalBase64urlSignatureIsRefused() {
        String sig = token.substring(token.lastIndexOf('.') + 1);
        assertThat(sig.length() % 4).as("64-byte signature: 86 characters, 2 spare bits").isEqualTo(2);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(sig.charAt(sig.length() - 1));
        String twin = token.substring(0, token.length() - 1) + alphabet.charAt(last | 0x01);
        assertThat(Base64.getUrlDecoder().decode(twin.substring(twin.lastIndexOf('.') + 1)))
                .as("the JDK decoder reads both spellings as the same bytes")
                .isEqualTo(Base64.getUrlDecoder().decode(sig));

        assertThatThrownBy(() -> ParsedJwtSvid.parse(twin))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.MALFORMED);
                    assertThat(e.getMessage()).contains("not canonically base64url-encoded");
                });
    }

    @Test
    void nonCanonicalHeaderOrPayloadIsRefusedBeforeTheSignatureCheck() throws Exception {
        String[] parts = token.split("\\.");
        for (int i = 0; i < 2; i++) {
            String part = parts[i];
            if (part.length() % 4 == 0) {
                continue;
            }
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            int last = alphabet.indexOf(part.charAt(part.length() - 1));
            String[] copy = parts.clone();
            copy[i] = part.substring(0, part.length() - 1) + alphabet.charAt(last ^ 0x01);
            String twin = String.join(".", copy);
            assertThatThrownBy(() -> ParsedJwtSvid.parse(twin))
                    .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED));
        }
    }

    private VerifiedJwtSvid verify(String t, ReplayGuard guard, boolean singleUse) throws SvidRejectedException {
        SvidPolicy policy = SvidPolicy.builder().singleUse(singleUse).build();
        return verifier.verify(ParsedJwtSvid.parse(t), policy, Set.of(AUD), keys, guard);
    }

    private static ReplayGuard memoryGuard() {
        Set<String> seen = new HashSet<>();
        return (key, seconds) -> seen.add(key);
    }

    private static byte[] signature(String t) {
        return Base64.getUrlDecoder().decode(t.substring(t.lastIndexOf('.') + 1));
    }

    private static String withSignature(String t, byte[] sig) {
        return t.substring(0, t.lastIndexOf('.') + 1) + b64(sig);
    }

    private static byte[] negateS(byte[] p1363) {
        byte[] out = Arrays.copyOf(p1363, 64);
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(p1363, 32, 64));
        byte[] neg = P256_ORDER.subtract(s).toByteArray();
        Arrays.fill(out, 32, 64, (byte) 0);
        int len = Math.min(neg.length, 32);
        System.arraycopy(neg, neg.length - len, out, 64 - len, len);
        return out;
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
