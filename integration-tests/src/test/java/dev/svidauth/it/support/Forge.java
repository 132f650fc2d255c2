package dev.svidauth.it.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Signs arbitrary header and payload JSON text, for hostile and hand-made assertions. */
public final class Forge {

    private Forge() {
    }

    public static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** header.payload signed with {@code key} using {@code alg} (which must fit the key). */
    public static String sign(JWK key, String alg, String headerJson, String payloadJson) {
        String input = b64(headerJson) + "." + b64(payloadJson);
        try {
            JWSHeader h = new JWSHeader(JWSAlgorithm.parse(alg));
            byte[] sig = key instanceof ECKey
                    ? new ECDSASigner((ECKey) key).sign(h, input.getBytes(StandardCharsets.US_ASCII)).decode()
                    : new RSASSASigner((RSAKey) key).sign(h, input.getBytes(StandardCharsets.US_ASCII)).decode();
            return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims JSON of a normal SVID, valid for 5 minutes from now. */
    public static String claims(String sub, String aud, String iss) {
        long now = System.currentTimeMillis() / 1000;
        return "{\"aud\":[\"" + aud + "\"],\"exp\":" + (now + 300) + ",\"iat\":" + now
                + (iss != null ? ",\"iss\":\"" + iss + "\"" : "") + ",\"sub\":\"" + sub + "\"}";
    }

    public static String header(String alg, String kid) {
        return "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
    }
}
