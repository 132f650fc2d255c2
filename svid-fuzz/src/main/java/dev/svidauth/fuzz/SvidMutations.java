package dev.svidauth.fuzz;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Function;

/**
 * Hostile JWT-SVID assertions derived from genuine ones: the one generator behind the
 * verification fuzz test of the client authenticator ({@code SvidFuzzTest}, in memory) and the
 * token endpoint fuzz test ({@code FuzzIT}, against a real Keycloak).
 *
 * <p>Reproducible: every choice comes from the given {@link Random}, and every signature (RSA and
 * ECDSA) from the given {@link SecureRandom}, so a seeded pair names the same inputs on every run.
 * Create it with the keys and {@link Identity} of the environment, add the genuine tokens with
 * {@link #seed(String, String, String, PrivateKey)} and {@link #seeds(List)}, then apply
 * {@link #mutators()} (or a selection, {@link #mutators(String...)}) to them.
 */
public final class SvidMutations {

    private static final String B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /**
     * What the genuine SVIDs carry and the verifier expects: edits of claims and headers are built
     * around these values (near misses of the issuer, audience, SPIFFE ID, kids) and {@code now}.
     */
    public record Identity(String issuer, String audience, String tokenEndpoint, String spiffeId, String ecKid,
                           String rsaKid, Instant now) {
    }

    /** A genuine token to mutate, with its parts, the key and alg that signed it. */
    public record Seed(String token, String headerJson, String payloadJson, String alg, PrivateKey key) {
        /** The three dot-separated parts. */
        public String[] parts() {
            return token.split("\\.", -1);
        }
    }

    private final Random rnd;
    private final SecureRandom drbg;
    private final Identity id;
    private final KeyPair ec;
    private final KeyPair rsa;
    private final KeyPair attackerEc;
    private final KeyPair attackerRsa;
    private List<Seed> seeds = List.of();

    /**
     * @param ec          the verifier's EC P-256 key (genuine signatures, HMAC keyed with its public part)
     * @param rsa         the verifier's RSA key, or any RSA key where the verifier has none
     * @param attackerEc  an EC P-256 key nobody publishes
     * @param attackerRsa an RSA key nobody publishes
     */
    public SvidMutations(Random rnd, SecureRandom drbg, Identity id, KeyPair ec, KeyPair rsa, KeyPair attackerEc,
                         KeyPair attackerRsa) {
        this.rnd = Objects.requireNonNull(rnd, "rnd");
        this.drbg = Objects.requireNonNull(drbg, "drbg");
        this.id = Objects.requireNonNull(id, "id");
        this.ec = Objects.requireNonNull(ec, "ec");
        this.rsa = Objects.requireNonNull(rsa, "rsa");
        this.attackerEc = Objects.requireNonNull(attackerEc, "attackerEc");
        this.attackerRsa = Objects.requireNonNull(attackerRsa, "attackerRsa");
    }

    /** A SHA1PRNG seeded with {@code seed}: deterministic keys and signatures for a seed. */
    public static SecureRandom drbg(long seed) {
        try {
            SecureRandom drbg = SecureRandom.getInstance("SHA1PRNG");
            drbg.setSeed(seed);
            return drbg;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An EC P-256 key pair drawn from {@code drbg}. */
    public static KeyPair ecKeyPair(SecureRandom drbg) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), drbg);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An RSA-2048 key pair drawn from {@code drbg}. */
    public static KeyPair rsaKeyPair(SecureRandom drbg) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048, drbg);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A genuine token: {@code header} and {@code payload} JSON signed with {@code key} ({@code ES256} or {@code RS256}). */
    public Seed seed(String header, String payload, String alg, PrivateKey key) {
        return new Seed(sign(alg, key, b64(header), b64(payload)), header, payload, alg, key);
    }

    /** A genuine token signed elsewhere (by a SPIRE emulator, say), with the alg and key that signed it. */
    public static Seed existing(String token, String alg, PrivateKey key) {
        String[] p = token.split("\\.", -1);
        Base64.Decoder d = Base64.getUrlDecoder();
        return new Seed(token, new String(d.decode(p[0]), StandardCharsets.UTF_8),
                new String(d.decode(p[1]), StandardCharsets.UTF_8), alg, key);
    }

    /** The genuine tokens mutators start from (and take parts and signatures of). */
    public void seeds(List<Seed> seeds) {
        this.seeds = List.copyOf(seeds);
    }

    /** A random string of base64url characters, drawn from this generator's {@link Random}. */
    public String randomBase64Url(int n) {
        return randomB64(n);
    }

    /** A named way to derive a hostile assertion from a seed. */
    public record Mutator(String name, Function<Seed, String> apply) {
    }

    /**
     * The mutators of the verification fuzz test, in its order: byte and character level, token
     * structure, JSON text, header and claim content, signatures, algorithm confusion, base64url.
     */
    public List<Mutator> mutators() {
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

    /**
     * The named mutators, in the order given: {@link #mutators()}' names, and {@code header-edit}
     * (a known-hostile header over the seed's payload).
     */
    public List<Mutator> mutators(String... names) {
        Map<String, Mutator> all = new LinkedHashMap<>();
        mutators().forEach(m -> all.put(m.name(), m));
        all.put("header-edit", new Mutator("header-edit", this::headerEdit));
        List<Mutator> out = new ArrayList<>();
        for (String name : names) {
            Mutator m = all.get(name);
            if (m == null) {
                throw new IllegalArgumentException("no mutator '" + name + "'; known: " + all.keySet());
            }
            out.add(m);
        }
        return out;
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
            String[] kids = {q(id.ecKid()), q(id.rsaKid()), q("../../etc/passwd"), q("' OR '1'='1"), q("x".repeat(300)), "\"\"", "1",
                    "null", q(id.ecKid() + "\\u0000"), randomJsonValue(2)};
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

    /**
     * A known-hostile header (alg none or HS256, another algorithm, jku, an embedded jwk, crit,
     * duplicate members, odd kid and typ values) over the seed's payload: the genuine signature in
     * two cases of three, else an attacker's.
     */
    private String headerEdit(Seed s) {
        String kid = id.ecKid();
        String[] headers = {
                "{\"alg\":\"none\",\"typ\":\"JWT\"}",
                "{\"alg\":\"HS256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}",
                "{\"alg\":\"RS256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}",
                "{\"alg\":\"ES384\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"jku\":\"https://evil.example/k\"}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"jwk\":" + jwkOfAttacker() + "}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"crit\":[\"b64\"],\"b64\":false}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"alg\":\"none\"}",
                "{\"alg\":\"ES256\",\"kid\":\"" + randomB64(rnd.nextInt(40)) + "\"}",
                "{\"alg\":\"ES256\",\"kid\":" + rnd.nextInt() + "}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"" + randomB64(rnd.nextInt(6)) + "\"}",
                "{\"alg\":\"ES256\"}",
                "{\"kid\":\"" + kid + "\"}",
                "{}",
                "{\"alg\":[\"ES256\"]}",
        };
        String header = headers[rnd.nextInt(headers.length)];
        return rnd.nextInt(3) == 0 ? sign("ES256", attackerEc.getPrivate(), b64(header), b64(s.payloadJson()))
                : b64(header) + "." + s.parts()[1] + "." + s.parts()[2];
    }

    /** One to three claims replaced, removed, added or renamed, re-serialized. */
    private String claimEdit(Seed s) {
        Map<String, String> claims = new LinkedHashMap<>();
        long now = id.now().getEpochSecond();
        claims.put("aud", "[" + q(id.audience()) + "]");
        claims.put("exp", Long.toString(now + 300));
        claims.put("iat", Long.toString(now));
        claims.put("iss", q(id.issuer()));
        claims.put("sub", q(id.spiffeId()));
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
        long now = id.now().getEpochSecond();
        String[] common = {"null", "true", "0", "-1", "1e308", "1e400", "-1e400", "123456789012345678901234567890",
                "9223372036854775808", "-9223372036854775809", "4.9e-324", "-0", "0.5", "[]", "{}", "\"\"",
                q("\\ud800"), q("\\u202e" + id.spiffeId()), "[[[[[[[[[[]]]]]]]]]]", "1" + "0".repeat(70)};
        String[] specific = switch (claim) {
            case "exp" -> new String[]{Long.toString(now - 1), Long.toString(now - 31), Long.toString(now + 3601),
                    Long.toString(now + 29), "253402300800", q(Long.toString(now + 300)), (now + 300) + ".999", Long.toString(Long.MAX_VALUE)};
            case "iat", "nbf" -> new String[]{Long.toString(now + 31), Long.toString(now + 100000), Long.toString(now - 7200),
                    "-1", Long.toString(Long.MIN_VALUE), q(Long.toString(now))};
            case "aud" -> new String[]{q(id.audience() + "/"), "[" + q(id.audience()) + "," + q("https://evil.example") + "]", "[]", "[null]",
                    "[" + q(id.audience().toUpperCase()) + "]", "[[" + q(id.audience()) + "]]", q(id.tokenEndpoint()), "[1]", "{\"aud\":" + q(id.audience()) + "}"};
            case "iss" -> new String[]{q(id.issuer() + "/"), q(id.issuer().toUpperCase()), q(id.issuer().replace("https", "http")), q(""), q(id.issuer() + "\\u0000"), "[" + q(id.issuer()) + "]"};
            case "sub" -> new String[]{q("spiffe://Example.org/ns/apps/sa/payments"), q("spiffe://example.org:443/ns/apps"),
                    q("spiffe://user@example.org/ns"), q("spiffe://example.org/ns/%61pps"), q("spiffe://example.org/ns/./a"),
                    q("spiffe://example.org/ns/../a"), q("spiffe://example.org//a"), q("spiffe://example.org/a/"),
                    q("spiffe://example.org/a?x=1"), q("spiffe://example.org/a#f"), q("spiffe://example.org"), q("spiffe://example.org/"),
                    q("spiffe://example.org/" + "a".repeat(2100)), q("SPIFFE://example.org/a"), q("https://example.org/a"),
                    q("spiffe:///a"), q("spiffe://example.org/ns/apps/sa/payments\\u0000"), q("spiffe://exämple.org/a"), "[" + q(id.spiffeId()) + "]"};
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
        String kid = s.alg().startsWith("ES") ? id.ecKid() : id.rsaKid();
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
        return new ECKey.Builder(Curve.P_256, (ECPublicKey) attackerEc.getPublic()).keyID(id.ecKid()).build().toJSONString();
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
            case 6 -> q(id.spiffeId());
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

}
