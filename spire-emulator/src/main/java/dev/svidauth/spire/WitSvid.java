package dev.svidauth.spire;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A WIT-SVID as the Workload API would hand it over (SPIFFE {@code standards/workloadapiwitsvid.proto}):
 * the token and the workload's key pair whose public half is its {@code cnf.jwk}. {@link #pop}
 * makes the proof of possession the attestation draft's PoP JWT asks for.
 */
public final class WitSvid {

    /** {@code typ} of a Client Attestation PoP JWT (draft-ietf-oauth-attestation-based-client-auth). */
    public static final String POP_TYP = "oauth-client-attestation-pop+jwt";

    private final String token;
    private final String spiffeId;
    private final JWK workloadKey;
    private final JWSAlgorithm workloadAlgorithm;

    WitSvid(String token, String spiffeId, JWK workloadKey, JWSAlgorithm workloadAlgorithm) {
        this.token = token;
        this.spiffeId = spiffeId;
        this.workloadKey = workloadKey;
        this.workloadAlgorithm = workloadAlgorithm;
    }

    /** The compact WIT-SVID, for the {@code OAuth-Client-Attestation} header. */
    public String token() {
        return token;
    }

    public String spiffeId() {
        return spiffeId;
    }

    /** The workload's key pair (with its private part): {@code cnf.jwk} is its public half. */
    public JWK workloadKey() {
        return workloadKey;
    }

    /** {@code cnf.jwk.alg}. */
    public JWSAlgorithm workloadAlgorithm() {
        return workloadAlgorithm;
    }

    /** A fresh PoP for {@code audience} (the authorization server's issuer): {@code iat} now, a new {@code jti}. */
    public String pop(String audience) {
        return pop(audience, Map.of());
    }

    /**
     * A PoP for {@code audience} whose claims {@code overrides} changes (a null value removes the
     * claim), signed by the workload key.
     */
    public String pop(String audience, Map<String, Object> overrides) {
        return pop(audience, overrides, workloadKey, workloadAlgorithm, Map.of());
    }

    /**
     * A PoP signed by {@code key} with {@code alg}, with claims and header members changed by the
     * overrides (a null value removes one): for tests of PoPs the workload would never send.
     */
    public String pop(String audience, Map<String, Object> overrides, JWK key, JWSAlgorithm alg, Map<String, Object> headerOverrides) {
        Map<String, Object> claims = new TreeMap<>();
        claims.put("aud", audience);
        claims.put("iat", Instant.now().getEpochSecond());
        claims.put("jti", UUID.randomUUID().toString());
        apply(claims, overrides);
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", alg.getName());
        header.put("typ", POP_TYP);
        apply(header, headerOverrides);
        return sign(header, claims, key, alg);
    }

    private static void apply(Map<String, Object> target, Map<String, Object> overrides) {
        overrides.forEach((k, v) -> {
            if (v == null) {
                target.remove(k);
            } else {
                target.put(k, v);
            }
        });
    }

    /** Signs {@code header.claims} (Go's JSON serialization) with {@code key}, whatever the header says. */
    static String sign(Map<String, Object> header, Map<String, Object> claims, JWK key, JWSAlgorithm alg) {
        Objects.requireNonNull(key, "key");
        String signingInput = Base64URL.encode(GoJson.marshal(header)).toString() + "."
                + Base64URL.encode(GoJson.marshal(GoJson.sortedDeep(claims))).toString();
        try {
            JWSSigner signer = key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key);
            Base64URL signature = signer.sign(new JWSHeader(alg), signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + signature;
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign", e);
        }
    }

    @Override
    public String toString() {
        return "WitSvid{" + spiffeId + "}";
    }
}
