package dev.svidauth.keys;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class KeySetParserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final URI SOURCE = URI.create("https://oidc.example.org/keys");

    /** SPIRE kids: 32 characters of [a-zA-Z0-9]. */
    private static final String KID_EC = "Qm9uZm9yZXN0S2V5SWQwMDAwMDAwMDAx";
    private static final String KID_RSA = "UlNBS2V5SWQwMDAwMDAwMDAwMDAwMDAy";

    private static final ECKey EC = generateEc(Curve.P_256, KID_EC);
    private static final RSAKey RSA = generateRsa(2048, KID_RSA);

    static ECKey generateEc(Curve crv, String kid) {
        try {
            return new ECKeyGenerator(crv).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static RSAKey generateRsa(int bits, String kid) {
        try {
            return new RSAKeyGenerator(bits, bits < 2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key as SPIRE's OIDC Discovery Provider publishes it: kty, kid, crv, x, y | n, e, alg[, use]. */
    static ObjectNode spireKey(JWK key, String alg, String use) {
        Map<String, Object> pub = key.toPublicJWK().toJSONObject();
        ObjectNode k = JSON.createObjectNode();
        for (String member : new String[]{"kty", "kid", "crv", "x", "y", "n", "e"}) {
            if (pub.containsKey(member)) {
                k.put(member, String.valueOf(pub.get(member)));
            }
        }
        if (alg != null) {
            k.put("alg", alg);
        }
        if (use != null) {
            k.put("use", use);
        }
        return k;
    }

    static byte[] doc(ObjectNode root) {
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    static ObjectNode jwks(ObjectNode... keys) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("keys");
        for (ObjectNode k : keys) {
            arr.add(k);
        }
        return root;
    }

    // ---- JWKS (SPIRE OIDC Discovery Provider) ----

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void readsSpireOidcDiscoveryProviderKeys(boolean setKeyUse) throws Exception {
        String use = setKeyUse ? "sig" : null;
        KeySet set = KeySetParser.parse(SOURCE, doc(jwks(spireKey(EC, "ES256", use), spireKey(RSA, "RS256", use))));

        assertThat(set.format()).isEqualTo(KeySet.Format.JWKS);
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly(KID_EC, KID_RSA);
        assertThat(set.refreshHint()).isEmpty();
        assertThat(set.skipped()).isEmpty();
        assertThat(set.candidates("other", "ES256")).isEmpty();
        assertThat(set.candidates(KID_EC, "ES256")).extracting(VerificationKey::kid).containsExactly(KID_EC);
        assertThat(set.candidates(null, "ES256")).extracting(VerificationKey::kid).containsExactly(KID_EC);
        assertThat(set.candidates(null, "RS256")).extracting(VerificationKey::kid).containsExactly(KID_RSA);
        // the key's own alg restricts it (RFC 7517 section 4.4)
        assertThat(set.candidates(null, "PS256")).isEmpty();
        assertThat(set.candidates("missing", "ES256")).isEmpty();
    }

    @Test
    void publishedKeysVerifyWhatTheirPrivateHalvesSign() throws Exception {
        KeySet set = KeySetParser.parse(SOURCE, doc(jwks(spireKey(EC, "ES256", null))));
        com.nimbusds.jose.JWSObject jws = new com.nimbusds.jose.JWSObject(
                new com.nimbusds.jose.JWSHeader.Builder(JWSAlgorithm.ES256).keyID(KID_EC).build(),
                new com.nimbusds.jose.Payload("{}"));
        jws.sign(new com.nimbusds.jose.crypto.ECDSASigner(EC));
        assertThat(jws.verify(set.keys().get(0).verifier())).isTrue();
        assertThat(set.keys().get(0).jwk().isPrivate()).isFalse();
    }

    @Test
    void skipsEncryptionKeysButKeepsSigningKeys() throws Exception {
        ObjectNode enc = spireKey(generateEc(Curve.P_256, "enc-key"), null, "enc");
        KeySet set = KeySetParser.parse(SOURCE, doc(jwks(enc, spireKey(EC, "ES256", "sig"))));
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly(KID_EC);
        assertThat(set.skipped()).singleElement().asString().contains("enc-key").contains("use 'enc'");
    }

    @Test
    void skipsPrivateKeyMaterial() throws Exception {
        ObjectNode priv = (ObjectNode) JSON.readTree(generateEc(Curve.P_256, "leaked").toJSONString());
        KeySet set = KeySetParser.parse(SOURCE, doc(jwks(priv, spireKey(EC, "ES256", null))));
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly(KID_EC);
        assertThat(set.skipped()).singleElement().asString().contains("leaked").contains("private key material");
    }

    @Test
    void skipsWeakRsaKeys() throws Exception {
        KeySet set = KeySetParser.parse(SOURCE, doc(jwks(spireKey(generateRsa(1024, "weak"), "RS256", null),
                spireKey(EC, "ES256", null))));
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly(KID_EC);
        assertThat(set.skipped()).singleElement().asString().contains("weak").contains("1024-bit RSA key");
    }

    @Test
    void skipsSymmetricAndUnsupportedKeyTypes() throws Exception {
        ObjectNode oct = (ObjectNode) JSON.readTree(new OctetSequenceKeyGenerator(256).keyID("hmac").generate()
                .toJSONString());
        ObjectNode okp = (ObjectNode) JSON.readTree("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
                + "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
        ObjectNode junk = (ObjectNode) JSON.readTree("{\"kty\":\"EC\",\"kid\":\"junk\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}");
        ObjectNode unknownKty = (ObjectNode) JSON.readTree("{\"kty\":\"XYZ\",\"kid\":\"xyz\"}");
        KeySet set = KeySetParser.parse(SOURCE, doc(jwks(oct, okp, junk, unknownKty, spireKey(EC, "ES256", null))));
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly(KID_EC);
        assertThat(set.skipped()).hasSize(4);
        assertThat(String.join("\n", set.skipped())).contains("hmac").contains("ed").contains("junk").contains("xyz");
    }

    // ---- SPIFFE bundle ----

    @Test
    void readsSpiffeBundleEndpointDocuments() throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("spiffe_sequence", 12);
        root.put("spiffe_refresh_hint", 300);
        ArrayNode keys = root.putArray("keys");
        ObjectNode x509 = spireKey(generateEc(Curve.P_256, "ca"), null, "x509-svid");
        x509.remove("kid");
        x509.putArray("x5c").add("MIIBfake");
        keys.add(x509);
        keys.add(spireKey(EC, null, "jwt-svid"));
        keys.add(spireKey(RSA, null, "jwt-svid"));

        KeySet set = KeySetParser.parse(SOURCE, doc(root));

        assertThat(set.format()).isEqualTo(KeySet.Format.SPIFFE_BUNDLE);
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly(KID_EC, KID_RSA);
        assertThat(set.refreshHint()).contains(Duration.ofSeconds(300));
        assertThat(set.skipped()).singleElement().asString().contains("x509-svid");
        // no alg in a bundle: the key type decides
        assertThat(set.candidates(KID_RSA, "PS256")).singleElement().satisfies(k -> assertThat(k.canVerify("PS256")).isTrue());
        assertThat(set.candidates(null, "ES256")).extracting(VerificationKey::kid).containsExactly(KID_EC);
    }

    @Test
    void bundleTakesOnlyJwtSvidKeys() throws Exception {
        ObjectNode root = jwks(spireKey(generateEc(Curve.P_256, "sig-key"), null, "sig"),
                spireKey(generateEc(Curve.P_256, "no-use"), null, null), spireKey(EC, null, "jwt-svid"));
        root.put("spiffe_sequence", 1);
        KeySet set = KeySetParser.parse(SOURCE, doc(root));
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly(KID_EC);
        assertThat(set.refreshHint()).isEmpty();
    }

    @Test
    void refreshHintAloneMarksABundle() throws Exception {
        ObjectNode root = jwks(spireKey(EC, null, "jwt-svid"));
        root.put("spiffe_refresh_hint", 60);
        KeySet set = KeySetParser.parse(SOURCE, doc(root));
        assertThat(set.format()).isEqualTo(KeySet.Format.SPIFFE_BUNDLE);
        assertThat(set.refreshHint()).contains(Duration.ofSeconds(60));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5", "\"300\"", "null", "true"})
    void unusableRefreshHintsAreIgnored(String hint) throws Exception {
        byte[] body = ("{\"spiffe_refresh_hint\":" + hint + ",\"keys\":[" + spireKey(EC, null, "jwt-svid") + "]}")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(KeySetParser.parse(SOURCE, body).refreshHint()).isEmpty();
    }

    // ---- unusable documents ----

    static Stream<Arguments> unusable() {
        String ec = spireKey(EC, "ES256", null).toString();
        return Stream.of(
                arguments("HTML error page", "<html><body>502 Bad Gateway</body></html>", "did not return JSON"),
                arguments("empty body", "", "did not return a JSON object"),
                arguments("JSON array", "[" + ec + "]", "did not return a JSON object"),
                arguments("JSON string", "\"keys\"", "did not return a JSON object"),
                arguments("empty object", "{}", "returned JSON without a 'keys' array"),
                arguments("keys not an array", "{\"keys\":" + ec + "}", "without a 'keys' array"),
                arguments("only encryption keys", "{\"keys\":[" + spireKey(EC, null, "enc") + "]}", "published no usable signing key (key '"),
                arguments("only private keys", "{\"keys\":[" + generateEc(Curve.P_256, "p").toJSONString() + "]}", "private key material"),
                arguments("only weak RSA keys", "{\"keys\":[" + spireKey(generateRsa(1024, "w"), null, null) + "]}", "1024-bit RSA key"),
                arguments("bundle whose only jwt-svid key is unusable",
                        "{\"spiffe_sequence\":1,\"keys\":[" + spireKey(EC, null, "x509-svid") + "," + spireKey(generateRsa(1024, "w"), null, "jwt-svid") + "]}",
                        "1024-bit RSA key"),
                arguments("JWKS with only x509-svid keys", "{\"keys\":[" + spireKey(EC, null, "x509-svid") + "]}", "has use 'x509-svid'"),
                arguments("duplicate members", "{\"keys\":[],\"keys\":[" + ec + "]}", "did not return JSON"),
                arguments("truncated JSON", "{\"keys\":[" + ec, "did not return JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusable")
    void refusesUnusableDocumentsAsAWhole(String name, String body, String messagePart) {
        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(KeySourceException.class)
                .hasMessageStartingWith(SOURCE.toString())
                .hasMessageContaining(messagePart);
    }

    // ---- documents without JWT-SVID keys: the trust domain withdrew them ----

    static Stream<Arguments> withoutJwtSvidKeys() {
        String x509 = spireKey(EC, null, "x509-svid").toString();
        return Stream.of(
                arguments("JWKS with an empty keys array", "{\"keys\":[]}", KeySet.Format.JWKS),
                arguments("OIDC Discovery Provider /keys, indented", "{\n  \"keys\": []\n}", KeySet.Format.JWKS),
                arguments("bundle with an empty keys array", "{\"keys\":[],\"spiffe_sequence\":3}", KeySet.Format.SPIFFE_BUNDLE),
                arguments("bundle with only x509-svid keys (SPIRE with JWT-SVIDs disabled)",
                        "{\"spiffe_sequence\":1,\"keys\":[" + x509 + "]}", KeySet.Format.SPIFFE_BUNDLE),
                arguments("bundle with x509-svid and unknown-use keys", "{\"spiffe_refresh_hint\":300,\"keys\":["
                        + x509 + "," + spireKey(RSA, null, "future-use") + "]}", KeySet.Format.SPIFFE_BUNDLE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("withoutJwtSvidKeys")
    void wellFormedDocumentWithoutJwtSvidKeysIsAnEmptyKeySet(String name, String body, KeySet.Format format) throws Exception {
        KeySet set = KeySetParser.parse(SOURCE, body.getBytes(StandardCharsets.UTF_8));
        assertThat(set.keys()).isEmpty();
        assertThat(set.format()).isEqualTo(format);
        assertThat(set.candidates(KID_EC, "ES256")).isEmpty();
        assertThat(set.candidates(null, "ES256")).isEmpty();
    }

    // ---- OIDC discovery ----

    private static final String ISSUER = "https://oidc.example.org";
    private static final URI DISCOVERY = URI.create(ISSUER + "/.well-known/openid-configuration");

    static byte[] discovery(String issuer, String jwksUri) {
        ObjectNode d = JSON.createObjectNode();
        if (issuer != null) {
            d.put("issuer", issuer);
        }
        if (jwksUri != null) {
            d.put("jwks_uri", jwksUri);
        }
        d.put("authorization_endpoint", "");
        d.putArray("response_types_supported").add("id_token");
        d.putArray("subject_types_supported").add("public");
        d.putArray("id_token_signing_alg_values_supported").add("RS256").add("ES256").add("ES384");
        return doc(d);
    }

    @Test
    void readsTheJwksUriOfASpireDiscoveryDocument() throws Exception {
        assertThat(KeySetParser.parseDiscovery(DISCOVERY, discovery(ISSUER, ISSUER + "/keys"), ISSUER))
                .isEqualTo(URI.create(ISSUER + "/keys"));
        // the keys may live on another host
        assertThat(KeySetParser.parseDiscovery(DISCOVERY, discovery(ISSUER, "https://keys.example.org:8443/jwks"), ISSUER))
                .isEqualTo(URI.create("https://keys.example.org:8443/jwks"));
    }

    static Stream<Arguments> badDiscovery() {
        return Stream.of(
                arguments(discovery(ISSUER + "/", ISSUER + "/keys"), "names issuer 'https://oidc.example.org/', not the pinned issuer"),
                arguments(discovery("https://OIDC.example.org", ISSUER + "/keys"), "not the pinned issuer 'https://oidc.example.org'"),
                arguments(discovery("http://oidc.example.org", ISSUER + "/keys"), "not the pinned issuer"),
                arguments(discovery("https://evil.example", ISSUER + "/keys"), "names issuer 'https://evil.example'"),
                arguments(discovery(null, ISSUER + "/keys"), "names issuer 'null'"),
                arguments(discovery(ISSUER, null), "has no jwks_uri"),
                arguments(discovery(ISSUER, ""), "has no jwks_uri"),
                arguments(discovery(ISSUER, "/keys"), "has a jwks_uri that is not an absolute URL: /keys"),
                arguments(discovery(ISSUER, "keys.json"), "not an absolute URL"),
                arguments(discovery(ISSUER, "https:///keys"), "not an absolute URL"),
                arguments(discovery(ISSUER, "https://a b/keys"), "has a jwks_uri that is not a URL"),
                arguments("<html/>".getBytes(StandardCharsets.UTF_8), "did not return JSON"),
                arguments("[]".getBytes(StandardCharsets.UTF_8), "did not return a JSON object"),
                arguments(("{\"issuer\":\"" + ISSUER + "\",\"issuer\":\"x\",\"jwks_uri\":\"https://h/k\"}").getBytes(StandardCharsets.UTF_8),
                        "did not return JSON"));
    }

    @ParameterizedTest
    @MethodSource("badDiscovery")
    void refusesBadDiscoveryDocuments(byte[] body, String messagePart) {
        assertThatThrownBy(() -> KeySetParser.parseDiscovery(DISCOVERY, body, ISSUER))
                .isInstanceOf(KeySourceException.class)
                .hasMessageStartingWith(DISCOVERY.toString())
                .hasMessageContaining(messagePart);
    }
}
