package dev.svidauth.svid;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Printable;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Feeds 100,000 mutated and random assertions through {@link ParsedSvid#parse} and
 * {@link SvidVerifier#verify} (steps 2-3 and 5-9), with an in-memory key source holding an EC
 * P-256 and an RSA-2048 key. Every input must end in {@link SvidRejectedException}: nothing else
 * may escape, and no token that differs from a genuine one by even one byte may be accepted.
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
    private static final String B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /** Longest error_description seen must stay bounded for hostile input. */
    private static final int MAX_DESCRIPTION = 1024;

    private Random rnd;
    private SecureRandom drbg;
    private KeyPair ec;
    private KeyPair rsa;
    private KeyPair attackerEc;
    private KeyPair attackerRsa;
    private List<Seed> seeds;

    /** A genuine token to mutate, with its parts, the key and alg that signed it. */
    private record Seed(String token, String headerJson, String payloadJson, String alg, PrivateKey key) {
        String[] parts() {
            return token.split("\\.", -1);
        }
    }

    @Test
    void mutatedAndRandomAssertionsAreAllRefusedWithARejection() throws Exception {
        long seed = Long.getLong("svid.fuzz.seed", DEFAULT_SEED);
        int iterations = Integer.getInteger("svid.fuzz.iterations", DEFAULT_ITERATIONS);
        long started = System.nanoTime();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStarted = cpu.getCurrentThreadCpuTime();
        setUp(seed);

        SvidVerifier verifier = new SvidVerifier(Clock.fixed(NOW, ZoneOffset.UTC));
        SvidPolicy policy = SvidPolicy.builder().issuer(ISS).maxLifetime(Duration.ofHours(1))
                .clockSkew(Duration.ofSeconds(30)).build();
        Set<String> serverAudiences = Set.of(AUD, TOKEN_URL);
        KeyResolver keys = resolver();

        for (Seed s : seeds) {
            VerifiedSvid ok = verifier.verify(ParsedSvid.parse(s.token()), policy, serverAudiences, keys, ReplayGuard.NONE);
            assertThat(ok.spiffeId().toString()).as("genuine seed token is accepted").isEqualTo(SUB);
        }
        Set<String> genuine = new java.util.HashSet<>();
        seeds.forEach(s -> genuine.add(s.token()));

        List<Mutator> mutators = mutators();
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
            String token = m.apply.apply(base);
            if (genuine.contains(token)) {
                identical++;
                continue;
            }
            perMutator.merge(m.name, 1, Integer::sum);
            longestInput = Math.max(longestInput, token.length());
            try {
                verifier.verify(ParsedSvid.parse(token), policy, serverAudiences, keys, ReplayGuard.NONE);
                accepted.add("#" + i + " " + m.name + ": " + abbreviate(token));
            } catch (SvidRejectedException e) {
                perReason.merge(e.reason(), 1, Integer::sum);
                String d = e.getMessage();
                longestDescription = Math.max(longestDescription, d.length());
                if (d.length() > MAX_DESCRIPTION || d.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    badDescriptions.add("#" + i + " " + m.name + ": " + abbreviate(d));
                }
            } catch (Throwable t) {
                escaped.add("#" + i + " " + m.name + ": " + t + " for " + abbreviate(token));
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

    private void setUp(long seed) throws GeneralSecurityException {
        rnd = new Random(seed);
        drbg = SecureRandom.getInstance("SHA1PRNG");
        drbg.setSeed(seed);
        ec = ecKeyPair();
        rsa = rsaKeyPair();
        attackerEc = ecKeyPair();
        attackerRsa = rsaKeyPair();

        long now = NOW.getEpochSecond();
        String claims = "{\"aud\":[\"" + AUD + "\"],\"exp\":" + (now + 300) + ",\"iat\":" + now
                + ",\"iss\":\"" + ISS + "\",\"sub\":\"" + SUB + "\"}";
        String rich = "{\"aud\":[\"" + AUD + "\",\"" + TOKEN_URL + "\"],\"client_type\":\"ai-agent\",\"exp\":" + (now + 600)
                + ",\"iat\":" + (now - 60) + ",\"iss\":\"" + ISS + "\",\"jti\":\"3b1f0d2c-6f1e-4a53-9d7e-0c6a1f1b2c3d\","
                + "\"nbf\":" + (now - 60) + ",\"ctx\":{\"ns\":\"apps\",\"tags\":[1,2.5,\"x\",null,true]},\"sub\":\"" + SUB + "\"}";
        String single = "{\"aud\":\"" + AUD + "\",\"exp\":" + (now + 120) + ",\"iss\":\"" + ISS + "\",\"sub\":\"" + SUB + "\"}";
        seeds = List.of(
                seed(header("ES256", EC_KID), claims, "ES256", ec.getPrivate()),
                seed(header("RS256", RSA_KID), claims, "RS256", rsa.getPrivate()),
                seed("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", claims, "ES256", ec.getPrivate()),
                seed("{\"alg\":\"ES256\",\"kid\":\"" + EC_KID + "\"}", rich, "ES256", ec.getPrivate()),
                seed("{\"typ\":\"JOSE\",\"kid\":\"" + RSA_KID + "\",\"alg\":\"RS256\"}", single, "RS256", rsa.getPrivate()));
    }

    private Seed seed(String header, String payload, String alg, PrivateKey key) {
        return new Seed(sign(alg, key, b64(header), b64(payload)), header, payload, alg, key);
    }

    private KeyPair ecKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), drbg);
        return g.generateKeyPair();
    }

    private KeyPair rsaKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048, drbg);
        return g.generateKeyPair();
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

    // ---------------------------------------------------------------- mutators

    private record Mutator(String name, Function<Seed, String> apply) {
    }

    private List<Mutator> mutators() {
        List<Mutator> list = new ArrayList<>();
        list.add(new Mutator("bit-flip", this::bitFlip));
        list.add(new Mutator("char-substitution", this::charSubstitution));
        list.add(new Mutator("truncation", s -> s.token().substring(0, rnd.nextInt(s.token().length()))));
        list.add(new Mutator("range-deletion", this::rangeDeletion));
        list.add(new Mutator("insertion", this::insertion));
        list.add(new Mutator("range-duplication", this::rangeDuplication));
        list.add(new Mutator("part-shuffle", this::partShuffle));
        list.add(new Mutator("part-from-other-token", this::partFromOther));
        list.add(new Mutator("random-base64url-part", this::randomPart));
        list.add(new Mutator("random-token", s -> randomString(rnd.nextInt(rnd.nextBoolean() ? 200 : 3000))));
        list.add(new Mutator("random-json-header", this::randomHeader));
        list.add(new Mutator("claim-edit", this::claimEdit));
        list.add(new Mutator("raw-json-text", this::rawJsonText));
        list.add(new Mutator("non-json-part", this::nonJsonPart));
        list.add(new Mutator("signature-tampering", this::signatureTampering));
        list.add(new Mutator("alg-confusion", this::algConfusion));
        list.add(new Mutator("base64url-non-canonical", this::nonCanonical));
        return list;
    }

    private String bitFlip(Seed s) {
        char[] c = s.token().toCharArray();
        int flips = 1 + rnd.nextInt(3);
        for (int k = 0; k < flips; k++) {
            int i = rnd.nextInt(c.length);
            c[i] = (char) (c[i] ^ (1 << rnd.nextInt(rnd.nextInt(8) == 0 ? 16 : 7)));
        }
        return new String(c);
    }

    private String charSubstitution(Seed s) {
        StringBuilder b = new StringBuilder(s.token());
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            b.setCharAt(rnd.nextInt(b.length()), randomChar());
        }
        return b.toString();
    }

    private String rangeDeletion(Seed s) {
        String t = s.token();
        int from = rnd.nextInt(t.length());
        int to = Math.min(t.length(), from + 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 200));
        return t.substring(0, from) + t.substring(to);
    }

    private String insertion(Seed s) {
        String t = s.token();
        int at = rnd.nextInt(t.length() + 1);
        String what = switch (rnd.nextInt(6)) {
            case 0 -> ".";
            case 1 -> "..";
            case 2 -> "=";
            case 3 -> randomString(1 + rnd.nextInt(8));
            case 4 -> " ";
            default -> randomB64(1 + rnd.nextInt(40));
        };
        return t.substring(0, at) + what + t.substring(at);
    }

    private String rangeDuplication(Seed s) {
        String t = s.token();
        int from = rnd.nextInt(t.length());
        int to = Math.min(t.length(), from + 1 + rnd.nextInt(100));
        String piece = t.substring(from, to);
        return t.substring(0, to) + piece.repeat(1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 200 : 3)) + t.substring(to);
    }

    private String partShuffle(Seed s) {
        List<String> p = new ArrayList<>(List.of(s.parts()));
        switch (rnd.nextInt(7)) {
            case 0 -> java.util.Collections.swap(p, rnd.nextInt(3), rnd.nextInt(3));
            case 1 -> java.util.Collections.shuffle(p, rnd);
            case 2 -> p.remove(rnd.nextInt(p.size()));
            case 3 -> p.add(rnd.nextInt(p.size() + 1), p.get(rnd.nextInt(3)));
            case 4 -> p.set(rnd.nextInt(3), "");
            case 5 -> {
                p.add(randomB64(rnd.nextInt(40)));
                p.add(randomB64(rnd.nextInt(40)));
            }
            default -> p.set(rnd.nextInt(3), p.get(rnd.nextInt(3)));
        }
        return String.join(".", p);
    }

    private String partFromOther(Seed s) {
        Seed other = seeds.get(rnd.nextInt(seeds.size()));
        String[] p = s.parts();
        String[] o = other.parts();
        int i = rnd.nextInt(3);
        p[i] = o[rnd.nextInt(4) == 0 ? rnd.nextInt(3) : i];
        return String.join(".", p);
    }

    private String randomPart(Seed s) {
        String[] p = s.parts();
        int n = rnd.nextInt(4) == 0 ? rnd.nextInt(5) : rnd.nextInt(600);
        p[rnd.nextInt(3)] = randomB64(n);
        return String.join(".", p);
    }

    /** A random header object, often close to a real one, with the original or an attacker's signature. */
    private String randomHeader(Seed s) {
        Map<String, String> members = new LinkedHashMap<>();
        String[] algs = {"\"ES256\"", "\"RS256\"", "\"none\"", "\"HS256\"", "\"ES384\"", "\"PS256\"", "\"EdDSA\"", "\"es256\"",
                "null", "256", "[\"ES256\"]", "{\"alg\":\"ES256\"}", "\"\"", "\"ES256\\u0000\""};
        if (rnd.nextInt(5) != 0) {
            members.put("alg", algs[rnd.nextInt(algs.length)]);
        }
        if (rnd.nextInt(3) != 0) {
            String[] kids = {q(EC_KID), q(RSA_KID), q("../../etc/passwd"), q("' OR '1'='1"), q("x".repeat(300)), "\"\"", "1",
                    "null", q(EC_KID + "\\u0000"), randomJsonValue(2)};
            members.put("kid", kids[rnd.nextInt(kids.length)]);
        }
        if (rnd.nextInt(3) != 0) {
            String[] typs = {q("JWT"), q("JOSE"), q("jwt"), q("at+jwt"), q("JWS"), "null", "[]", q("")};
            members.put("typ", typs[rnd.nextInt(typs.length)]);
        }
        String[] injected = {"jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip", "enc", "cty", "ALG", "Kid",
                "url", "nonce", "spiffe", "\\u0061lg", "alg "};
        int extra = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0;
        for (int k = 0; k < extra; k++) {
            members.put(injected[rnd.nextInt(injected.length)], randomJsonValue(2));
        }
        String header = object(members, rnd.nextInt(8) == 0);
        return forge() ? forgeSigned(s.alg(), header, s.payloadJson()) : b64(header) + "." + s.parts()[1] + "." + s.parts()[2];
    }

    /** One to three claims replaced, removed, added or renamed, re-serialized. */
    private String claimEdit(Seed s) {
        Map<String, String> claims = new LinkedHashMap<>();
        long now = NOW.getEpochSecond();
        claims.put("aud", "[" + q(AUD) + "]");
        claims.put("exp", Long.toString(now + 300));
        claims.put("iat", Long.toString(now));
        claims.put("iss", q(ISS));
        claims.put("sub", q(SUB));
        String[] names = {"aud", "exp", "iat", "iss", "sub", "nbf", "jti", "client_type", "SUB", "sub\\u0000", "__proto__"};
        int edits = 1 + rnd.nextInt(3);
        for (int k = 0; k < edits; k++) {
            String name = names[rnd.nextInt(names.length)];
            switch (rnd.nextInt(4)) {
                case 0 -> claims.remove(name);
                case 1 -> claims.put(name, interestingValue(name));
                case 2 -> claims.put(name, randomJsonValue(3));
                default -> {
                    String v = claims.remove(name);
                    if (v != null) {
                        claims.put(names[rnd.nextInt(names.length)], v);
                    }
                }
            }
        }
        String payload = object(claims, rnd.nextInt(6) == 0);
        return forge() ? forgeSigned(s.alg(), s.headerJson(), payload) : s.parts()[0] + "." + b64(payload) + "." + s.parts()[2];
    }

    /** Values near the edges of what each claim accepts. */
    private String interestingValue(String claim) {
        long now = NOW.getEpochSecond();
        String[] common = {"null", "true", "0", "-1", "1e308", "1e400", "-1e400", "123456789012345678901234567890",
                "9223372036854775808", "-9223372036854775809", "4.9e-324", "-0", "0.5", "[]", "{}", "\"\"",
                q("\\ud800"), q("\\u202e" + SUB), "[[[[[[[[[[]]]]]]]]]]", "1" + "0".repeat(70)};
        String[] specific = switch (claim) {
            case "exp" -> new String[]{Long.toString(now - 1), Long.toString(now - 31), Long.toString(now + 3601),
                    Long.toString(now + 29), "253402300800", q(Long.toString(now + 300)), (now + 300) + ".999", Long.toString(Long.MAX_VALUE)};
            case "iat", "nbf" -> new String[]{Long.toString(now + 31), Long.toString(now + 100000), Long.toString(now - 7200),
                    "-1", Long.toString(Long.MIN_VALUE), q(Long.toString(now))};
            case "aud" -> new String[]{q(AUD + "/"), "[" + q(AUD) + "," + q("https://evil.example") + "]", "[]", "[null]",
                    "[" + q(AUD.toUpperCase()) + "]", "[[" + q(AUD) + "]]", q(TOKEN_URL), "[1]", "{\"aud\":" + q(AUD) + "}"};
            case "iss" -> new String[]{q(ISS + "/"), q(ISS.toUpperCase()), q(ISS.replace("https", "http")), q(""), q(ISS + "\\u0000"), "[" + q(ISS) + "]"};
            case "sub" -> new String[]{q("spiffe://Example.org/ns/apps/sa/payments"), q("spiffe://example.org:443/ns/apps"),
                    q("spiffe://user@example.org/ns"), q("spiffe://example.org/ns/%61pps"), q("spiffe://example.org/ns/./a"),
                    q("spiffe://example.org/ns/../a"), q("spiffe://example.org//a"), q("spiffe://example.org/a/"),
                    q("spiffe://example.org/a?x=1"), q("spiffe://example.org/a#f"), q("spiffe://example.org"), q("spiffe://example.org/"),
                    q("spiffe://example.org/" + "a".repeat(2100)), q("SPIFFE://example.org/a"), q("https://example.org/a"),
                    q("spiffe:///a"), q("spiffe://example.org/ns/apps/sa/payments\\u0000"), q("spiffe://exämple.org/a"), "[" + q(SUB) + "]"};
            default -> new String[]{q("x"), q("\\u0000"), randomJsonValue(4)};
        };
        return rnd.nextBoolean() ? specific[rnd.nextInt(specific.length)] : common[rnd.nextInt(common.length)];
    }

    /** Textual JSON defects a tolerant parser might read differently from a strict one. */
    private String rawJsonText(Seed s) {
        boolean header = rnd.nextInt(3) == 0;
        String json = header ? s.headerJson() : s.payloadJson();
        String body = json.substring(1, json.length() - 1);
        String member = header ? "\"alg\":\"none\"" : "\"sub\":\"spiffe://example.org/ns/apps/sa/admin\"";
        String mutated = switch (rnd.nextInt(22)) {
            case 0 -> "{" + body + "," + member + "}";                                  // duplicate, last wins?
            case 1 -> "{" + member + "," + body + "}";                                  // duplicate, first wins?
            case 2 -> {
                int depth = 20 + rnd.nextInt(2000);
                yield "{" + body + ",\"x\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(rnd.nextBoolean() ? depth : rnd.nextInt(depth)) + "}";
            }
            case 3 -> "{" + body + ",\"x\":" + "[".repeat(1 + rnd.nextInt(3000)) + "]".repeat(rnd.nextInt(3000)) + "}";
            case 4 -> json + rnd.nextInt(10);                                          // trailing garbage
            case 5 -> json + json;                                                      // two objects
            case 6 -> "/*c*/" + json;                                                   // comment
            case 7 -> "\ufeff" + json;                                                  // BOM
            case 8 -> json.replace('"', '\'');                                          // single quotes
            case 9 -> "{" + body + ",}";                                                // trailing comma
            case 10 -> "{" + body + ",\"n\":NaN}";
            case 11 -> "{" + body + ",\"n\":" + "9".repeat(1 + rnd.nextInt(5000)) + "}";
            case 12 -> "{" + body + ",\"n\":1e" + (rnd.nextInt(2) == 0 ? "99999999999" : "-99999999999") + "}";
            case 13 -> "[" + json + "]";
            case 14 -> q(json.replace("\"", "\\\""));
            case 15 -> "{" + body.replace("\"sub\"", "\"s\\u0075b\"").replace("\"alg\"", "\"\\u0061lg\"") + "," + member + "}";
            case 16 -> "{" + body + ",\"s\":\"" + randomUnicode(1 + rnd.nextInt(200)) + "\"}";
            case 17 -> "{unquoted:1," + body + "}";
            case 18 -> "{" + body + ",\"x\":\"" + "\\".repeat(1 + rnd.nextInt(3)) + "\"}";
            case 19 -> json.substring(0, rnd.nextInt(json.length()));
            case 20 -> "{" + body + ",\"s\":\"" + "a".repeat(20_000) + "\"}";
            default -> "  \n\t" + json + "\r\n";                                        // whitespace only
        };
        String enc = b64(mutated);
        boolean forged = forge();
        if (header) {
            return forged ? sign(s.alg(), attackerKey(s.alg()), enc, s.parts()[1]) : enc + "." + s.parts()[1] + "." + s.parts()[2];
        }
        return forged ? sign(s.alg(), attackerKey(s.alg()), s.parts()[0], enc) : s.parts()[0] + "." + enc + "." + s.parts()[2];
    }

    private String nonJsonPart(Seed s) {
        String[] p = s.parts();
        byte[] raw = new byte[rnd.nextInt(rnd.nextBoolean() ? 16 : 400)];
        rnd.nextBytes(raw);
        if (rnd.nextInt(4) == 0 && raw.length > 0) {
            raw[0] = '{'; // looks like JSON, is not (and often not UTF-8)
        }
        int i = rnd.nextInt(2);
        p[i] = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        return forge() ? sign(s.alg(), attackerKey(s.alg()), p[0], p[1]) : String.join(".", p);
    }

    private String signatureTampering(Seed s) {
        String[] p = s.parts();
        byte[] sig = Base64.getUrlDecoder().decode(p[2]);
        byte[] out;
        switch (rnd.nextInt(10)) {
            case 0 -> {
                out = sig.clone();
                int i = rnd.nextInt(out.length);
                out[i] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> out = new byte[sig.length]; // all zero: r = s = 0 ("psychic signature")
            case 2 -> out = java.util.Arrays.copyOf(sig, rnd.nextInt(sig.length));
            case 3 -> out = java.util.Arrays.copyOf(sig, sig.length + 1 + rnd.nextInt(64));
            case 4 -> {
                // r and s = the P-256 order n, or all 0xff
                out = new byte[sig.length];
                java.util.Arrays.fill(out, (byte) 0xff);
            }
            case 5 -> out = der(sig);
            case 6 -> {
                return sign(s.alg(), attackerKey(s.alg()), p[0], p[1]);               // another key, same kid
            }
            case 7 -> {
                String alg = s.alg().equals("ES256") ? "RS256" : "ES256";             // other family's real key
                return p[0] + "." + p[1] + "." + b64(sigBytes(alg, alg.equals("ES256") ? ec.getPrivate() : rsa.getPrivate(), p[0] + "." + p[1]));
            }
            case 8 -> {
                Seed other = seeds.get(rnd.nextInt(seeds.size()));
                return p[0] + "." + p[1] + "." + other.parts()[2];                     // a genuine signature of another token
            }
            default -> {
                out = new byte[sig.length];
                rnd.nextBytes(out);
            }
        }
        return p[0] + "." + p[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    }

    /** alg none / symmetric / mismatched, including HMAC keyed with the public key's bytes. */
    private String algConfusion(Seed s) {
        String kid = s.alg().startsWith("ES") ? EC_KID : RSA_KID;
        String payload = b64(s.payloadJson());
        byte[] publicBytes = (s.alg().startsWith("ES") ? ec : rsa).getPublic().getEncoded();
        switch (rnd.nextInt(8)) {
            case 0 -> {
                String[] none = {"none", "None", "NONE", "nOnE"};
                String h = b64(header(none[rnd.nextInt(none.length)], kid));
                return h + "." + payload + "." + (rnd.nextBoolean() ? "" : s.parts()[2]);
            }
            case 1, 2 -> {
                String[] hs = {"HS256", "HS384", "HS512", "hs256"};
                String alg = hs[rnd.nextInt(hs.length)];
                String h = b64(header(alg, kid));
                byte[] key = switch (rnd.nextInt(3)) {
                    case 0 -> publicBytes;
                    case 1 -> ("-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(publicBytes)
                            + "\n-----END PUBLIC KEY-----\n").getBytes(StandardCharsets.US_ASCII);
                    default -> Base64.getUrlEncoder().withoutPadding().encodeToString(publicBytes).getBytes(StandardCharsets.US_ASCII);
                };
                return h + "." + payload + "." + b64(hmac(key, h + "." + payload));
            }
            case 3 -> {
                String other = s.alg().startsWith("ES") ? "RS256" : "ES256";               // kid of one family, alg of the other
                String h = b64(header(other, kid));
                return sign(other, other.equals("ES256") ? ec.getPrivate() : rsa.getPrivate(), h, payload);
            }
            case 4 -> {
                String h = b64(header(s.alg().startsWith("ES") ? "ES384" : "PS256", kid));
                return h + "." + payload + "." + s.parts()[2];
            }
            case 5 -> {
                String h = b64("{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"jwk\":" + jwkOfAttacker() + "}");
                return sign("ES256", attackerEc.getPrivate(), h, payload);                  // embedded key
            }
            case 6 -> {
                String h = b64("{\"alg\":\"ES256\",\"jku\":\"https://evil.example/keys\",\"kid\":\"evil\"}");
                return sign("ES256", attackerEc.getPrivate(), h, payload);
            }
            default -> {
                String h = b64("{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"crit\":[\"exp\"]}");
                return sign("ES256", ec.getPrivate(), h, payload);                          // real key, forbidden header
            }
        }
    }

    /**
     * The last character of a part changed so that the value bits stay the same and only the
     * unused low bits differ: a lenient base64url decoder yields the same bytes.
     */
    private String nonCanonical(Seed s) {
        String[] p = s.parts();
        int i = rnd.nextInt(3);
        String part = p[i];
        int rem = part.length() % 4;
        if (rem == 0) {
            return bitFlip(s);
        }
        int unused = rem == 2 ? 4 : 2;
        int last = B64URL.indexOf(part.charAt(part.length() - 1));
        int changed = last ^ (1 + rnd.nextInt((1 << unused) - 1));
        p[i] = part.substring(0, part.length() - 1) + B64URL.charAt(changed);
        return String.join(".", p);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Whether an edited header or payload gets an attacker's own signature (same kid, another key)
     * rather than keeping the genuine signature of the unedited token. To a verifier without the
     * private key both are just invalid signatures; real ones cost time, so one in eight will do.
     */
    private boolean forge() {
        return rnd.nextInt(8) == 0;
    }

    private PrivateKey attackerKey(String alg) {
        return alg.startsWith("ES") ? attackerEc.getPrivate() : attackerRsa.getPrivate();
    }

    private String forgeSigned(String alg, String header, String payload) {
        return sign(alg, attackerKey(alg), b64(header), b64(payload));
    }

    private String jwkOfAttacker() {
        return new ECKey.Builder(Curve.P_256, (ECPublicKey) attackerEc.getPublic()).keyID(EC_KID).build().toJSONString();
    }

    private String sign(String alg, PrivateKey key, String h, String p) {
        return h + "." + p + "." + b64(sigBytes(alg, key, h + "." + p));
    }

    private byte[] sigBytes(String alg, PrivateKey key, String input) {
        try {
            Signature sig = Signature.getInstance(alg.startsWith("ES") ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
            sig.initSign(key, drbg);
            sig.update(input.getBytes(StandardCharsets.US_ASCII));
            return sig.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String input) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An ECDSA signature (r||s) re-encoded as DER, the format JCA uses and JOSE forbids. */
    private static byte[] der(byte[] p1363) {
        int half = p1363.length / 2;
        byte[] r = new java.math.BigInteger(1, java.util.Arrays.copyOfRange(p1363, 0, half)).toByteArray();
        byte[] s = new java.math.BigInteger(1, java.util.Arrays.copyOfRange(p1363, half, p1363.length)).toByteArray();
        byte[] out = new byte[6 + r.length + s.length];
        out[0] = 0x30;
        out[1] = (byte) (4 + r.length + s.length);
        out[2] = 0x02;
        out[3] = (byte) r.length;
        System.arraycopy(r, 0, out, 4, r.length);
        out[4 + r.length] = 0x02;
        out[5 + r.length] = (byte) s.length;
        System.arraycopy(s, 0, out, 6 + r.length, s.length);
        return out;
    }

    private static String header(String alg, String kid) {
        return "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
    }

    private String object(Map<String, String> members, boolean duplicateOne) {
        StringBuilder b = new StringBuilder("{");
        List<Map.Entry<String, String>> entries = new ArrayList<>(members.entrySet());
        if (duplicateOne && !entries.isEmpty()) {
            Map.Entry<String, String> e = entries.get(rnd.nextInt(entries.size()));
            entries.add(rnd.nextInt(entries.size() + 1), Map.entry(e.getKey(), randomJsonValue(1)));
        }
        for (int i = 0; i < entries.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(q(entries.get(i).getKey())).append(':').append(entries.get(i).getValue());
        }
        return b.append('}').toString();
    }

    /** Random JSON value text: numbers at the edges, unicode strings, nesting. */
    private String randomJsonValue(int depth) {
        int pick = rnd.nextInt(depth > 0 ? 10 : 7);
        return switch (pick) {
            case 0 -> "null";
            case 1 -> rnd.nextBoolean() ? "true" : "false";
            case 2 -> Long.toString(rnd.nextLong());
            case 3 -> {
                String[] nums = {"1e308", "1e999", "-1e999", "0.0000001", "1E+2", "-0", "12345678901234567890123",
                        Double.toString(rnd.nextDouble() * 1e12), "9".repeat(60)};
                yield nums[rnd.nextInt(nums.length)];
            }
            case 4 -> q(randomUnicode(rnd.nextInt(30)));
            case 5 -> q(randomB64(rnd.nextInt(50)));
            case 6 -> q(SUB);
            case 7 -> {
                StringBuilder b = new StringBuilder("[");
                int n = rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    b.append(i > 0 ? "," : "").append(randomJsonValue(depth - 1));
                }
                yield b.append(']').toString();
            }
            default -> {
                Map<String, String> m = new LinkedHashMap<>();
                int n = rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    m.put(randomUnicode(1 + rnd.nextInt(6)), randomJsonValue(depth - 1));
                }
                yield object(m, rnd.nextInt(4) == 0);
            }
        };
    }

    /** JSON string literal of already-escaped or plain text (quotes and backslashes escaped only if raw). */
    private static String q(String s) {
        return "\"" + s + "\"";
    }

    /** Random text as JSON string content: escapes, surrogates, RTL marks, NUL, emoji, CJK. */
    private String randomUnicode(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            switch (rnd.nextInt(9)) {
                case 0 -> b.append("\\u").append(String.format("%04x", rnd.nextInt(0x10000)));
                case 1 -> b.append("\\n");
                case 2 -> b.append("\u202e");
                case 3 -> b.appendCodePoint(0x1F600 + rnd.nextInt(80));
                case 4 -> b.append((char) (0x4e00 + rnd.nextInt(0x5000)));
                case 5 -> b.append((char) (0xd800 + rnd.nextInt(0x800))); // lone surrogate, not encodable
                case 6 -> b.append("\\\"");
                default -> b.append((char) ('a' + rnd.nextInt(26)));
            }
        }
        return b.toString();
    }

    private static final String SPECIAL = ".=+/ %\n\t\u0000\u00ff\u200b";

    private char randomChar() {
        return switch (rnd.nextInt(5)) {
            case 0 -> SPECIAL.charAt(rnd.nextInt(SPECIAL.length()));
            case 1 -> (char) rnd.nextInt(0x10000);
            default -> B64URL.charAt(rnd.nextInt(B64URL.length()));
        };
    }

    private String randomString(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(rnd.nextInt(5) == 0 ? '.' : randomChar());
        }
        return b.toString();
    }

    private String randomB64(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(B64URL.charAt(rnd.nextInt(B64URL.length())));
        }
        return b.toString();
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String abbreviate(String s) {
        String t = s.length() > 160 ? s.substring(0, 160) + "...(" + s.length() + " chars)" : s;
        StringBuilder out = new StringBuilder();
        t.chars().forEach(c -> out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return out.toString();
    }
}
