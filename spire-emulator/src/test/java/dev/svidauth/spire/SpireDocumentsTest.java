package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The three documents, field by field and byte by byte against what SPIRE's Go code writes. */
class SpireDocumentsTest {

    static SpireEmulator spire;

    @BeforeAll
    static void start() {
        spire = SpireEmulator.builder().issuer(SpireEmulator.SELF).start();
    }

    @AfterAll
    static void stop() {
        spire.close();
    }

    @Test
    void discoveryDocumentIsExactlySpireOidcDiscoveryProviderOutput() {
        HttpResponse<String> r = Http.get(spire.discoveryUrl());
        String base = "http://127.0.0.1:" + spire.port();

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).isEqualTo("{\n"
                + "  \"issuer\": \"" + base + "\",\n"
                + "  \"jwks_uri\": \"" + base + "/keys\",\n"
                + "  \"authorization_endpoint\": \"\",\n"
                + "  \"response_types_supported\": [\n"
                + "    \"id_token\"\n"
                + "  ],\n"
                + "  \"subject_types_supported\": [\n"
                + "    \"public\"\n"
                + "  ],\n"
                + "  \"id_token_signing_alg_values_supported\": [\n"
                + "    \"RS256\",\n"
                + "    \"ES256\",\n"
                + "    \"ES384\"\n"
                + "  ]\n"
                + "}");
        Map<String, Object> doc = Http.json(r);
        assertThat(doc).containsOnlyKeys("issuer", "jwks_uri", "authorization_endpoint",
                "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported");
        assertThat(spire.issuer()).isEqualTo(base).doesNotEndWith("/");
        assertThat(spire.baseUrl()).isEqualTo(URI.create(base));
        assertThat(URI.create(spire.issuer() + "/.well-known/openid-configuration")).isEqualTo(spire.discoveryUrl());
    }

    @Test
    void discoveryIssuerComesFromTheRequestHostWhenNoIssuerIsConfigured() {
        try (SpireEmulator noIssuer = SpireEmulator.builder().issuer(null).start()) {
            Map<String, Object> doc = Http.json(Http.get(noIssuer.discoveryUrl()));
            assertThat(doc.get("issuer")).isEqualTo(noIssuer.baseUrl().toString());
            assertThat(doc.get("jwks_uri")).isEqualTo(noIssuer.jwksUrl().toString());
            assertThat(noIssuer.issuer()).isNull();

            Map<String, Object> proxied = Http.json(Http.send(HttpRequest.newBuilder(noIssuer.discoveryUrl())
                    .header("X-Forwarded-Host", "oidc.example.org")
                    .header("X-Forwarded-Proto", "https").build()));
            assertThat(proxied.get("issuer")).isEqualTo("https://oidc.example.org");
            assertThat(proxied.get("jwks_uri")).isEqualTo("https://oidc.example.org/keys");
        }
    }

    @Test
    void explicitIssuerIsServedVerbatimWhileJwksUriPointsHere() {
        try (SpireEmulator pinned = SpireEmulator.builder().issuer("https://oidc.example.org/x").start()) {
            Map<String, Object> doc = Http.json(Http.get(pinned.discoveryUrl()));
            assertThat(doc.get("issuer")).isEqualTo("https://oidc.example.org/x");
            assertThat(doc.get("jwks_uri")).isEqualTo(pinned.jwksUrl().toString());
        }
    }

    @Test
    void keysHaveAlgNoUseAndSpireCacheHeaders() throws Exception {
        HttpResponse<String> r = Http.get(spire.jwksUrl());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache, no-store, must-revalidate");
        assertThat(r.headers().firstValue("Pragma")).hasValue("no-cache");
        assertThat(r.headers().firstValue("Expires")).hasValue("0");
        assertThat(r.headers().firstValue("Last-Modified")).isPresent();

        ECKey key = (ECKey) spire.signingKey();
        assertThat(r.body()).isEqualTo("{\n"
                + "  \"keys\": [\n"
                + "    {\n"
                + "      \"kty\": \"EC\",\n"
                + "      \"kid\": \"" + key.getKeyID() + "\",\n"
                + "      \"crv\": \"P-256\",\n"
                + "      \"alg\": \"ES256\",\n"
                + "      \"x\": \"" + key.getX() + "\",\n"
                + "      \"y\": \"" + key.getY() + "\"\n"
                + "    }\n"
                + "  ]\n"
                + "}");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> keys = (List<Map<String, Object>>) Http.json(r).get("keys");
        assertThat(keys).singleElement().satisfies(k -> assertThat(k)
                .containsOnlyKeys("kty", "kid", "crv", "alg", "x", "y")
                .doesNotContainKey("use"));

        JWKSet set = JWKSet.parse(r.body());
        assertThat(set.getKeys()).singleElement().satisfies(k -> {
            assertThat(k.isPrivate()).isFalse();
            assertThat(k.getKeyID()).matches("[a-zA-Z0-9]{32}");
        });
        assertThat(spire.publishedKeys()).singleElement()
                .satisfies(k -> assertThat(k.toJSONObject()).isEqualTo(set.getKeys().get(0).toJSONObject()));
    }

    @Test
    void keysAnswerIfModifiedSinceLikeGoServeContent() {
        HttpResponse<String> first = Http.get(spire.jwksUrl());
        String lastModified = first.headers().firstValue("Last-Modified").orElseThrow();

        HttpResponse<String> again = Http.send(HttpRequest.newBuilder(spire.jwksUrl())
                .header("If-Modified-Since", lastModified).build());

        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
    }

    @Test
    void setKeyUseAddsUseSigFirst() {
        try (SpireEmulator withUse = SpireEmulator.builder().setKeyUse(true).keyType(KeyType.RSA_2048).start()) {
            HttpResponse<String> r = Http.get(withUse.jwksUrl());
            assertThat(r.body()).contains("{\n      \"use\": \"sig\",\n      \"kty\": \"RSA\",\n      \"kid\": \"");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> keys = (List<Map<String, Object>>) Http.json(r).get("keys");
            assertThat(keys).singleElement().satisfies(k -> assertThat(k)
                    .containsOnlyKeys("use", "kty", "kid", "alg", "n", "e")
                    .containsEntry("use", "sig")
                    .containsEntry("alg", "RS256")
                    .containsEntry("e", "AQAB"));
            assertThat(withUse.publishedKeys().get(0).getKeyUse()).hasToString("sig");
        }
    }

    @Test
    void bundleHasJwtSvidUseNoAlgSequenceAndRefreshHint() {
        HttpResponse<String> r = Http.get(spire.bundleUrl());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        ECKey key = (ECKey) spire.signingKey();
        assertThat(r.body()).isEqualTo("{\n"
                + "    \"keys\": [\n"
                + "        {\n"
                + "            \"use\": \"jwt-svid\",\n"
                + "            \"kty\": \"EC\",\n"
                + "            \"kid\": \"" + key.getKeyID() + "\",\n"
                + "            \"crv\": \"P-256\",\n"
                + "            \"x\": \"" + key.getX() + "\",\n"
                + "            \"y\": \"" + key.getY() + "\"\n"
                + "        }\n"
                + "    ],\n"
                + "    \"spiffe_sequence\": " + spire.bundleSequence() + ",\n"
                + "    \"spiffe_refresh_hint\": 300\n"
                + "}");
        Map<String, Object> doc = Http.json(r);
        assertThat(doc).containsOnlyKeys("keys", "spiffe_sequence", "spiffe_refresh_hint");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> keys = (List<Map<String, Object>>) doc.get("keys");
        assertThat(keys).allSatisfy(k -> assertThat(k).containsEntry("use", "jwt-svid").doesNotContainKey("alg"));
    }

    @Test
    void refreshHintIsConfigurable() {
        try (SpireEmulator quick = SpireEmulator.builder().refreshHint(Duration.ofSeconds(42)).start()) {
            assertThat(((Number) Http.json(Http.get(quick.bundleUrl())).get("spiffe_refresh_hint")).longValue())
                    .isEqualTo(42);
        }
    }

    @Test
    void bundleCanCarryTheX509AuthorityFirstLikeRealSpire() throws Exception {
        try (SpireEmulator full = SpireEmulator.builder().trustDomain("prod.example").x509Authority(true).start()) {
            Map<String, Object> doc = Http.json(Http.get(full.bundleUrl()));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> keys = (List<Map<String, Object>>) doc.get("keys");
            assertThat(keys).hasSize(2);
            assertThat(keys.get(0)).containsEntry("use", "x509-svid").containsKey("x5c").doesNotContainKey("kid");
            assertThat(keys.get(1)).containsEntry("use", "jwt-svid");

            @SuppressWarnings("unchecked")
            String der = ((List<String>) keys.get(0).get("x5c")).get(0);
            X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(der)));
            ca.verify(ca.getPublicKey());
            ca.checkValidity();
            assertThat(ca.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
            assertThat(ca.getSubjectX500Principal().getName()).contains("O=SPIFFE", "C=US");
            assertThat(ca.getSubjectAlternativeNames()).containsExactly(List.of(6, "spiffe://prod.example"));
            assertThat(ca.getKeyUsage()[5]).isTrue();
            assertThat(ca.getKeyUsage()[6]).isTrue();
            assertThat(JWK.parse(keys.get(0)).toECKey().toECPublicKey()).isEqualTo(ca.getPublicKey());
        }
    }

    @Test
    void unknownPathAndWrongMethodAnswerLikeGo() {
        HttpResponse<String> missing = Http.get(spire.baseUrl().resolve("/nope"));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("404 page not found\n");

        HttpResponse<String> post = Http.send(HttpRequest.newBuilder(spire.jwksUrl())
                .POST(HttpRequest.BodyPublishers.ofString("x")).build());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.body()).isEqualTo("method not allowed\n");
    }
}
