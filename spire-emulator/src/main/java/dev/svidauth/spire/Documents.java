package dev.svidauth.spire;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The three documents the emulator serves, byte for byte as SPIRE's Go code writes them (member
 * order, indentation, string escaping): the OIDC Discovery Provider's discovery document and key
 * set, and the SPIFFE bundle endpoint's bundle. HTTP concerns (headers, conditional requests,
 * faults) belong to {@link Endpoints}.
 */
final class Documents {

    private final String issuer;
    private final KeyRing keys;
    private final boolean setKeyUse;
    private final Duration refreshHint;
    /** The X.509 CAs whose authorities the bundle carries, or null for a bundle of JWT keys only. */
    private final X509CaManager x509Authorities;
    /** The WIT-SVID keys the bundle carries ({@code use: wit-svid}), or null when the emulator issues none. */
    private final KeyRing witKeys;

    Documents(String issuer, KeyRing keys, boolean setKeyUse, Duration refreshHint, X509CaManager x509Authorities) {
        this(issuer, keys, setKeyUse, refreshHint, x509Authorities, null);
    }

    Documents(String issuer, KeyRing keys, boolean setKeyUse, Duration refreshHint, X509CaManager x509Authorities, KeyRing witKeys) {
        this.witKeys = witKeys;
        this.issuer = issuer;
        this.keys = keys;
        this.setKeyUse = setKeyUse;
        this.refreshHint = refreshHint;
        this.x509Authorities = x509Authorities;
    }

    /**
     * {@code serveWellKnown} of SPIRE's OIDC Discovery Provider: the configured issuer, else one
     * derived from the request's host and scheme, as is the {@code jwks_uri}.
     */
    byte[] discovery(String host, String scheme) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", issuer != null ? issuer : scheme + "://" + host);
        doc.put("jwks_uri", scheme + "://" + host + SpireEmulator.KEYS_PATH);
        doc.put("authorization_endpoint", "");
        doc.put("response_types_supported", List.of("id_token"));
        doc.put("subject_types_supported", List.of("public"));
        doc.put("id_token_signing_alg_values_supported", List.of("RS256", "ES256", "ES384"));
        return GoJson.marshalIndent(doc, "  ").getBytes(StandardCharsets.UTF_8);
    }

    /** The OIDC Discovery Provider's key set and when it last changed (whole seconds, for {@code Last-Modified}). */
    KeySetDocument keySet() {
        KeyRing.Publication published = keys.publication(setKeyUse ? "sig" : null, true);
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("keys", published.jwks());
        byte[] body = GoJson.marshalIndent(set, "  ").getBytes(StandardCharsets.UTF_8);
        return new KeySetDocument(body, Instant.ofEpochSecond(published.modified().getEpochSecond()));
    }

    /** {@code /keys} and its modification time. */
    record KeySetDocument(byte[] body, Instant lastModified) {
    }

    private static String base64(X509Certificate cert) {
        try {
            return Base64.getEncoder().encodeToString(cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SPIRE's bundle endpoint: {@code bundleutil.Marshal} output, indented by four spaces. */
    byte[] bundle() {
        List<Object> jwks = new ArrayList<>();
        if (x509Authorities != null) {
            // spiffebundle marshalling: every X.509 authority as a key with one certificate, before the JWT keys
            for (X509Certificate ca : x509Authorities.authorities()) {
                jwks.add(GoJwk.json("x509-svid", null, null, ca.getPublicKey(), List.of(base64(ca))));
            }
        }
        KeyRing.Publication published = keys.publication("jwt-svid", false);
        jwks.addAll(published.jwks());
        if (witKeys != null) {
            jwks.addAll(witKeys.publication("wit-svid", false).jwks());
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("keys", jwks);
        doc.put("spiffe_sequence", published.sequence());
        long hint = refreshHint.getSeconds();
        if (hint != 0) {
            doc.put("spiffe_refresh_hint", hint);
        }
        return GoJson.marshalIndent(doc, "    ").getBytes(StandardCharsets.UTF_8);
    }
}
