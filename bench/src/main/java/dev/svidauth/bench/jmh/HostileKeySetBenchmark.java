package dev.svidauth.bench.jmh;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.svidauth.keys.KeyLimits;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spire.KeyType;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.svid.JwtSvidVerifier;
import dev.svidauth.svid.KeyResolver;
import dev.svidauth.svid.ParsedJwtSvid;
import dev.svidauth.svid.ReplayGuard;
import dev.svidauth.svid.SvidPolicy;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The CPU one request can cost through a hostile key set, next to a normal verification. Each operation is what one request makes the server do in steps 2-8 (parse and
 * verify, keys cached, no signature remembered), for a token whose signature has the length of
 * the keys' modulus, so that every candidate key costs a full public-key operation:
 * <ul>
 *   <li>{@code normal-ES256}, {@code normal-RS256}: a genuine SVID from the SPIRE emulator, one key
 *       (ES256 with Keycloak's BouncyCastle provider, as deployed);</li>
 *   <li>{@code bounded-kid}: the costliest key the limits let through ({@link KeyLimits}: a
 *       4096-bit modulus, exponent 2^31-1), the one key a kid can name (a kid used twice refuses
 *       the set);</li>
 *   <li>{@code bounded-no-kid}: an SVID without kid against the largest set the limits let
 *       through, {@link KeyLimits#MAX_JWT_KEYS} of those keys, each tried;</li>
 *   <li>{@code unbounded-one-key}: one key of the costly set the limits were made against (3072-bit modulus, 3,070-bit
 *       exponent, which the limits now refuse), bare JCA; the original code tried all 470 such keys
 *       under the SVID's kid, so a request cost 470 times this.</li>
 * </ul>
 * The report states each as a ratio to {@code normal-ES256}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HostileKeySetBenchmark {

    /** How many keys the costly set the limits were made against held under one kid. */
    public static final int UNBOUNDED_SET_KEYS = 470;

    @Param({"normal-ES256", "normal-RS256", "bounded-kid", "bounded-no-kid", "unbounded-one-key"})
    public String config;

    private String token;
    private KeyResolver keys;
    private JwtSvidVerifier verifier;
    private SvidPolicy policy;
    private Set<String> serverAudiences;
    private Signature bare;
    private PublicKey bareKey;
    private byte[] bareInput;
    private byte[] bareSignature;

    @Setup
    public void setUp() throws Exception {
        verifier = new JwtSvidVerifier(Clock.systemUTC());
        policy = SvidPolicy.builder().build();
        serverAudiences = Set.of(VerifyBenchmark.AUDIENCE);
        SecureRandom random = new SecureRandom();
        switch (config) {
            case "normal-ES256", "normal-RS256" -> {
                boolean ec = config.endsWith("ES256");
                try (SpireEmulator spire = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF)
                        .keyType(ec ? KeyType.EC_P256 : KeyType.RSA_2048).start()) {
                    token = spire.svid(VerifyBenchmark.SPIFFE_ID).audience(VerifyBenchmark.AUDIENCE).ttl(Duration.ofHours(1)).mint();
                    List<VerificationKey> cached = List.of(VerificationKey.of(spire.publishedKeys().get(0),
                            ec ? new BouncyCastleProvider() : null));
                    keys = (kid, alg) -> cached;
                }
                verifier.verify(ParsedJwtSvid.parse(token), policy, serverAudiences, keys, ReplayGuard.NONE);
            }
            case "bounded-kid", "bounded-no-kid" -> {
                boolean kid = config.equals("bounded-kid");
                List<VerificationKey> set = new ArrayList<>();
                for (int i = 0; i < (kid ? 1 : KeyLimits.MAX_JWT_KEYS); i++) {
                    BigInteger n = new BigInteger(KeyLimits.MAX_RSA_BITS, random).setBit(KeyLimits.MAX_RSA_BITS - 1).setBit(0);
                    set.add(VerificationKey.of(new RSAKey.Builder(Base64URL.encode(n), Base64URL.encode(KeyLimits.MAX_RSA_EXPONENT))
                            .keyID(kid ? "costly" : null).build()));
                }
                keys = (k, alg) -> set;
                token = forged(kid ? "costly" : null, KeyLimits.MAX_RSA_BITS / 8, random);
                // the token must reach the signature step and try every key: refused as bad_signature, nothing earlier
                try {
                    verifier.verify(ParsedJwtSvid.parse(token), policy, serverAudiences, keys, ReplayGuard.NONE);
                    throw new IllegalStateException("a random signature verified");
                } catch (SvidRejectedException e) {
                    if (e.reason() != dev.svidauth.rejection.Reason.BAD_SIGNATURE) {
                        throw new IllegalStateException("hostile token refused before the signature step: " + e.getMessage(), e);
                    }
                }
            }
            case "unbounded-one-key" -> {
                BigInteger n = new BigInteger(3072, random).setBit(3071).setBit(0);
                BigInteger e = new BigInteger(3070, random).setBit(3069).setBit(0);
                bareKey = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
                bare = Signature.getInstance("SHA256withRSA");
                token = forged("costly", 3072 / 8, random);
                int dot = token.lastIndexOf('.');
                bareInput = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
                bareSignature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
            }
            default -> throw new IllegalArgumentException(config);
        }
    }

    /** An RS256 SVID with valid claims and a random signature of {@code sigBytes} bytes (below any modulus of that length). */
    private static String forged(String kid, int sigBytes, SecureRandom random) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":\"RS256\"" + (kid != null ? ",\"kid\":\"" + kid + "\"" : "") + ",\"typ\":\"JWT\"}";
        String claims = "{\"aud\":[\"" + VerifyBenchmark.AUDIENCE + "\"],\"exp\":" + (now + 3_000) + ",\"iat\":" + now
                + ",\"sub\":\"" + VerifyBenchmark.SPIFFE_ID + "\"}";
        byte[] signature = new byte[sigBytes];
        random.nextBytes(signature);
        signature[0] = 1;
        return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8))
                + "." + b64.encodeToString(signature);
    }

    /** What one request costs in steps 2-8 (the hostile tokens end in bad_signature after trying every candidate). */
    @Benchmark
    public Object request() throws Exception {
        if (bare != null) {
            bare.initVerify(bareKey);
            bare.update(bareInput);
            return bare.verify(bareSignature);
        }
        try {
            return verifier.verify(ParsedJwtSvid.parse(token), policy, serverAudiences, keys, ReplayGuard.NONE);
        } catch (SvidRejectedException e) {
            return e;
        }
    }
}
