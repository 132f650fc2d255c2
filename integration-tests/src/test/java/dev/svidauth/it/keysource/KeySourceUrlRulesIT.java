package dev.svidauth.it.keysource;

import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The address guard and URL rules on the real server: key sources on the cloud
 * metadata addresses the guard did not know, and issuer or key-source URLs with a query, are
 * refused when a client, a trust-domain entry or a registration is saved: 400 naming the
 * attribute, nothing stored.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeySourceUrlRulesIT {

    private static final String CLIENT = "url-rules-new";
    private static final String SPIFFE_ID = "spiffe://urls.test/ns/apps/sa/new";
    private static final String PAGE_PROVIDER = "org.keycloak.services.ui.extend.UiPageProvider";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SvidRealm env;
    private String initialAccessToken;

    KeySourceUrlRulesIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        OwnKeySource.deleteClient(env, CLIENT);
        initialAccessToken = env.admin().post("/" + SvidRealm.REALM + "/clients-initial-access",
                Map.of("count", 20, "expiration", 3600)).path("token").asText();
    }

    @AfterAll
    void tearDown() {
        cleanUp();
    }

    /** Removes what a save that should have been refused stored, so that one failure does not mask the next case. */
    @org.junit.jupiter.api.AfterEach
    void cleanUp() {
        OwnKeySource.deleteClient(env, CLIENT);
        for (JsonNode c : env.admin().get("/" + SvidRealm.REALM + "/clients?max=10000")) {
            if (c.path("name").asText().startsWith("url-rules-dcr-")) {
                env.admin().delete("/" + SvidRealm.REALM + "/clients/" + c.path("id").asText());
            }
        }
        for (JsonNode entry : env.admin().get("/" + SvidRealm.REALM + "/components?type=" + SvidRealm.enc(PAGE_PROVIDER))) {
            if ("urls.test".equals(entry.path("config").path("trustDomain").path(0).asText())) {
                env.admin().delete("/" + SvidRealm.REALM + "/components/" + entry.path("id").asText());
            }
        }
    }

    /** attribute, value, what the answer must say besides the attribute name. */
    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("svid.jwks.uri", "http://100.100.100.200/latest/meta-data/", "cloud metadata"),
                Arguments.of("svid.jwks.uri", "http://168.63.129.16/keys", "cloud metadata"),
                Arguments.of("svid.jwks.uri", "http://192.0.0.192/latest/", "cloud metadata"),
                Arguments.of("svid.jwks.uri", "http://[fd20:ce::254]/computeMetadata/v1/", "cloud metadata"),
                Arguments.of("svid.jwks.uri", "http://[::ffff:100.100.100.200]/keys", "cloud metadata"),
                Arguments.of("svid.jwks.uri", "http://127.0.0.1:8081/keys?x=1", "query"),
                Arguments.of("svid.issuer", "http://127.0.0.1:8081/?next=/latest/meta-data", "query"));
    }

    private Map<String, String> attributes(String attribute, String value) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("svid.spiffe.id", SPIFFE_ID);
        attrs.put(attribute, value);
        return attrs;
    }

    @ParameterizedTest(name = "client with {0}={1}")
    @MethodSource("refused")
    void clientSaveIsRefused(String attribute, String value, String problem) {
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients",
                OwnKeySource.representation(CLIENT, attributes(attribute, value)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains(attribute).contains(problem);
        assertThat(env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(CLIENT))).isEmpty();
    }

    @Test
    void x509BundleUriWithAQueryIsRefused() {
        Map<String, Object> rep = OwnKeySource.representation(CLIENT, attributes("svid.bundle.uri", "http://127.0.0.1:8081/bundle?td=x"));
        rep.put("clientAuthenticatorType", "client-svid-x509");
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients", rep);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("svid.bundle.uri").contains("query");
        assertThat(env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(CLIENT))).isEmpty();
    }

    @Test
    void trustDomainEntryWithAQueryOrOnAMetadataAddressIsRefused() {
        String realmId = env.admin().get("/" + SvidRealm.REALM).path("id").asText();
        for (Map.Entry<String, String> field : List.of(Map.entry("bundleEndpointUrl", "http://127.0.0.1:8081/bundle?x=1"),
                Map.entry("jwksUri", "http://100.100.100.200/keys"), Map.entry("issuer", "http://127.0.0.1:8081?x=1"))) {
            cleanUp(); // a duplicate trust domain would be refused for another reason
            Map<String, Object> rep = new LinkedHashMap<>();
            rep.put("providerId", "svid-trust-domain");
            rep.put("providerType", PAGE_PROVIDER);
            rep.put("parentId", realmId);
            rep.put("config", Map.of("trustDomain", List.of("urls.test"), field.getKey(), List.of(field.getValue())));
            HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/components", rep);

            assertThat(response.statusCode()).as(field + ": " + response.body()).isEqualTo(400);
            assertThat(response.body()).as(field.toString()).contains(field.getKey());
        }
        for (JsonNode entry : env.admin().get("/" + SvidRealm.REALM + "/components?type=" + SvidRealm.enc(PAGE_PROVIDER))) {
            assertThat(entry.path("config").path("trustDomain").path(0).asText()).as("nothing stored").isNotEqualTo("urls.test");
        }
    }

    @Test
    void registrationWithAKeySourceQueryIsRefused() throws Exception {
        for (String member : List.of("jwks_uri", "spiffe_bundle_endpoint")) {
            String name = "url-rules-dcr-" + member.replace('_', '-');
            HttpResponse<String> r = SvidRealm.register(URI.create(env.audience()), initialAccessToken,
                    SvidRealm.registrationMetadata(name, "spiffe://urls.test/ns/dcr/sa/" + name, member,
                            "http://127.0.0.1:8081/keys?tenant=other"));

            assertThat(r.statusCode()).as(member + ": " + r.body()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("invalid_client_metadata");
            for (JsonNode c : env.admin().get("/" + SvidRealm.REALM + "/clients?max=10000")) {
                assertThat(c.path("name").asText()).as("nothing stored for " + name).isNotEqualTo(name);
            }
        }
    }
}
