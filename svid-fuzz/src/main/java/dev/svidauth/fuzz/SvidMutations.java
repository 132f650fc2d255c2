package dev.svidauth.fuzz;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
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
 * {@link #mutators()} (or a selection, {@link #mutators(String...)}) to them. The mutations live in
 * four families ({@code ByteMutations}, {@code StructureMutations}, {@code JsonMutations},
 * {@code SignatureMutations}); this class is their one public face.
 */
public final class SvidMutations {

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

    private final ByteMutations bytes;
    private final StructureMutations structure;
    private final JsonMutations json;
    private final SignatureMutations signatures;
    private List<Seed> seeds = List.of();

    /**
     * @param ec          the verifier's EC P-256 key (genuine signatures, HMAC keyed with its public part)
     * @param rsa         the verifier's RSA key, or any RSA key where the verifier has none
     * @param attackerEc  an EC P-256 key nobody publishes
     * @param attackerRsa an RSA key nobody publishes
     */
    public SvidMutations(Random rnd, SecureRandom drbg, Identity id, KeyPair ec, KeyPair rsa, KeyPair attackerEc,
                         KeyPair attackerRsa) {
        MutationFamily.Sources sources = new MutationFamily.Sources(Objects.requireNonNull(rnd, "rnd"),
                Objects.requireNonNull(drbg, "drbg"), Objects.requireNonNull(id, "id"),
                Objects.requireNonNull(ec, "ec"), Objects.requireNonNull(rsa, "rsa"),
                Objects.requireNonNull(attackerEc, "attackerEc"), Objects.requireNonNull(attackerRsa, "attackerRsa"),
                () -> this.seeds);
        this.bytes = new ByteMutations(sources);
        this.structure = new StructureMutations(sources);
        this.json = new JsonMutations(sources);
        this.signatures = new SignatureMutations(sources);
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
        return new Seed(bytes.sign(alg, key, MutationFamily.b64(header), MutationFamily.b64(payload)), header, payload,
                alg, key);
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
        return bytes.randomB64(n);
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
        list.add(new Mutator("bit-flip", bytes::bitFlip));
        list.add(new Mutator("char-substitution", bytes::charSubstitution));
        list.add(new Mutator("truncation", bytes::truncation));
        list.add(new Mutator("range-deletion", bytes::rangeDeletion));
        list.add(new Mutator("insertion", bytes::insertion));
        list.add(new Mutator("range-duplication", bytes::rangeDuplication));
        list.add(new Mutator("part-shuffle", structure::partShuffle));
        list.add(new Mutator("part-from-other-token", structure::partFromOther));
        list.add(new Mutator("random-base64url-part", structure::randomPart));
        list.add(new Mutator("random-token", structure::randomToken));
        list.add(new Mutator("random-json-header", json::randomHeader));
        list.add(new Mutator("claim-edit", json::claimEdit));
        list.add(new Mutator("raw-json-text", json::rawJsonText));
        list.add(new Mutator("non-json-part", json::nonJsonPart));
        list.add(new Mutator("signature-tampering", signatures::signatureTampering));
        list.add(new Mutator("alg-confusion", signatures::algConfusion));
        list.add(new Mutator("base64url-non-canonical", bytes::nonCanonical));
        return list;
    }

    /**
     * The named mutators, in the order given: {@link #mutators()}' names, and {@code header-edit}
     * (a known-hostile header over the seed's payload).
     */
    public List<Mutator> mutators(String... names) {
        Map<String, Mutator> all = new LinkedHashMap<>();
        mutators().forEach(m -> all.put(m.name(), m));
        all.put("header-edit", new Mutator("header-edit", json::headerEdit));
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
}
