package dev.svidauth.it.admin;

import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin API refuses a client-svid-jwt client with unusable svid.* settings, or a key source on
 * a link-local / cloud-metadata address: 400 naming the attribute, and nothing stored, whether
 * the client is being created or updated.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigValidationIT {

    private static final String CLIENT = "flt-config";
    private static final String NEW_CLIENT = "flt-config-new";
    /** A trust domain without a trust-domain entry in the realm, so that a client without key source is refused. */
    private static final String SPIFFE_ID = "spiffe://no-entry.test/ns/flt/sa/config";

    private final SvidRealm env;
    private Map<String, String> validAttributes;

    ConfigValidationIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void createValidClient() {
        validAttributes = new LinkedHashMap<>();
        validAttributes.put("svid.spiffe.id", SPIFFE_ID);
        validAttributes.put("svid.jwks.uri", env.forKeycloak(env.spire().jwksUrl()));
        validAttributes.put("svid.max.lifetime", "600");
        validAttributes.put("svid.clock.skew", "10");
        validAttributes.put("svid.algorithms", "ES256");
        OwnKeySource.deleteClient(env, NEW_CLIENT);
        OwnKeySource.createClient(env, CLIENT, validAttributes);
    }

    @AfterAll
    void removeClients() {
        OwnKeySource.deleteClient(env, CLIENT);
        OwnKeySource.deleteClient(env, NEW_CLIENT);
    }

    /** attribute, bad value, what the error must say besides the attribute name. */
    static Stream<Arguments> badSettings() {
        return Stream.of(
                Arguments.of("svid.spiffe.id", "spiffe://td/a*", "'*' in the middle"),
                Arguments.of("svid.spiffe.id", "spiffe://Example.org/ns/apps/sa/x", "trust domain"),
                Arguments.of("svid.spiffe.id", "https://example.org/ns/apps/sa/x", "spiffe://"),
                Arguments.of("svid.jwks.uri", "ftp://x", "not an absolute http(s) URL"),
                Arguments.of("svid.jwks.uri", "not a url", "not a URL"),
                Arguments.of("svid.max.lifetime", "-5", "must be between 1 and"),
                Arguments.of("svid.max.lifetime", "one hour", "whole number of seconds"),
                Arguments.of("svid.clock.skew", "-1", "must be between 0 and"),
                Arguments.of("svid.clock.skew", "ten", "whole number of seconds"),
                Arguments.of("svid.algorithms", "HS256", "not supported"),
                Arguments.of("svid.algorithms", "ES256##ES999", "[ES999] not supported"),
                Arguments.of("svid.jwks.uri", "", "svid.issuer"),     // neither JWKS URI nor issuer
                // SSRF guard: key sources on link-local / cloud-metadata addresses
                Arguments.of("svid.jwks.uri", "http://169.254.169.254/latest/meta-data/", "link-local (cloud metadata) address"),
                Arguments.of("svid.jwks.uri", "http://169.254.10.20:8080/keys", "link-local address"),
                Arguments.of("svid.jwks.uri", "http://[fe80::1]/keys", "link-local address"),
                Arguments.of("svid.jwks.uri", "http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata address"),
                Arguments.of("svid.jwks.uri", "http://0.0.0.0:8081/keys", "unspecified address"),
                Arguments.of("svid.jwks.uri", "http://[::]:8081/keys", "unspecified address"),
                Arguments.of("svid.jwks.uri", "http://[::ffff:169.254.169.254]/keys", "link-local (cloud metadata) address"),
                Arguments.of("svid.jwks.uri", "http://2852039166/keys", "resolves to 169.254.169.254"),
                Arguments.of("svid.jwks.uri", "http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service host name"));
    }

    /**
     * The valid attributes for {@value #NEW_CLIENT}, with its own SPIFFE ID (a SPIFFE ID belongs to
     * one client), and {@code attribute} set to {@code value}.
     */
    private Map<String, String> with(String attribute, String value) {
        Map<String, String> attrs = new LinkedHashMap<>(validAttributes);
        attrs.put("svid.spiffe.id", SPIFFE_ID + "-new");
        attrs.put(attribute, value);
        return attrs;
    }

    private JsonNode stored(String clientId) {
        return env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(clientId));
    }

    /** The representation with its scope lists sorted: Keycloak lists default scopes in no fixed order. */
    private static JsonNode normalized(JsonNode client) {
        ObjectNode copy = client.deepCopy();
        for (String field : new String[]{"defaultClientScopes", "optionalClientScopes"}) {
            JsonNode list = copy.get(field);
            if (list != null && list.isArray()) {
                List<String> names = new ArrayList<>();
                list.forEach(n -> names.add(n.asText()));
                Collections.sort(names);
                ArrayNode sorted = copy.putArray(field);
                names.forEach(sorted::add);
            }
        }
        return copy;
    }

    private static void assertRefused(HttpResponse<String> response, String attribute, String problem) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains(attribute).contains(problem);
    }

    @ParameterizedTest(name = "create with {0}={1}")
    @MethodSource("badSettings")
    void createWithBadSettingIsRefusedAndNothingStored(String attribute, String value, String problem) {
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients",
                OwnKeySource.representation(NEW_CLIENT, with(attribute, value)));

        assertRefused(response, attribute, problem);
        assertThat(stored(NEW_CLIENT)).as("clients named " + NEW_CLIENT).isEmpty();
    }

    @ParameterizedTest(name = "update with {0}={1}")
    @MethodSource("badSettings")
    void updateWithBadSettingIsRefusedAndTheStoredClientIsUnchanged(String attribute, String value, String problem) {
        JsonNode before = env.admin().client(SvidRealm.REALM, CLIENT);
        ObjectNode update = before.deepCopy();
        ((ObjectNode) update.get("attributes")).put(attribute, value);
        update.put("description", "must not be stored");

        HttpResponse<String> response = env.admin().send("PUT", "/" + SvidRealm.REALM + "/clients/" + before.path("id").asText(), update);

        assertRefused(response, attribute, problem);
        JsonNode after = env.admin().client(SvidRealm.REALM, CLIENT);
        assertThat(normalized(after)).isEqualTo(normalized(before));
        validAttributes.forEach((k, v) -> assertThat(after.path("attributes").path(k).asText()).as(k).isEqualTo(v));
    }

    @Test
    void validUpdateIsStored() {
        JsonNode before = env.admin().client(SvidRealm.REALM, CLIENT);
        ObjectNode update = before.deepCopy();
        ObjectNode attrs = (ObjectNode) update.get("attributes");
        attrs.put("svid.max.lifetime", "900");
        attrs.put("svid.audiences", "https://api.example.org##https://gateway.example.org");
        attrs.put("svid.algorithms", "ES256##RS256");

        HttpResponse<String> response = env.admin().send("PUT", "/" + SvidRealm.REALM + "/clients/" + before.path("id").asText(), update);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
        JsonNode after = env.admin().client(SvidRealm.REALM, CLIENT).path("attributes");
        assertThat(after.path("svid.max.lifetime").asText()).isEqualTo("900");
        assertThat(after.path("svid.audiences").asText()).isEqualTo("https://api.example.org##https://gateway.example.org");
        assertThat(after.path("svid.algorithms").asText()).isEqualTo("ES256##RS256");
        assertThat(after.path("svid.spiffe.id").asText()).isEqualTo(SPIFFE_ID);
        validAttributes.put("svid.max.lifetime", "900");
        validAttributes.put("svid.audiences", "https://api.example.org##https://gateway.example.org");
        validAttributes.put("svid.algorithms", "ES256##RS256");
    }

    /** Loopback and private ranges stay allowed: SPIRE often runs on the same host or network. */
    @ParameterizedTest(name = "key source {0} is allowed")
    @ValueSource(strings = {
            "http://127.0.0.1:8081/keys", "http://localhost:8081/keys", "http://[::1]:8081/keys",
            "https://10.0.0.5/keys", "https://192.168.1.20:8443/bundle", "https://172.16.0.9/keys"})
    void loopbackAndPrivateKeySourcesAreAllowed(String url) {
        Map<String, String> attrs = with("svid.jwks.uri", url);
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients",
                OwnKeySource.representation(NEW_CLIENT, attrs));
        try {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
            assertThat(stored(NEW_CLIENT).get(0).path("attributes").path("svid.jwks.uri").asText()).isEqualTo(url);
        } finally {
            OwnKeySource.deleteClient(env, NEW_CLIENT);
        }
    }

    /** svid.issuer is fetched only for discovery (no svid.jwks.uri): then its host is checked too. */
    @Test
    void issuerUsedForDiscoveryOnTheMetadataAddressIsRefused() {
        Map<String, String> attrs = with("svid.jwks.uri", "");
        attrs.put("svid.issuer", "http://169.254.169.254");
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients",
                OwnKeySource.representation(NEW_CLIENT, attrs));

        assertRefused(response, "svid.issuer", "link-local (cloud metadata) address");
        assertThat(response.body()).contains("allow-link-local-key-sources");
        assertThat(stored(NEW_CLIENT)).isEmpty();
    }

    /** A pinned issuer that is never fetched (svid.jwks.uri set) is only a string to compare. */
    @Test
    void pinnedIssuerThatIsNotFetchedIsNotChecked() {
        Map<String, String> attrs = with("svid.issuer", "http://169.254.169.254");
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients",
                OwnKeySource.representation(NEW_CLIENT, attrs));
        try {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        } finally {
            OwnKeySource.deleteClient(env, NEW_CLIENT);
        }
    }

    // ------------------------------------------------------------------------- client-svid-x509

    /** An X.509-SVID client's attributes: SPIFFE ID, bundle endpoint, skew. */
    private Map<String, Object> x509Client(String attribute, String value) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("svid.spiffe.id", SPIFFE_ID);
        attrs.put("svid.bundle.uri", env.forKeycloak(env.spire().bundleUrl()));
        attrs.put("svid.clock.skew", "10");
        if (attribute != null) {
            attrs.put(attribute, value);
        }
        Map<String, Object> client = OwnKeySource.representation(NEW_CLIENT, attrs);
        client.put("clientAuthenticatorType", "client-svid-x509");
        return client;
    }

    static Stream<Arguments> badX509Settings() {
        return Stream.of(
                Arguments.of("svid.bundle.uri", "ftp://spire/bundle", "not an absolute http(s) URL"),
                Arguments.of("svid.bundle.uri", "", "SPIFFE bundle endpoint"), // no bundle, no trust-domain entry
                Arguments.of("svid.bundle.uri", "http://169.254.169.254/bundle", "link-local (cloud metadata) address"),
                Arguments.of("svid.clock.skew", "601", "must be between 0 and"),
                Arguments.of("svid.spiffe.id", "spiffe://td/a*", "'*' in the middle"),
                Arguments.of("svid.spiffe.id", SPIFFE_ID + "##spiffe://other.test/ns/flt/sa/config", "2 trust domains"));
    }

    @ParameterizedTest(name = "create X.509-SVID client with {0}={1}")
    @MethodSource("badX509Settings")
    void createX509ClientWithBadSettingIsRefusedAndNothingStored(String attribute, String value, String problem) {
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients", x509Client(attribute, value));

        assertRefused(response, attribute, problem);
        assertThat(stored(NEW_CLIENT)).as("clients named " + NEW_CLIENT).isEmpty();
    }

    @Test
    void validX509ClientIsStoredAndItsJwtSettingsAreNotRequired() {
        HttpResponse<String> response = env.admin().send("POST", "/" + SvidRealm.REALM + "/clients", x509Client(null, null));
        try {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
            JsonNode client = stored(NEW_CLIENT).get(0);
            assertThat(client.path("clientAuthenticatorType").asText()).isEqualTo("client-svid-x509");
            assertThat(client.path("attributes").path("svid.bundle.uri").asText()).isEqualTo(env.forKeycloak(env.spire().bundleUrl()));
        } finally {
            OwnKeySource.deleteClient(env, NEW_CLIENT);
        }
    }
}
