package dev.svidauth.svid;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;

import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerifiedJwtSignatureCacheTest {

    private static final long NOW = 1_700_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final String REALM = "https://kc.example.org/realms/apps";
    private static final Set<String> AUDIENCES = Set.of(REALM, REALM + "/protocol/openid-connect/token");
    private static final ECKey KEY = Jws.ec(Curve.P_256, "ec256");

    /** Counts the ECDSA verifications actually performed. */
    static final AtomicInteger VERIFICATIONS = new AtomicInteger();

    public static final class CountingEcdsa extends SignatureSpi {
        private final Signature delegate;

        public CountingEcdsa() throws Exception {
            delegate = Signature.getInstance("SHA256withECDSA", "SunEC");
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            delegate.initVerify(publicKey);
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void engineUpdate(byte b) throws SignatureException {
            delegate.update(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
            delegate.update(b, off, len);
        }

        @Override
        protected byte[] engineSign() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            VERIFICATIONS.incrementAndGet();
            return delegate.verify(sigBytes);
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new UnsupportedOperationException();
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new UnsupportedOperationException();
        }
    }

    private static final Provider COUNTING = new Provider("CountingEcdsa", "1", "counts verifications") {
        private static final long serialVersionUID = 1L;

        {
            put("Signature.SHA256withECDSA", CountingEcdsa.class.getName());
        }
    };

    private static VerificationKey key() throws Exception {
        return VerificationKey.of(KEY.toPublicJWK(), COUNTING);
    }

    private static String token() {
        return JwtSvidVerifierTest.token(KEY, JWSAlgorithm.ES256, "ec256", JwtSvidVerifierTest.claims());
    }

    private static VerifiedJwtSvid verify(JwtSvidVerifier verifier, String token, SvidPolicy policy, VerificationKey... keys)
            throws SvidRejectedException {
        List<VerificationKey> candidates = List.of(keys);
        return verifier.verify(ParsedJwtSvid.parse(token), policy, AUDIENCES, (kid, alg) -> candidates, ReplayGuard.NONE);
    }

    @Test
    void theSameSvidIsVerifiedOnceWhileItsKeyIsStillOffered() throws Exception {
        VerificationKey key = key();
        JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK, new VerifiedJwtSignatureCache(100));
        String token = token();
        int before = VERIFICATIONS.get();
        assertThat(verify(verifier, token, SvidPolicy.builder().build(), key).keyId()).isEqualTo("ec256");
        assertThat(verify(verifier, token, SvidPolicy.builder().build(), key).keyId()).isEqualTo("ec256");
        assertThat(verify(verifier, token, SvidPolicy.builder().build(), key).keyId()).isEqualTo("ec256");
        assertThat(VERIFICATIONS.get() - before).isEqualTo(1);
    }

    @Test
    void withoutTheCacheEveryPresentationIsVerified() throws Exception {
        VerificationKey key = key();
        JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK);
        String token = token();
        int before = VERIFICATIONS.get();
        verify(verifier, token, SvidPolicy.builder().build(), key);
        verify(verifier, token, SvidPolicy.builder().build(), key);
        assertThat(VERIFICATIONS.get() - before).isEqualTo(2);
    }

    @Test
    void aKeyNoLongerOfferedMeansAFreshCheck() throws Exception {
        VerificationKey first = key();
        VerificationKey refetched = key(); // same public key, fetched again: another object
        JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK, new VerifiedJwtSignatureCache(100));
        String token = token();
        int before = VERIFICATIONS.get();
        verify(verifier, token, SvidPolicy.builder().build(), first);
        verify(verifier, token, SvidPolicy.builder().build(), refetched);
        assertThat(VERIFICATIONS.get() - before).isEqualTo(2);
        // and a key set that no longer holds a verifying key refuses the SVID, cached or not
        VerificationKey other = VerificationKey.of(Jws.ec(Curve.P_256, "ec256").toPublicJWK(), COUNTING);
        assertThatThrownBy(() -> verify(verifier, token, SvidPolicy.builder().build(), other))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    }

    @Test
    void onlyTheByteIdenticalTokenIsTrusted() throws Exception {
        VerificationKey key = key();
        JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK, new VerifiedJwtSignatureCache(100));
        String token = token();
        verify(verifier, token, SvidPolicy.builder().build(), key);
        int dot = token.lastIndexOf('.');
        char c = token.charAt(dot + 5);
        String tampered = token.substring(0, dot + 5) + (c == 'A' ? 'B' : 'A') + token.substring(dot + 6);
        assertThatThrownBy(() -> verify(verifier, tampered, SvidPolicy.builder().build(), key))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    }

    @Test
    void everyOtherCheckStillRunsOnARememberedSvid() throws Exception {
        VerificationKey key = key();
        JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK, new VerifiedJwtSignatureCache(100));
        String token = token();
        verify(verifier, token, SvidPolicy.builder().build(), key);
        assertThatThrownBy(() -> verify(verifier, token, SvidPolicy.builder().issuer("https://pinned.example.org").build(), key))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_ISSUER));
        assertThatThrownBy(() -> verify(verifier, token, SvidPolicy.builder().algorithms(Set.of("RS256")).build(), key))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_ALG));
        assertThatThrownBy(() -> verifier.verify(ParsedJwtSvid.parse(token), SvidPolicy.builder().build(), Set.of("https://elsewhere"),
                (kid, alg) -> List.of(key), ReplayGuard.NONE))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_AUDIENCE));
        JwtSvidVerifier later = new JwtSvidVerifier(Clock.fixed(Instant.ofEpochSecond(NOW + 3600), ZoneOffset.UTC), new VerifiedJwtSignatureCache(100));
        assertThatThrownBy(() -> verify(later, token, SvidPolicy.builder().build(), key))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
        JwtSvidVerifierTest.MemoryReplayGuard replay = new JwtSvidVerifierTest.MemoryReplayGuard();
        SvidPolicy once = SvidPolicy.builder().singleUse(true).build();
        verifier.verify(ParsedJwtSvid.parse(token), once, AUDIENCES, (kid, alg) -> List.of(key), replay);
        assertThatThrownBy(() -> verifier.verify(ParsedJwtSvid.parse(token), once, AUDIENCES, (kid, alg) -> List.of(key), replay))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REPLAYED));
    }

    @Test
    void failedVerificationsAreNotRemembered() throws Exception {
        VerificationKey wrong = VerificationKey.of(Jws.ec(Curve.P_256, "ec256").toPublicJWK(), COUNTING);
        VerifiedJwtSignatureCache cache = new VerifiedJwtSignatureCache(100);
        JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK, cache);
        assertThatThrownBy(() -> verify(verifier, token(), SvidPolicy.builder().build(), wrong)).isInstanceOf(SvidRejectedException.class);
        assertThat(cache.size()).isZero();
    }

    /** A parsed SVID whose token differs from the others' by its {@code jti}, padded with {@code extra} characters. */
    private static ParsedJwtSvid parsed(String jti, int extra) throws SvidRejectedException {
        return ParsedJwtSvid.parse(JwtSvidVerifierTest.token(KEY, JWSAlgorithm.ES256, "ec256",
                JwtSvidVerifierTest.claims(c -> c.put("jti", jti).put("pad", "p".repeat(extra)))));
    }

    @Test
    void entriesEndWithTheSvidAndTheCacheStaysBounded() throws Exception {
        VerificationKey key = key();
        VerifiedJwtSignatureCache cache = new VerifiedJwtSignatureCache(2);
        long now = NOW * 1000;
        ParsedJwtSvid a = parsed("a", 0);
        cache.remember(a, key, now + 1000, now);
        assertThat(cache.verifiedBy(a, List.of(key), now)).isSameAs(key);
        assertThat(cache.verifiedBy(a, List.of(key), now + 1000)).isNull();
        assertThat(cache.size()).isZero();
        cache.remember(parsed("expired", 0), key, now, now);
        assertThat(cache.size()).isZero();
        cache.remember(parsed("b", 0), key, now + 1000, now);
        cache.remember(parsed("c", 0), key, now + 1000, now);
        ParsedJwtSvid d = parsed("d", 0);
        cache.remember(d, key, now + 1000, now);
        assertThat(cache.size()).isLessThanOrEqualTo(2);
        assertThat(cache.verifiedBy(d, List.of(key), now)).isSameAs(key);
        ParsedJwtSvid large = parsed("large", VerifiedJwtSignatureCache.MAX_TOKEN_LENGTH);
        assertThat(large.token().length()).isGreaterThan(VerifiedJwtSignatureCache.MAX_TOKEN_LENGTH);
        cache.remember(large, key, now + 1000, now);
        assertThat(cache.verifiedBy(large, List.of(key), now)).isNull();
        assertThat(VerifiedJwtSignatureCache.DISABLED.enabled()).isFalse();
    }

    @Test
    void aTokenPresentedAgainIsNotParsedAgainAndStillChecked() throws Exception {
        VerifiedJwtSignatureCache cache = new VerifiedJwtSignatureCache(100);
        JwtSvidVerifier verifier = new JwtSvidVerifier(CLOCK, cache);
        List<VerificationKey> keys = List.of(key());
        String token = token();
        ParsedJwtSvid first = verifier.parse(token);
        assertThat(verifier.parse(new String(token))).as("not yet verified: parsed anew").isNotSameAs(first);
        verifier.verify(first, SvidPolicy.builder().build(), AUDIENCES, (kid, alg) -> keys, ReplayGuard.NONE);
        ParsedJwtSvid second = verifier.parse(new String(token));
        assertThat(second).as("verified once: only the key is kept, so it is parsed again").isNotSameAs(first);
        verifier.verify(second, SvidPolicy.builder().build(), AUDIENCES, (kid, alg) -> keys, ReplayGuard.NONE);
        ParsedJwtSvid again = verifier.parse(new String(token));
        assertThat(again).as("presented again: its parse is kept from now on").isSameAs(second);
        assertThat(again.claimsJson()).isEqualTo(first.claimsJson());
        // the kept parse goes through every check again: here the audience no longer fits
        assertThatThrownBy(() -> verifier.verify(again, SvidPolicy.builder().build(), Set.of("https://other.example"),
                (kid, alg) -> keys, ReplayGuard.NONE))
                .isInstanceOfSatisfying(SvidRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_AUDIENCE));
        // junk is never kept: a token that fails to parse fails on every presentation
        assertThatThrownBy(() -> verifier.parse(token + "x")).isInstanceOf(SvidRejectedException.class);
        assertThat(new JwtSvidVerifier(CLOCK).parse(token)).as("no cache: parsed every time").isNotSameAs(first);
    }
}
