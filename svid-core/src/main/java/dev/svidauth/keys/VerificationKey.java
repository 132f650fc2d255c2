package dev.svidauth.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Objects;

/**
 * One public key from a key source, with its verifier built once (building an EC or RSA verifier
 * converts the JWK to a JCA key, which is too slow to repeat on every request).
 */
public final class VerificationKey {

    /** RSA keys shorter than this are refused (NIST SP 800-131A; JWT-SVID issuers use 2048+). */
    public static final int MIN_RSA_BITS = KeyLimits.MIN_RSA_BITS;

    private final JWK jwk;
    private final JWSVerifier verifier;
    private final String family;
    private final Curve curve;

    private VerificationKey(JWK jwk, JWSVerifier verifier, String family, Curve curve) {
        this.jwk = jwk;
        this.verifier = verifier;
        this.family = family;
        this.curve = curve;
    }

    /**
     * Wraps a public JWK; signatures are checked with the JDK's default providers.
     *
     * @throws KeySourceException when the key is private, of an unsupported type or too weak
     */
    public static VerificationKey of(JWK jwk) throws KeySourceException {
        return of(jwk, null);
    }

    /**
     * Wraps a public JWK whose ECDSA signatures are checked with {@code ecdsaProvider} (null: the
     * JDK default). Inside Keycloak that is the provider {@code ecdsa-provider} chose, usually
     * Keycloak's own BouncyCastle one. The key is converted to that provider's own form once, here
     * ({@link #inProviderForm}).
     *
     * @throws KeySourceException when the key is private, of an unsupported type or too weak
     */
    public static VerificationKey of(JWK jwk, Provider ecdsaProvider) throws KeySourceException {
        Objects.requireNonNull(jwk, "jwk");
        if (jwk.isPrivate()) {
            throw new KeySourceException("key '" + jwk.getKeyID() + "' contains private key material");
        }
        try {
            if (jwk instanceof ECKey) {
                ECKey ec = (ECKey) jwk;
                Curve crv = ec.getCurve();
                if (!Curve.P_256.equals(crv) && !Curve.P_384.equals(crv) && !Curve.P_521.equals(crv)) {
                    throw new KeySourceException("key '" + jwk.getKeyID() + "' uses unsupported curve " + crv);
                }
                ECDSAVerifier verifier = new ECDSAVerifier(inProviderForm(ec.toECPublicKey(), ecdsaProvider));
                if (ecdsaProvider != null) {
                    verifier.getJCAContext().setProvider(ecdsaProvider);
                }
                return new VerificationKey(jwk, verifier, "EC", crv);
            }
            if (jwk instanceof RSAKey) {
                RSAKey rsa = (RSAKey) jwk;
                if (rsa.size() < MIN_RSA_BITS) {
                    throw new KeySourceException("key '" + jwk.getKeyID() + "' is a " + rsa.size() + "-bit RSA key; at least "
                            + MIN_RSA_BITS + " bits are required");
                }
                // bounded cost per verification (KeyLimits): modulus size and a small odd exponent
                String problem = KeyLimits.rsaProblem(rsa.getModulus().decodeToBigInteger(),
                        rsa.getPublicExponent().decodeToBigInteger());
                if (problem != null) {
                    throw new KeySourceException("key '" + jwk.getKeyID() + "' " + problem);
                }
                return new VerificationKey(jwk, new RSASSAVerifier(rsa), "RSA", null);
            }
        } catch (JOSEException e) {
            throw new KeySourceException("key '" + jwk.getKeyID() + "' is not a valid public key: " + e.getMessage(), e);
        }
        throw new KeySourceException("key '" + jwk.getKeyID() + "' has unsupported type " + jwk.getKeyType());
    }

    /**
     * {@code key} as {@code provider}'s own key class (null provider: {@code key} itself). A provider
     * converts a foreign key to its own form on every {@code Signature.initVerify}; BouncyCastle then
     * also redoes the point precomputation it keeps on its own key objects, the largest single cost
     * of verifying a new SVID (BENCHMARKS.md, "The ECDSA floor, and the key form"). Falls back to
     * {@code key} when the provider cannot take it (no EC key factory).
     */
    public static ECPublicKey inProviderForm(ECPublicKey key, Provider provider) {
        if (provider == null) {
            return key;
        }
        try {
            PublicKey own = KeyFactory.getInstance("EC", provider).generatePublic(new X509EncodedKeySpec(key.getEncoded()));
            return own instanceof ECPublicKey ? (ECPublicKey) own : key;
        } catch (GeneralSecurityException | RuntimeException e) {
            return key;
        }
    }

    /** The key's kid, or null. */
    public String kid() {
        return jwk.getKeyID();
    }

    public JWK jwk() {
        return jwk;
    }

    public JWSVerifier verifier() {
        return verifier;
    }

    /**
     * Whether this key may verify a signature made with {@code alg}: the key family and, for EC,
     * the curve must fit (RFC 7518 section 3.4), and a key that declares {@code alg} is used for
     * that algorithm only (RFC 7517 section 4.4).
     */
    public boolean canVerify(String alg) {
        if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(alg)) {
            return false;
        }
        JWSAlgorithm a = JWSAlgorithm.parse(alg);
        if ("RSA".equals(family)) {
            return JWSAlgorithm.Family.RSA.contains(a);
        }
        if (JWSAlgorithm.ES256.equals(a)) {
            return Curve.P_256.equals(curve);
        }
        if (JWSAlgorithm.ES384.equals(a)) {
            return Curve.P_384.equals(curve);
        }
        if (JWSAlgorithm.ES512.equals(a)) {
            return Curve.P_521.equals(curve);
        }
        return false;
    }
}
