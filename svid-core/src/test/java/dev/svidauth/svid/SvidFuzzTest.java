package dev.svidauth.svid;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.fuzz.SvidMutations;
import dev.svidauth.fuzz.SvidMutations.Mutator;
import dev.svidauth.fuzz.SvidMutations.Seed;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Feeds 100,000 mutated and random assertions through {@link ParsedJwtSvid#parse} and
 * {@link JwtSvidVerifier#verify} (steps 2-3 and 5-9), with an in-memory key source holding an EC
 * P-256 and an RSA-2048 key. Every input must end in {@link SvidRejectedException}: nothing else
 * may escape, and no token that differs from a genuine one by even one byte may be accepted.
 *
 * <p>The mutations come from {@link SvidMutations}, the generator {@code FuzzIT} shares.
 *
 * <p>Reproducible: mutation choices come from a seeded {@link Random} (system property
 * {@code svid.fuzz.seed}, default {@link #DEFAULT_SEED}); keys and ECDSA signatures come from a
 * SHA1PRNG seeded from it, and the verifier runs on a fixed clock, so a seed names the exact same
 * 100,000 inputs on every run. {@code svid.fuzz.iterations} changes the count.
 */
class SvidFuzzTest {

    static final long DEFAULT_SEED = 20260701L;
    static final int DEFAULT_ITERATIONS = 100_000;

    private static final Instant NOW = Instant.parse("2026-07-01T12:00:00Z");
    private static final String ISS = "https://oidc-discovery.example.org";
    private static final String AUD = "https://keycloak.example.com/realms/svid";
    private static final String TOKEN_URL = AUD + "/protocol/openid-connect/token";
    private static final String SUB = "spiffe://example.org/ns/apps/sa/payments";
    private static final String EC_KID = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    private static final String RSA_KID = "ZyXwVuTsRqPoNmLkJiHgFeDcBa987654";
    
    /** Longest error_description seen must stay bounded for hostile input. */
    private static final int MAX_DESCRIPTION = 1024;

    private Random rnd;
    private KeyPair ec;
    private KeyPair rsa;
    private SvidMutations generator;
    private List<Seed> seeds;

    @Test
    void mutatedAndRandomAssertionsAreAllRefusedWithARejection() throws Exception {
        long seed = Long.getLong("svid.fuzz.seed", DEFAULT_SEED);
        int iterations = Integer.getInteger("svid.fuzz.iterations", DEFAULT_ITERATIONS);
        long started = System.nanoTime();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStarted = cpu.getCurrentThreadCpuTime();
        setUp(seed);

        JwtSvidVerifier verifier = new JwtSvidVerifier(Clock.fixed(NOW, ZoneOffset.UTC));
        SvidPolicy policy = SvidPolicy.builder().issuer(ISS).maxLifetime(Duration.ofHours(1))
                .clockSkew(Duration.ofSeconds(30)).build();
        Set<String> serverAudiences = Set.of(AUD, TOKEN_URL);
        KeyResolver keys = resolver();

        for (Seed s : seeds) {
            VerifiedJwtSvid ok = verifier.verify(ParsedJwtSvid.parse(s.token()), policy, serverAudiences, keys, ReplayGuard.NONE);
            assertThat(ok.spiffeId().toString()).as("genuine seed token is accepted").isEqualTo(SUB);
        }
        Set<String> genuine = new java.util.HashSet<>();
        seeds.forEach(s -> genuine.add(s.token()));

        List<Mutator> mutators = generator.mutators();
        Map<Reason, Integer> perReason = new EnumMap<>(Reason.class);
        Map<String, Integer> perMutator = new TreeMap<>();
        List<String> accepted = new ArrayList<>();
        List<String> escaped = new ArrayList<>();
        List<String> badDescriptions = new ArrayList<>();
        int identical = 0;
        int longestDescription = 0;
        int longestInput = 0;

        for (int i = 0; i < iterations; i++) {
            Seed base = seeds.get(rnd.nextInt(seeds.size()));
            Mutator m = mutators.get(rnd.nextInt(mutators.size()));
            String token = m.apply().apply(base);
            if (genuine.contains(token)) {
                identical++;
                continue;
            }
            perMutator.merge(m.name(), 1, Integer::sum);
            longestInput = Math.max(longestInput, token.length());
            try {
                verifier.verify(ParsedJwtSvid.parse(token), policy, serverAudiences, keys, ReplayGuard.NONE);
                accepted.add("#" + i + " " + m.name() + ": " + abbreviate(token));
            } catch (SvidRejectedException e) {
                perReason.merge(e.reason(), 1, Integer::sum);
                String d = e.getMessage();
                longestDescription = Math.max(longestDescription, d.length());
                if (d.length() > MAX_DESCRIPTION || d.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    badDescriptions.add("#" + i + " " + m.name() + ": " + abbreviate(d));
                }
            } catch (Throwable t) {
                escaped.add("#" + i + " " + m.name() + ": " + t + " for " + abbreviate(token));
            }
        }

        long millis = (System.nanoTime() - started) / 1_000_000;
        long cpuMillis = (cpu.getCurrentThreadCpuTime() - cpuStarted) / 1_000_000;
        int tested = iterations - identical;
        System.out.printf("SvidFuzzTest seed=%d iterations=%d tested=%d identical(skipped)=%d accepted=%d "
                        + "unexpected-exceptions=%d longest-input=%d longest-description=%d time=%d ms (cpu %d ms)%n",
                seed, iterations, tested, identical, accepted.size(), escaped.size(), longestInput,
                longestDescription, millis, cpuMillis);
        System.out.println("SvidFuzzTest per reason: " + codes(perReason));
        System.out.println("SvidFuzzTest per mutator: " + perMutator);

        assertThat(escaped).as("exceptions other than SvidRejectedException (seed " + seed + ")").isEmpty();
        assertThat(accepted).as("mutated tokens accepted (seed " + seed + ")").isEmpty();
        assertThat(badDescriptions).as("descriptions too long or with control characters").isEmpty();
        assertThat(perReason.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(tested);
    }

    private static Map<String, Integer> codes(Map<Reason, Integer> perReason) {
        Map<String, Integer> out = new LinkedHashMap<>();
        perReason.forEach((r, n) -> out.put(r.code(), n));
        return out;
    }

    // ---------------------------------------------------------------- setup

    private void setUp(long seed) {
        rnd = new Random(seed);
        SecureRandom drbg = SvidMutations.drbg(seed);
        ec = SvidMutations.ecKeyPair(drbg);
        rsa = SvidMutations.rsaKeyPair(drbg);
        KeyPair attackerEc = SvidMutations.ecKeyPair(drbg);
        KeyPair attackerRsa = SvidMutations.rsaKeyPair(drbg);
        generator = new SvidMutations(rnd, drbg, new SvidMutations.Identity(ISS, AUD, TOKEN_URL, SUB, EC_KID, RSA_KID, NOW),
                ec, rsa, attackerEc, attackerRsa);

        long now = NOW.getEpochSecond();
        String claims = "{\"aud\":[\"" + AUD + "\"],\"exp\":" + (now + 300) + ",\"iat\":" + now
                + ",\"iss\":\"" + ISS + "\",\"sub\":\"" + SUB + "\"}";
        String rich = "{\"aud\":[\"" + AUD + "\",\"" + TOKEN_URL + "\"],\"client_type\":\"ai-agent\",\"exp\":" + (now + 600)
                + ",\"iat\":" + (now - 60) + ",\"iss\":\"" + ISS + "\",\"jti\":\"3b1f0d2c-6f1e-4a53-9d7e-0c6a1f1b2c3d\","
                + "\"nbf\":" + (now - 60) + ",\"ctx\":{\"ns\":\"apps\",\"tags\":[1,2.5,\"x\",null,true]},\"sub\":\"" + SUB + "\"}";
        String single = "{\"aud\":\"" + AUD + "\",\"exp\":" + (now + 120) + ",\"iss\":\"" + ISS + "\",\"sub\":\"" + SUB + "\"}";
        seeds = List.of(
                generator.seed(header("ES256", EC_KID), claims, "ES256", ec.getPrivate()),
                generator.seed(header("RS256", RSA_KID), claims, "RS256", rsa.getPrivate()),
                generator.seed("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", claims, "ES256", ec.getPrivate()),
                generator.seed("{\"alg\":\"ES256\",\"kid\":\"" + EC_KID + "\"}", rich, "ES256", ec.getPrivate()),
                generator.seed("{\"typ\":\"JOSE\",\"kid\":\"" + RSA_KID + "\",\"alg\":\"RS256\"}", single, "RS256", rsa.getPrivate()));
        generator.seeds(seeds);
    }

    private static String header(String alg, String kid) {
        return "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
    }

    /** The client's key source: kid lookup, or every compatible key when the SVID has no kid. */
    private KeyResolver resolver() throws Exception {
        List<VerificationKey> all = List.of(
                VerificationKey.of(new ECKey.Builder(Curve.P_256, (ECPublicKey) ec.getPublic()).keyID(EC_KID).build()),
                VerificationKey.of(new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).keyID(RSA_KID).build()));
        Map<String, VerificationKey> byKid = new HashMap<>();
        all.forEach(k -> byKid.put(k.kid(), k));
        return (kid, alg) -> {
            if (kid != null) {
                VerificationKey k = byKid.get(kid);
                if (k == null) {
                    throw new SvidRejectedException(Reason.UNKNOWN_KID, "SVID key id '" + Printable.printable(kid) + "' is not published");
                }
                return List.of(k);
            }
            List<VerificationKey> out = all.stream().filter(k -> k.canVerify(alg)).toList();
            if (out.isEmpty()) {
                throw new SvidRejectedException(Reason.UNKNOWN_KID, "no published key can verify " + alg);
            }
            return out;
        };
    }

    // ---------------------------------------------------------------- helpers

    private static String abbreviate(String s) {
        String t = s.length() > 160 ? s.substring(0, 160) + "...(" + s.length() + " chars)" : s;
        StringBuilder out = new StringBuilder();
        t.chars().forEach(c -> out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return out.toString();
    }
}
