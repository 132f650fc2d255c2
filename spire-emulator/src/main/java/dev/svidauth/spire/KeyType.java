package dev.svidauth.spire;

import com.nimbusds.jose.JWSAlgorithm;

/**
 * The JWT signing key types SPIRE Server accepts for its {@code jwt_key_type} setting, with the
 * JWS algorithm SPIRE derives from each (SPIRE picks the algorithm from the public key, never from
 * configuration). SPIRE's default is {@link #EC_P256}.
 */
public enum KeyType {
    /** {@code ec-p256}: ECDSA on NIST P-256, signs with {@code ES256}. SPIRE's default. */
    EC_P256(JWSAlgorithm.ES256),
    /** {@code ec-p384}: ECDSA on NIST P-384, signs with {@code ES384}. */
    EC_P384(JWSAlgorithm.ES384),
    /** {@code rsa-2048}: RSA 2048-bit, signs with {@code RS256}. */
    RSA_2048(JWSAlgorithm.RS256),
    /** {@code rsa-4096}: RSA 4096-bit, signs with {@code RS256}. Slow to generate. */
    RSA_4096(JWSAlgorithm.RS256);

    private final JWSAlgorithm algorithm;

    KeyType(JWSAlgorithm algorithm) {
        this.algorithm = algorithm;
    }

    /** The JWS algorithm SVIDs signed with a key of this type carry in their {@code alg} header. */
    public JWSAlgorithm algorithm() {
        return algorithm;
    }
}
