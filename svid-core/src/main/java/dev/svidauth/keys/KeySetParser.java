package dev.svidauth.keys;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWK;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.net.URI;
import java.security.Provider;
import java.security.cert.Certificate;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a key-source document, detecting its format:
 * <ul>
 *   <li>a SPIFFE bundle (top-level {@code spiffe_sequence} or {@code spiffe_refresh_hint}):
 *       keys with {@code use: "jwt-svid"} are the JWT-SVID keys; keys with {@code use: "wit-svid"}
 *       the WIT-SVID keys, kept apart in {@link KeySet#witKeys()} (SPIFFE WIT-SVID spec section 6);
 *       entries with
 *       {@code use: "x509-svid"} are the trust domain's X.509 authorities, each read from the one
 *       certificate of its {@code x5c} (SPIFFE Trust Domain and Bundle spec, section 4.2.1) into
 *       {@link KeySet#x509Authorities()}; an unreadable authority is skipped, never fatal;</li>
 *   <li>a JWKS (the SPIRE OIDC Discovery Provider's {@code /keys}): keys with {@code use} absent
 *       or {@code sig}.</li>
 * </ul>
 * A document that is not JSON, has no {@code keys} array, or whose signing keys are all unusable
 * is refused as a whole, so the cache keeps its last-known-good keys rather than replacing them
 * with nothing.
 *
 * <p>A well-formed document that publishes no JWT-SVID key at all is different: an empty
 * {@code keys} array, or a bundle without a {@code jwt-svid} entry (SPIRE with JWT-SVIDs
 * disabled), is the trust domain saying that none of its JWT-SVIDs is valid any more (SPIFFE
 * Trust Domain and Bundle spec, section 4: a bundle is the complete set of the trust domain's
 * authorities). It parses to an empty {@link KeySet}, which replaces the cached keys.
 *
 * <p>Before any key is read, the document must keep within {@link KeyLimits} (entries, signing
 * keys, X.509 authorities, one key per {@code kid}); each key and authority must too, or it is
 * skipped. So what a request can make the server compute with a fetched key set is bounded by
 * the set's own declaration, whatever the key source sends.
 */
public final class KeySetParser {

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
            .build());

    /** The {@code use} of a bundle's WIT-SVID keys (SPIFFE WIT-SVID spec section 6.1). */
    public static final String WIT_SVID_USE = "wit-svid";

    private KeySetParser() {
    }

    public static KeySet parse(URI source, byte[] body) throws KeySourceException {
        return parse(source, body, null);
    }

    /** As {@link #parse(URI, byte[])}, with ECDSA signatures checked by {@code ecdsaProvider} (null: JDK default). */
    public static KeySet parse(URI source, byte[] body, Provider ecdsaProvider) throws KeySourceException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException | RuntimeException e) {
            throw new KeySourceException(source + " did not return JSON (is it the JWKS or bundle endpoint?)");
        }
        if (root == null || !root.isObject()) {
            throw new KeySourceException(source + " did not return a JSON object");
        }
        JsonNode keys = root.get("keys");
        if (keys == null || !keys.isArray()) {
            throw new KeySourceException(source + " returned JSON without a 'keys' array");
        }
        boolean bundle = root.has("spiffe_sequence") || root.has("spiffe_refresh_hint");
        checkLimits(source, keys, bundle);
        Duration hint = null;
        JsonNode hintNode = root.get("spiffe_refresh_hint");
        if (hintNode != null && hintNode.canConvertToLong() && hintNode.asLong() > 0) {
            hint = Duration.ofSeconds(hintNode.asLong());
        }
        List<VerificationKey> usable = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<X509Certificate> authorities = new ArrayList<>();
        List<VerificationKey> witKeys = new ArrayList<>();
        boolean foreignUseOnly = true;
        Set<String> trustDomains = new TreeSet<>();
        for (JsonNode k : keys) {
            JsonNode use = k.get("use");
            String u = use == null ? null : use.asText();
            if (bundle && "x509-svid".equals(u)) {
                trustDomains.addAll(authorityTrustDomains(k));
                try {
                    authorities.add(x509Authority(k));
                } catch (KeySourceException e) {
                    skipped.add("x509-svid authority: " + e.getMessage());
                }
                continue;
            }
            if (bundle && WIT_SVID_USE.equals(u)) {
                try {
                    witKeys.add(VerificationKey.of(JWK.parse(k.toString()), ecdsaProvider));
                } catch (ParseException | KeySourceException | RuntimeException e) {
                    skipped.add("wit-svid key '" + k.path("kid").asText("") + "': " + e.getMessage());
                }
                continue;
            }
            if (bundle ? !"jwt-svid".equals(u) : (u != null && !"sig".equals(u) && !"jwt-svid".equals(u))) {
                skipped.add("key '" + k.path("kid").asText("") + "' has use '" + u + "'");
                continue;
            }
            foreignUseOnly = false;
            try {
                // nimbus reads the JSON itself; a custom "use" like jwt-svid is kept as an opaque value.
                usable.add(VerificationKey.of(JWK.parse(k.toString()), ecdsaProvider));
            } catch (ParseException | KeySourceException | RuntimeException e) {
                skipped.add("key '" + k.path("kid").asText("") + "': " + e.getMessage());
            }
        }
        // No keys at all, or a bundle with only other authorities (x509-svid): the trust domain
        // publishes no JWT-SVID key. A JWKS whose only keys are for another use stays refused.
        boolean noJwtSvidKeys = keys.isEmpty() || (bundle && foreignUseOnly);
        if (usable.isEmpty() && !noJwtSvidKeys) {
            throw new KeySourceException(source + " published no usable signing key"
                    + (skipped.isEmpty() ? "" : " (" + String.join("; ", skipped) + ")"));
        }
        return new KeySet(usable, bundle ? KeySet.Format.SPIFFE_BUNDLE : KeySet.Format.JWKS, hint, skipped, authorities, trustDomains,
                witKeys);
    }

    /**
     * The bounds of {@link KeyLimits} on the whole set, checked before any key is read: too many
     * entries, JWT-SVID keys or X.509 authorities, or a {@code kid} used twice among the JWT-SVID
     * keys, refuse the document (the cache keeps its last-known-good keys).
     */
    private static void checkLimits(URI source, JsonNode keys, boolean bundle) throws KeySourceException {
        if (keys.size() > KeyLimits.MAX_ENTRIES) {
            throw new KeySourceException(source + " publishes " + keys.size() + " keys; a key set of at most "
                    + KeyLimits.MAX_ENTRIES + " is accepted");
        }
        int jwtKeys = 0;
        int witKeys = 0;
        int authorities = 0;
        Set<String> kids = new java.util.HashSet<>();
        for (JsonNode k : keys) {
            JsonNode use = k.get("use");
            String u = use == null ? null : use.asText();
            if (bundle && "x509-svid".equals(u)) {
                authorities++;
                continue;
            }
            boolean wit = bundle && WIT_SVID_USE.equals(u);
            if (!wit && (bundle ? !"jwt-svid".equals(u) : (u != null && !"sig".equals(u) && !"jwt-svid".equals(u)))) {
                continue;
            }
            // a kid names one key among the JWT-SVID and WIT-SVID keys together (WIT-SVID spec section 6.1)
            if (wit) {
                witKeys++;
            } else {
                jwtKeys++;
            }
            JsonNode kid = k.get("kid");
            if (kid != null && kid.isTextual() && !kids.add(kid.asText())) {
                throw new KeySourceException(source + " publishes two signing keys with kid '"
                        + dev.svidauth.rejection.Printable.printable(kid.asText()) + "'; a kid must name one key (RFC 7517 section 4.5)");
            }
        }
        if (jwtKeys > KeyLimits.MAX_JWT_KEYS) {
            throw new KeySourceException(source + " publishes " + jwtKeys + " signing keys; at most " + KeyLimits.MAX_JWT_KEYS
                    + " are accepted");
        }
        if (witKeys > KeyLimits.MAX_WIT_KEYS) {
            throw new KeySourceException(source + " publishes " + witKeys + " WIT-SVID keys; at most " + KeyLimits.MAX_WIT_KEYS
                    + " are accepted");
        }
        if (authorities > KeyLimits.MAX_X509_AUTHORITIES) {
            throw new KeySourceException(source + " publishes " + authorities + " X.509 authorities; at most "
                    + KeyLimits.MAX_X509_AUTHORITIES + " are accepted");
        }
    }

    /**
     * The certificate of one {@code x509-svid} bundle entry: {@code x5c} holds exactly one
     * base64 (not base64url) DER certificate, the authority itself (SPIFFE Trust Domain and Bundle
     * spec, section 4.2.1).
     */
    static X509Certificate x509Authority(JsonNode entry) throws KeySourceException {
        JsonNode x5c = entry.get("x5c");
        if (x5c == null || !x5c.isArray() || x5c.size() != 1 || !x5c.get(0).isTextual()) {
            throw new KeySourceException("'x5c' must hold exactly one certificate");
        }
        try {
            byte[] der = Base64.getDecoder().decode(x5c.get(0).asText());
            Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
            if (!(cert instanceof X509Certificate)) {
                throw new KeySourceException("'x5c' is not an X.509 certificate");
            }
            String problem = KeyLimits.publicKeyProblem(cert.getPublicKey());
            if (problem != null) {
                throw new KeySourceException("the authority " + problem);
            }
            return (X509Certificate) cert;
        } catch (IllegalArgumentException | CertificateException e) {
            throw new KeySourceException("'x5c' is not a base64 DER certificate: " + e.getMessage());
        }
    }

    /**
     * The trust domains of the SPIFFE IDs in the URI SANs of an {@code x509-svid} authority's
     * certificate ({@code x5c[0]}); a SPIRE CA names its trust domain, {@code spiffe://<td>}.
     * An entry that cannot be read names none (it is skipped anyway).
     */
    static Set<String> authorityTrustDomains(JsonNode key) {
        JsonNode x5c = key.path("x5c");
        if (!x5c.isArray() || x5c.isEmpty() || !x5c.get(0).isTextual()) {
            return Set.of();
        }
        Set<String> out = new TreeSet<>();
        try {
            byte[] der = Base64.getDecoder().decode(x5c.get(0).asText());
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(6).equals(san.get(0)) && san.get(1) instanceof String uri
                            && uri.startsWith("spiffe://")) {
                        String rest = uri.substring("spiffe://".length());
                        int slash = rest.indexOf('/');
                        out.add(slash < 0 ? rest : rest.substring(0, slash));
                    }
                }
            }
        } catch (CertificateException | IllegalArgumentException | ClassCastException e) {
            return Set.of();
        }
        return out;
    }

    /**
     * Reads an OIDC discovery document (OpenID Connect Discovery 1.0 section 4.3): its
     * {@code issuer} must equal the pinned issuer exactly, and it must name a {@code jwks_uri}.
     */
    public static URI parseDiscovery(URI source, byte[] body, String expectedIssuer) throws KeySourceException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException | RuntimeException e) {
            throw new KeySourceException(source + " did not return JSON");
        }
        if (root == null || !root.isObject()) {
            throw new KeySourceException(source + " did not return a JSON object");
        }
        String issuer = root.path("issuer").asText(null);
        if (!expectedIssuer.equals(issuer)) {
            throw new KeySourceException(source + " names issuer '" + issuer + "', not the pinned issuer '" + expectedIssuer
                    + "' (OpenID Connect Discovery 1.0 section 4.3)");
        }
        String jwksUri = root.path("jwks_uri").asText(null);
        if (jwksUri == null || jwksUri.isEmpty()) {
            throw new KeySourceException(source + " has no jwks_uri");
        }
        try {
            URI uri = new URI(jwksUri);
            if (!uri.isAbsolute() || uri.getHost() == null) {
                throw new KeySourceException(source + " has a jwks_uri that is not an absolute URL: " + jwksUri);
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new KeySourceException(source + " has a jwks_uri that is not a URL: " + jwksUri);
        }
    }
}
