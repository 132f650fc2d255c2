package dev.svidauth.keys;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.List;

/**
 * The explicit bounds on what a key set may cost to use: every public-key
 * operation a request can cause is one that a real JWT-SVID issuer's key set would cause too.
 * A key set outside the bounds is refused as a whole when it is fetched, like a malformed one
 * (the cache keeps its last-known-good keys); a single key outside the per-key bounds is skipped.
 *
 * <ul>
 *   <li><b>Per key set:</b> at most {@link #MAX_ENTRIES} entries in {@code keys}, at most
 *       {@link #MAX_JWT_KEYS} JWT-SVID keys, at most {@link #MAX_WIT_KEYS} WIT-SVID keys, at most {@link #MAX_X509_AUTHORITIES} X.509
 *       authorities, and no {@code kid} twice among the JWT-SVID keys (RFC 7517 section 4.5: the
 *       kid tells keys apart). So an SVID with a kid meets one key at most, and one without a kid
 *       at most {@link #MAX_JWT_KEYS}. SPIRE publishes one or two JWT keys and one or two X.509
 *       authorities per trust domain (the current one and the one prepared for rotation).</li>
 *   <li><b>RSA keys</b>: a modulus of {@link #MIN_RSA_BITS} to {@link #MAX_RSA_BITS} bits (SPIRE's
 *       key types are rsa-2048 and rsa-4096; RFC 7518 section 3.3 asks for 2048 or more), and an
 *       odd public exponent from 3 to {@link #MAX_RSA_EXPONENT} (Go's crypto/rsa, which SPIRE and
 *       go-jose use, refuses larger ones; issuers use 65537). The JDK accepts any exponent below
 *       the modulus for a modulus up to 3072 bits: a verification with an exponent that size costs
 *       as much as an RSA private-key operation without CRT.</li>
 *   <li><b>EC keys</b>: named curves P-256, P-384 and P-521 only (a JWK names its curve in
 *       {@code crv}; a certificate's key must carry the parameters of one of those curves).</li>
 * </ul>
 */
public final class KeyLimits {

    /** Entries of a key set's {@code keys} array, of any use. */
    public static final int MAX_ENTRIES = 64;
    /** JWT-SVID signing keys in one key set. */
    public static final int MAX_JWT_KEYS = 16;
    /** WIT-SVID signing keys ({@code use: wit-svid}) in one SPIFFE bundle, counted apart from the JWT-SVID keys. */
    public static final int MAX_WIT_KEYS = 16;
    /** X.509 authorities ({@code use: x509-svid}) in one SPIFFE bundle. */
    public static final int MAX_X509_AUTHORITIES = 16;
    /** Smallest RSA modulus, in bits (NIST SP 800-131A; RFC 7518 section 3.3). */
    public static final int MIN_RSA_BITS = 2048;
    /** Largest RSA modulus, in bits. */
    public static final int MAX_RSA_BITS = 4096;
    /** Largest RSA public exponent: 2^31 - 1, Go crypto/rsa's bound. */
    public static final BigInteger MAX_RSA_EXPONENT = BigInteger.valueOf(Integer.MAX_VALUE);

    private static final BigInteger THREE = BigInteger.valueOf(3);
    private static final List<String> NAMED_CURVES = List.of("secp256r1", "secp384r1", "secp521r1");

    private KeyLimits() {
    }

    /** Why an RSA key with modulus {@code n} and exponent {@code e} is refused, or null when it is within bounds. */
    public static String rsaProblem(BigInteger n, BigInteger e) {
        int bits = n.bitLength();
        if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
            return "is a " + bits + "-bit RSA key; " + MIN_RSA_BITS + " to " + MAX_RSA_BITS + " bits are accepted";
        }
        if (e.compareTo(THREE) < 0 || e.compareTo(MAX_RSA_EXPONENT) > 0 || !e.testBit(0)) {
            return "has an RSA public exponent of " + e.bitLength() + " bits" + (e.testBit(0) ? "" : " (even)")
                    + "; an odd exponent from 3 to 2^31-1 is accepted (issuers use 65537)";
        }
        return null;
    }

    /** Why a certificate's public key is refused, or null when it is RSA or EC within bounds. */
    public static String publicKeyProblem(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return rsaProblem(rsa.getModulus(), rsa.getPublicExponent());
        }
        if (key instanceof ECPublicKey ec) {
            return namedCurve(ec.getParams()) != null ? null : "has an EC key that is not on P-256, P-384 or P-521";
        }
        return "has a " + key.getAlgorithm() + " key; only RSA and EC keys are accepted";
    }

    /**
     * The name of the curve whose parameters {@code params} are, among P-256, P-384 and P-521, or
     * null: parameters given explicitly are compared field by field, so a made-up curve is never
     * taken for a named one.
     */
    static String namedCurve(ECParameterSpec params) {
        for (String name : NAMED_CURVES) {
            try {
                AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
                ap.init(new ECGenParameterSpec(name));
                ECParameterSpec named = ap.getParameterSpec(ECParameterSpec.class);
                if (named.getCurve().equals(params.getCurve()) && named.getGenerator().equals(params.getGenerator())
                        && named.getOrder().equals(params.getOrder()) && named.getCofactor() == params.getCofactor()) {
                    return name;
                }
            } catch (GeneralSecurityException e) {
                // curve unknown to this JDK: not accepted
            }
        }
        return null;
    }
}
