package dev.svidauth.spire;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A public key as go-jose's {@code JSONWebKey} marshals it (the form of SPIRE's {@code /keys} and
 * bundle members): {@code use, kty, kid, crv, alg, x, y, n, e, x5c} in that order, each only when
 * set; EC coordinates padded to the curve size, RSA modulus without a leading zero.
 */
final class GoJwk {

    private GoJwk() {
    }

    /**
     * @param use {@code use} or null
     * @param kid {@code kid} or null
     * @param alg {@code alg} or null
     * @param x5c base64 DER certificates for {@code x5c}, or empty
     */
    static Map<String, Object> json(String use, String kid, String alg, PublicKey key, List<String> x5c) {
        Map<String, Object> m = new LinkedHashMap<>();
        put(m, "use", use);
        if (key instanceof ECPublicKey ec) {
            ECKey jwk = new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
            m.put("kty", "EC");
            put(m, "kid", kid);
            m.put("crv", jwk.getCurve().getName());
            put(m, "alg", alg);
            m.put("x", jwk.getX().toString());
            m.put("y", jwk.getY().toString());
        } else {
            RSAKey jwk = new RSAKey.Builder((RSAPublicKey) key).build();
            m.put("kty", "RSA");
            put(m, "kid", kid);
            put(m, "alg", alg);
            m.put("n", jwk.getModulus().toString());
            m.put("e", jwk.getPublicExponent().toString());
        }
        if (!x5c.isEmpty()) {
            m.put("x5c", x5c);
        }
        return m;
    }

    private static void put(Map<String, Object> m, String name, String value) {
        if (value != null) {
            m.put(name, value);
        }
    }
}
