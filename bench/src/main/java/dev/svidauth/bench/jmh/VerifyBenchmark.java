package dev.svidauth.bench.jmh;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.spire.KeyType;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.svid.JwtSvidVerifier;
import dev.svidauth.svid.KeyResolver;
import dev.svidauth.svid.ParsedJwtSvid;
import dev.svidauth.svid.ReplayGuard;
import dev.svidauth.svid.SvidPolicy;
import dev.svidauth.svid.VerifiedJwtSignatureCache;
import dev.svidauth.svid.VerifiedJwtSvid;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The verification core (steps 2-8: {@link ParsedJwtSvid#parse} and {@link JwtSvidVerifier#verify}
 * with the key already cached) next to the least work the JDK's JCA needs for the same token: one
 * {@link Signature} verification over {@code header.payload}, with the signature decoded and the
 * {@code Signature} object created outside the measured loop, using the same JCA provider and the
 * public key in that provider's own form.
 *
 * <p>Configurations: {@code ES256} as deployed (SPIRE's default key type; inside Keycloak ECDSA is
 * checked with Keycloak's BouncyCastle provider), {@code ES256-SunEC} (the JDK's own provider,
 * as outside Keycloak) and {@code RS256} (JDK provider). Tokens are minted by the SPIRE emulator.
 * {@link #paired} alternates the two on one thread, so their ratio is taken under identical
 * conditions even on a busy machine. {@link #coreSeenBefore} is the core as the server runs it for
 * an SVID presented again (signature remembered).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class VerifyBenchmark {

    static final String SPIFFE_ID = "spiffe://example.org/ns/bench/sa/svid";
    static final String AUDIENCE = "http://127.0.0.1:8080/realms/bench";

    @Param({"ES256", "ES256-SunEC", "RS256"})
    public String config;

    private String token;
    private JwtSvidVerifier verifier;
    private JwtSvidVerifier remembering;
    private SvidPolicy policy;
    private Set<String> serverAudiences;
    private KeyResolver keys;

    private Signature jca;
    private PublicKey publicKey;
    private byte[] signingInput;
    private byte[] signature;

    @Setup
    public void setUp() throws Exception {
        boolean ec = config.startsWith("ES256");
        Provider provider = "ES256".equals(config) ? new BouncyCastleProvider() : null;
        JWK jwk;
        try (SpireEmulator spire = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF)
                .keyType(ec ? KeyType.EC_P256 : KeyType.RSA_2048).start()) {
            token = spire.svid(SPIFFE_ID).audience(AUDIENCE).ttl(Duration.ofHours(1)).mint();
            jwk = spire.publishedKeys().get(0);
        }
        List<VerificationKey> cached = List.of(VerificationKey.of(jwk, provider));
        keys = (kid, a) -> cached;
        verifier = new JwtSvidVerifier(Clock.systemUTC());
        remembering = new JwtSvidVerifier(Clock.systemUTC(), new VerifiedJwtSignatureCache(1000));
        policy = SvidPolicy.builder().build();
        serverAudiences = Set.of(AUDIENCE, AUDIENCE + "/protocol/openid-connect/token");

        int dot = token.lastIndexOf('.');
        signingInput = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
        signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
        if (ec) {
            // in the provider's own key form, as VerificationKey holds it (a foreign key is converted,
            // and BouncyCastle's point precomputation redone, on every initVerify)
            publicKey = VerificationKey.inProviderForm(((ECKey) jwk).toECPublicKey(), provider);
            // the JOSE form (r || s) directly, so no DER conversion is needed
            jca = provider != null ? Signature.getInstance("SHA256withPLAIN-ECDSA", provider)
                    : Signature.getInstance("SHA256withECDSAinP1363Format");
        } else {
            publicKey = ((RSAKey) jwk).toRSAPublicKey();
            jca = Signature.getInstance("SHA256withRSA");
        }
        if (core() == null || !bareJca()) {
            throw new IllegalStateException("benchmark token does not verify");
        }
    }

    /** Parse (size, JWS shape, header, claims, SPIFFE ID) and verify (issuer, audience, time, key, signature). */
    @Benchmark
    public VerifiedJwtSvid core() throws Exception {
        ParsedJwtSvid parsed = ParsedJwtSvid.parse(token);
        return verifier.verify(parsed, policy, serverAudiences, keys, ReplayGuard.NONE);
    }

    /** The same SVID presented again, as SPIRE agents do: the server's verifier remembers its verified signature. */
    @Benchmark
    public VerifiedJwtSvid coreSeenBefore() throws Exception {
        ParsedJwtSvid parsed = ParsedJwtSvid.parse(token);
        return remembering.verify(parsed, policy, serverAudiences, keys, ReplayGuard.NONE);
    }

    /** java.security.Signature alone, over the same bytes, same provider. */
    @Benchmark
    public boolean bareJca() throws Exception {
        jca.initVerify(publicKey);
        jca.update(signingInput);
        return jca.verify(signature);
    }

    /** Time spent in each of the two, alternating on one thread (JMH secondary results). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Pair {
        public long coreNanos;
        public long bareNanos;

        @Setup(Level.Iteration)
        public void reset() {
            coreNanos = 0;
            bareNanos = 0;
        }
    }

    @Benchmark
    public void paired(Pair pair, Blackhole bh) throws Exception {
        long t0 = System.nanoTime();
        bh.consume(core());
        long t1 = System.nanoTime();
        bh.consume(bareJca());
        long t2 = System.nanoTime();
        pair.coreNanos += t1 - t0;
        pair.bareNanos += t2 - t1;
    }
}
