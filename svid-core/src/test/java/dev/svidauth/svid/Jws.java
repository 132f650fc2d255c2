package dev.svidauth.svid;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Test helper: signs arbitrary header and payload JSON text (not objects, so tests can craft
 * duplicate members, non-objects and other things a JWT library would refuse to produce).
 */
final class Jws {

    private Jws() {
    }

    static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Signs {@code b64(header).b64(payload)} with {@code key} using {@code alg}, whatever the header says. */
    static String sign(String headerJson, String payloadJson, JWK key, JWSAlgorithm alg) {
        String input = b64(headerJson) + "." + b64(payloadJson);
        return input + "." + signature(input, key, alg);
    }

    static String signature(String signingInput, JWK key, JWSAlgorithm alg) {
        try {
            JWSSigner signer = key instanceof ECKey ? new ECDSASigner((ECKey) key) : new RSASSASigner((RSAKey) key);
            return signer.sign(new JWSHeader(alg), signingInput.getBytes(StandardCharsets.US_ASCII)).toString();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static ECKey ec(Curve curve, String kid) {
        try {
            return new ECKeyGenerator(curve).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static RSAKey rsa(int bits, String kid) {
        try {
            return new RSAKeyGenerator(bits, bits < 2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
