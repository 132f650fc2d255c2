package dev.svidauth.fuzz;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.svidauth.fuzz.SvidMutations.Identity;
import dev.svidauth.fuzz.SvidMutations.Seed;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * What every family of mutations draws on: the seeded {@link Random} for every choice, the seeded
 * {@link SecureRandom} for every signature, the {@link Identity} that edits are built around, the
 * verifier's and the attacker's keys, the genuine seeds, and the helpers that sign and write random
 * text and JSON. Every random choice goes through {@link #rnd} in a fixed order, so a seed names
 * the same inputs on every run.
 */
abstract class MutationFamily {

    static final String B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /** The generator's state, shared by its families; {@code seeds} is read at each use, as it may be set later. */
    record Sources(Random rnd, SecureRandom drbg, Identity id, KeyPair ec, KeyPair rsa, KeyPair attackerEc,
                   KeyPair attackerRsa, Supplier<List<Seed>> seeds) {
    }

    final Random rnd;
    final SecureRandom drbg;
    final Identity id;
    final KeyPair ec;
    final KeyPair rsa;
    final KeyPair attackerEc;
    final KeyPair attackerRsa;
    private final Supplier<List<Seed>> seeds;

    MutationFamily(Sources sources) {
        this.rnd = sources.rnd();
        this.drbg = sources.drbg();
        this.id = sources.id();
        this.ec = sources.ec();
        this.rsa = sources.rsa();
        this.attackerEc = sources.attackerEc();
        this.attackerRsa = sources.attackerRsa();
        this.seeds = sources.seeds();
    }

    /** The genuine tokens, for mutations that take parts or signatures of another one. */
    List<Seed> seeds() {
        return seeds.get();
    }

    /**
     * Whether an edited header or payload gets an attacker's own signature (same kid, another key)
     * rather than keeping the genuine signature of the unedited token. To a verifier without the
     * private key both are just invalid signatures; real ones cost time, so one in eight will do.
     */
    boolean forge() {
        return rnd.nextInt(8) == 0;
    }

    PrivateKey attackerKey(String alg) {
        return alg.startsWith("ES") ? attackerEc.getPrivate() : attackerRsa.getPrivate();
    }

    String forgeSigned(String alg, String header, String payload) {
        return sign(alg, attackerKey(alg), b64(header), b64(payload));
    }

    String jwkOfAttacker() {
        return new ECKey.Builder(Curve.P_256, (ECPublicKey) attackerEc.getPublic()).keyID(id.ecKid()).build().toJSONString();
    }

    String sign(String alg, PrivateKey key, String h, String p) {
        return h + "." + p + "." + b64(sigBytes(alg, key, h + "." + p));
    }

    byte[] sigBytes(String alg, PrivateKey key, String input) {
        try {
            Signature sig = Signature.getInstance(alg.startsWith("ES") ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
            sig.initSign(key, drbg);
            sig.update(input.getBytes(StandardCharsets.US_ASCII));
            return sig.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String object(Map<String, String> members, boolean duplicateOne) {
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
    String randomJsonValue(int depth) {
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
    static String q(String s) {
        return "\"" + s + "\"";
    }

    /** Random text as JSON string content: escapes, surrogates, RTL marks, NUL, emoji, CJK. */
    String randomUnicode(int n) {
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

    static final String SPECIAL = ".=+/ %\n\t\u0000\u00ff\u200b";

    char randomChar() {
        return switch (rnd.nextInt(5)) {
            case 0 -> SPECIAL.charAt(rnd.nextInt(SPECIAL.length()));
            case 1 -> (char) rnd.nextInt(0x10000);
            default -> B64URL.charAt(rnd.nextInt(B64URL.length()));
        };
    }

    String randomString(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(rnd.nextInt(5) == 0 ? '.' : randomChar());
        }
        return b.toString();
    }

    String randomB64(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(B64URL.charAt(rnd.nextInt(B64URL.length())));
        }
        return b.toString();
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
