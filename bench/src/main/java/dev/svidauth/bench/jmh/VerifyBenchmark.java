package dev.svidauth.bench.jmh;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.spire.KeyType;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.svid.KeyResolver;
import dev.svidauth.svid.ParsedSvid;
import dev.svidauth.svid.ReplayGuard;
import dev.svidauth.svid.SvidPolicy;
import dev.svidauth.svid.SvidVerifier;
import dev.svidauth.svid.VerifiedSvid;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The verification core (steps 2-8: {@link ParsedSvid#parse} and {@link SvidVerifier#verify}
 * with the key already cached) next to the least work the JDK needs for the same token: one
 * {@link Signature} verification over {@code header.payload}, with the signature decoded and the
 * signature object created outside the measured loop. Tokens are minted by the SPIRE emulator
 * (SPIRE's header and claims), ES256 (SPIRE's default key type) and RS256.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class VerifyBenchmark {

    static final String SPIFFE_ID = "spiffe://example.org/ns/bench/sa/svid";
    static final String AUDIENCE = "http://127.0.0.1:8080/realms/bench";

    @Param({"ES256", "RS256"})
    public String alg;

    private String token;
    private SvidVerifier verifier;
    private SvidPolicy policy;
    private Set<String> serverAudiences;
    private KeyResolver keys;

    private Signature jdk;
    private PublicKey publicKey;
    private byte[] signingInput;
    private byte[] signature;

    @Setup
    public void setUp() throws Exception {
        KeyType type = "ES256".equals(alg) ? KeyType.EC_P256 : KeyType.RSA_2048;
        JWK jwk;
        try (SpireEmulator spire = SpireEmulator.builder().trustDomain("example.org").keyType(type).start()) {
            token = spire.svid(SPIFFE_ID).audience(AUDIENCE).ttl(Duration.ofHours(1)).mint();
            jwk = spire.publishedKeys().get(0);
        }
        List<VerificationKey> cached = List.of(VerificationKey.of(jwk));
        keys = (kid, a) -> cached;
        verifier = new SvidVerifier(Clock.systemUTC());
        policy = SvidPolicy.builder().build();
        serverAudiences = Set.of(AUDIENCE, AUDIENCE + "/protocol/openid-connect/token");

        int dot = token.lastIndexOf('.');
        signingInput = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
        signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
        if ("ES256".equals(alg)) {
            publicKey = ((ECKey) jwk).toECPublicKey();
            jdk = Signature.getInstance("SHA256withECDSAinP1363Format");
        } else {
            publicKey = ((RSAKey) jwk).toRSAPublicKey();
            jdk = Signature.getInstance("SHA256withRSA");
        }
        if (core() == null || !bareJdk()) {
            throw new IllegalStateException("benchmark token does not verify");
        }
    }

    /** Parse (size, JWS shape, header, claims, SPIFFE ID) and verify (issuer, audience, time, key, signature). */
    @Benchmark
    public VerifiedSvid core() throws Exception {
        ParsedSvid parsed = ParsedSvid.parse(token);
        return verifier.verify(parsed, policy, serverAudiences, keys, ReplayGuard.NONE);
    }

    /** java.security.Signature alone, over the same bytes. */
    @Benchmark
    public boolean bareJdk() throws Exception {
        jdk.initVerify(publicKey);
        jdk.update(signingInput);
        return jdk.verify(signature);
    }
}
