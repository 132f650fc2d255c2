package dev.svidauth.keys;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWK;

import java.io.IOException;
import java.net.URI;
import java.security.Provider;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a key-source document, detecting its format:
 * <ul>
 *   <li>a SPIFFE bundle (top-level {@code spiffe_sequence} or {@code spiffe_refresh_hint}):
 *       only keys with {@code use: "jwt-svid"} are taken, {@code x509-svid} keys are skipped
 *       (SPIFFE Trust Domain and Bundle spec, section 4.2);</li>
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
 */
public final class KeySetParser {

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
            .build());

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
        Duration hint = null;
        JsonNode hintNode = root.get("spiffe_refresh_hint");
        if (hintNode != null && hintNode.canConvertToLong() && hintNode.asLong() > 0) {
            hint = Duration.ofSeconds(hintNode.asLong());
        }
        List<VerificationKey> usable = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        boolean foreignUseOnly = true;
        for (JsonNode k : keys) {
            JsonNode use = k.get("use");
            String u = use == null ? null : use.asText();
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
        return new KeySet(usable, bundle ? KeySet.Format.SPIFFE_BUNDLE : KeySet.Format.JWKS, hint, skipped);
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
