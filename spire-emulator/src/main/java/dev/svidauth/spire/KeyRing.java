package dev.svidauth.spire;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The emulator's JWT signing keys and SPIRE's rotation of them: two key slots (the signing key and
 * a prepared next key), the published set in publication order, the bundle's
 * {@code spiffe_sequence} and the key set's modification time. The schedule SPIRE follows and
 * where each rule lives in SPIRE's source: {@code spire-emulator/README.md}. Thread-safe.
 */
final class KeyRing {

    private static final String KID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyType keyType;
    private final boolean setKeyUse;
    private final Duration caTtl;
    private final Clock clock;

    private final Object lock = new Object();
    /** Published JWT keys in publication order. Guarded by {@link #lock}. */
    private final List<ManagedKey> keys = new ArrayList<>();
    private ManagedKey current;
    private ManagedKey next;
    private long sequence = 1;
    private Instant keysModified;

    KeyRing(KeyType keyType, boolean setKeyUse, Duration caTtl, Clock clock) {
        this.keyType = keyType;
        this.setKeyUse = setKeyUse;
        this.caTtl = caTtl;
        this.clock = clock;
        ManagedKey first = newKey(ManagedKey.Status.ACTIVE);
        keys.add(first);
        current = first;
        keysModified = clock.instant();
    }

    KeyType keyType() {
        return keyType;
    }

    /** The key that signs right now. */
    ManagedKey current() {
        synchronized (lock) {
            return current;
        }
    }

    /** See {@link SpireEmulator#signingKey()}. */
    JWK signingKey() {
        return current().jwk;
    }

    /** See {@link SpireEmulator#signingKeyNotAfter()}. */
    Instant signingKeyNotAfter() {
        return current().notAfter;
    }

    /** See {@link SpireEmulator#nextKey()}. */
    Optional<JWK> nextKey() {
        synchronized (lock) {
            return next == null ? Optional.empty() : Optional.of(publicJwk(next));
        }
    }

    /** See {@link SpireEmulator#publishedKeys()}. */
    List<JWK> publishedKeys() {
        synchronized (lock) {
            return keys.stream().map(this::publicJwk).toList();
        }
    }

    /** See {@link SpireEmulator#bundleSequence()}. */
    long sequence() {
        synchronized (lock) {
            return sequence;
        }
    }

    /** See {@link SpireEmulator#prepareRotation()}. */
    void prepareRotation() {
        ManagedKey prepared = newKey(ManagedKey.Status.PREPARED);
        synchronized (lock) {
            if (next != null) {
                next.status = ManagedKey.Status.RETIRED;
            }
            next = prepared;
            keys.add(prepared);
            publicationChanged();
        }
    }

    /** See {@link SpireEmulator#activateNextKey()}. */
    void activateNextKey() {
        synchronized (lock) {
            if (next == null) {
                throw new IllegalStateException("no prepared key; call prepareRotation() first");
            }
            current.status = ManagedKey.Status.RETIRED;
            next.status = ManagedKey.Status.ACTIVE;
            current = next;
            next = null;
        }
    }

    /** See {@link SpireEmulator#dropRetiredKeys()}. */
    void dropRetiredKeys() {
        synchronized (lock) {
            if (keys.removeIf(k -> k.status == ManagedKey.Status.RETIRED)) {
                publicationChanged();
            }
        }
    }

    /** See {@link SpireEmulator#pruneBundle()}. */
    boolean pruneBundle() {
        synchronized (lock) {
            Instant expiresBefore = clock.instant().minus(SpireEmulator.BUNDLE_SAFETY_THRESHOLD);
            boolean changed = keys.removeIf(k -> k != current && !k.notAfter.isAfter(expiresBefore));
            if (changed) {
                if (next != null && !keys.contains(next)) {
                    next = null;
                }
                publicationChanged();
            }
            return changed;
        }
    }

    /**
     * The published keys as go-jose {@code JSONWebKey} members ({@link #jwkJson}), with the bundle
     * sequence and modification time of the same instant.
     */
    Publication publication(String use, boolean withAlg) {
        synchronized (lock) {
            List<Object> jwks = new ArrayList<>();
            for (ManagedKey k : keys) {
                jwks.add(jwkJson(k, use, withAlg));
            }
            return new Publication(jwks, sequence, keysModified);
        }
    }

    /** The published keys at one instant: JSON members, {@code spiffe_sequence}, {@code Last-Modified}. */
    record Publication(List<Object> jwks, long sequence, Instant modified) {
    }

    /**
     * The bundle changed outside the JWT keys (its X.509 authorities): the sequence grows, the key
     * set's modification time stays.
     */
    void bundleChanged() {
        synchronized (lock) {
            sequence++;
        }
    }

    /** Caller holds {@link #lock}. */
    private void publicationChanged() {
        sequence++;
        keysModified = clock.instant();
    }

    private ManagedKey newKey(ManagedKey.Status status) {
        String kid = newKid();
        try {
            JWK jwk = switch (keyType) {
                case EC_P256 -> new ECKeyGenerator(Curve.P_256).keyID(kid).algorithm(keyType.algorithm()).generate();
                case EC_P384 -> new ECKeyGenerator(Curve.P_384).keyID(kid).algorithm(keyType.algorithm()).generate();
                case RSA_2048 -> new RSAKeyGenerator(2048).keyID(kid).algorithm(keyType.algorithm()).generate();
                case RSA_4096 -> new RSAKeyGenerator(4096).keyID(kid).algorithm(keyType.algorithm()).generate();
            };
            JWSSigner signer = jwk instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) jwk);
            return new ManagedKey(kid, jwk, signer, status, clock.instant().plus(caTtl));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a " + keyType + " key", e);
        }
    }

    /** SPIRE's {@code newKeyID}: 32 random bytes, each mapped onto [a-zA-Z0-9] modulo 62. */
    private static String newKid() {
        byte[] choices = new byte[32];
        RANDOM.nextBytes(choices);
        StringBuilder kid = new StringBuilder(32);
        for (byte b : choices) {
            kid.append(KID_ALPHABET.charAt((b & 0xFF) % KID_ALPHABET.length()));
        }
        return kid.toString();
    }

    private JWK publicJwk(ManagedKey k) {
        JWK pub = k.jwk.toPublicJWK();
        if (pub instanceof ECKey ec) {
            return new ECKey.Builder(ec).keyUse(setKeyUse ? KeyUse.SIGNATURE : null).build();
        }
        return new RSAKey.Builder((RSAKey) pub).keyUse(setKeyUse ? KeyUse.SIGNATURE : null).build();
    }

    /** A go-jose {@code JSONWebKey} as Go serializes it: use, kty, kid, crv, alg, x, y, n, e. */
    private Map<String, Object> jwkJson(ManagedKey k, String use, boolean withAlg) {
        try {
            java.security.PublicKey pub = k.jwk instanceof ECKey ec ? ec.toECPublicKey() : ((RSAKey) k.jwk).toRSAPublicKey();
            return GoJwk.json(use, k.kid, withAlg ? keyType.algorithm().getName() : null, pub, List.of());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One JWT key: its private JWK, signer, slot status and expiry. */
    static final class ManagedKey {
        enum Status { ACTIVE, PREPARED, RETIRED }

        final String kid;
        final JWK jwk;
        final JWSSigner signer;
        /** {@code ca_ttl} after generation (SPIRE's {@code jwtKey.NotAfter}). */
        final Instant notAfter;
        Status status;

        ManagedKey(String kid, JWK jwk, JWSSigner signer, Status status, Instant notAfter) {
            this.kid = kid;
            this.jwk = jwk;
            this.signer = signer;
            this.status = status;
            this.notAfter = notAfter;
        }
    }
}
