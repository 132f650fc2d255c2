package dev.svidauth.it.trustdomain;

import dev.svidauth.it.support.Load;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.KeycloakAdmin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Trust domains in the realm ({@code svid-trust-domain} components) on the real server:
 * federation of two trust domains, each with its own SPIRE (one through its SPIFFE bundle
 * endpoint, one through its JWKS with a pinned issuer), clients that set no key source, a client
 * spanning both through the entries, key rotation in both, the trust-domain binding attacks,
 * CRUD through the admin REST API with its 400s, and a realm export imported into a new realm.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrustDomainEntriesIT {

    static final String PAGE_PROVIDER = "org.keycloak.services.ui.extend.UiPageProvider";
    static final String PROVIDER_ID = "svid-trust-domain";

    private static final String TD_A = "fed-a.test";
    private static final String TD_B = "fed-b.test";
    private static final String TD_C = "fed-c.test";
    private static final String A_ID = "spiffe://fed-a.test/ns/w/sa/orders";
    private static final String B_ID = "spiffe://fed-b.test/ns/w/sa/ledger";
    private static final String C_ID = "spiffe://fed-c.test/ns/w/sa/shipping";
    private static final String A_BOTH = "spiffe://fed-a.test/ns/both/sa/sync";
    private static final String B_BOTH = "spiffe://fed-b.test/ns/both/sa/sync";
    private static final List<String> CLIENTS = List.of("fed-a-orders", "fed-b-ledger", "fed-both-sync", "fed-c-shipping",
            "fed-mixed-no-entry");
    private static final List<String> TEST_DOMAINS = List.of(TD_A, TD_B, TD_C, "crud.test", "bad.test");

    private final SvidRealm env;
    private SpireEmulator a;
    private SpireEmulator b;
    private String realmId;

    TrustDomainEntriesIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        realmId = env.admin().get("/" + REALM).path("id").asText();
        CLIENTS.forEach(c -> OwnKeySource.deleteClient(env, c));
        TEST_DOMAINS.forEach(this::deleteEntry);
        a = SpireEmulator.builder().trustDomain(TD_A).x509Authority(true).start();
        b = SpireEmulator.builder().trustDomain(TD_B).issuer(SpireEmulator.SELF).x509Authority(true).start();
        createEntry(TD_A, Map.of("bundleEndpointUrl", env.forKeycloak(a.bundleUrl())));
        // fed-b.test's workloads still mint for the token endpoint: its entry opts its clients in
        createEntry(TD_B, Map.of("jwksUri", env.forKeycloak(b.jwksUrl()), "issuer", b.issuer(), "maxLifetime", "900",
                "audienceEndpoints", "true"));
        // clients with no svid.jwks.uri and no svid.issuer: the entries give the keys
        OwnKeySource.createClient(env, "fed-a-orders", Map.of("svid.spiffe.id", A_ID));
        OwnKeySource.createClient(env, "fed-b-ledger", Map.of("svid.spiffe.id", B_ID));
        OwnKeySource.createClient(env, "fed-both-sync", Map.of("svid.spiffe.id", A_BOTH + "##" + B_BOTH));
    }

    @AfterAll
    void tearDown() {
        CLIENTS.forEach(c -> OwnKeySource.deleteClient(env, c));
        TEST_DOMAINS.forEach(this::deleteEntry);
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    // ---- federation -----------------------------------------------------------------------------

    @Test
    void eachTrustDomainsWorkloadAuthenticatesThroughItsEntry() {
        assertToken(env.token(a.svid(A_ID).audience(env.audience()).mint()), "fed-a-orders", A_ID);
        assertToken(env.token(b.svid(B_ID).audience(env.audience()).mint()), "fed-b-ledger", B_ID);
    }

    @Test
    void oneClientSpansBothTrustDomainsEachSvidVerifiedWithItsOwnEntry() {
        assertToken(env.token(a.svid(A_BOTH).audience(env.audience()).mint()), "fed-both-sync", A_BOTH);
        assertToken(env.token(b.svid(B_BOTH).audience(env.audience()).mint()), "fed-both-sync", B_BOTH);
    }

    /**
     * ConcurrencyIT-style load across both trust domains: 8 threads for 15 s, each request the SVID
     * of trust domain a or b (own clients and the client spanning both), or one of trust domain b's
     * IDs signed by trust domain a's key: every genuine SVID gets a token, every cross-signed one
     * 401 invalid_client, never a 5xx.
     */
    @Test
    void loadAcrossBothTrustDomains() throws Exception {
        java.util.concurrent.atomic.AtomicLong tokens = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
        Load load = Load.start(8, (thread, i) -> {
            int kind = (int) ((thread + i) % 5);
            String svid = switch (kind) {
                case 0 -> a.svid(A_ID).audience(env.audience()).mint();
                case 1 -> b.svid(B_ID).audience(env.audience()).mint();
                case 2 -> a.svid(A_BOTH).audience(env.audience()).mint();
                case 3 -> b.svid(B_BOTH).audience(env.audience()).mint();
                default -> a.svid(B_BOTH).unchecked().claim("iss", b.issuer()).audience(env.audience()).mint();
            };
            FormPost.Answer answer = env.token(svid);
            if (kind < 4) {
                tokens.incrementAndGet();
                return answer.status == 200 && answer.json.hasNonNull("access_token") ? null : "kind " + kind + ": " + answer;
            }
            refused.incrementAndGet();
            return answer.status == 401 && "invalid_client".equals(answer.error()) ? null : "cross-signed: " + answer;
        });
        OwnKeySource.sleep(java.time.Duration.ofSeconds(15));
        load.stop();
        System.out.printf("[trust-domains] load across two trust domains: %s; genuine %d, cross-signed %d%n",
                load.summary(), tokens.get(), refused.get());

        assertThat(load.failures()).as("requests without the answer they deserved").isEmpty();
        assertThat(tokens.get()).isPositive();
        assertThat(refused.get()).isPositive();
    }

    @Test
    void theEntrysDefaultsApply() {
        // entry fed-b.test allows 900 s; the client sets no svid.max.lifetime
        FormPost.Answer answer = env.token(b.svid(B_ID).audience(env.audience()).ttl(Duration.ofSeconds(1200)).mint());

        assertRefused(answer, "lifetime_too_long", B_ID);
        assertThat(Rejections.detail(env.lastLoginError())).contains("900");
    }

    /** The realm issuer alone by default; an entry's audienceEndpoints opts the clients relying on it in. */
    @Test
    void theEntrysEndpointAudienceDefaultApplies() {
        String tokenEndpoint = env.tokenEndpoint().toString();

        assertToken(env.token(b.svid(B_ID).audience(tokenEndpoint).mint()), "fed-b-ledger", B_ID);
        assertRefused(env.token(a.svid(A_ID).audience(tokenEndpoint).mint()), "bad_audience", A_ID);
    }

    @Test
    void theShippedClientWithoutKeyAttributesWorksThroughTheExampleOrgEntry() {
        JsonNode attributes = env.admin().client(REALM, "billing-api").path("attributes");
        assertThat(attributes.has("svid.jwks.uri")).isFalse();
        assertThat(attributes.has("svid.issuer")).isFalse();

        assertToken(env.token(env.svid("spiffe://example.org/ns/apps/sa/billing")), "billing-api",
                "spiffe://example.org/ns/apps/sa/billing");
    }

    @Test
    void spireStyleKeyRotationInBothTrustDomains() {
        assertToken(env.token(a.svid(A_ID).audience(env.audience()).mint()), "fed-a-orders", A_ID);
        assertToken(env.token(b.svid(B_ID).audience(env.audience()).mint()), "fed-b-ledger", B_ID);
        long t0 = System.nanoTime();
        String oldA = a.signingKey().getKeyID();
        String oldB = b.signingKey().getKeyID();
        a.prepareRotation();
        b.prepareRotation();
        // an unknown kid may be refetched 10 s after the previous fetch
        OwnKeySource.sleep(Duration.ofSeconds(12).minusNanos(System.nanoTime() - t0));
        a.activateNextKey();
        b.activateNextKey();
        String svidA = a.svid(A_ID).audience(env.audience()).mint();
        String svidB = b.svid(B_BOTH).audience(env.audience()).mint();
        assertThat(OwnKeySource.kidOf(svidA)).isNotEqualTo(oldA);
        assertThat(OwnKeySource.kidOf(svidB)).isNotEqualTo(oldB);

        assertToken(env.token(svidA), "fed-a-orders", A_ID);
        assertToken(env.token(svidB), "fed-both-sync", B_BOTH);
        a.dropRetiredKeys();
        b.dropRetiredKeys();
        assertToken(env.token(b.svid(B_ID).audience(env.audience()).mint()), "fed-b-ledger", B_ID);
    }

    // ---- keys bound to their trust domain -------------------------------------------------------

    @Test
    void entryAsKeysNeverVerifyAnSvidOfTrustDomainB() {
        // fed-a.test's SPIRE mints a fed-b.test identity, even with fed-b.test's issuer
        String forged = a.svid(B_BOTH).unchecked().claim("iss", b.issuer()).audience(env.audience()).mint();

        assertRefused(env.token(JWT_SPIFFE, forged, "fed-both-sync"), "unknown_kid", B_BOTH);
    }

    @Test
    void aFederatedTrustDomainCannotMintTheLocalTrustDomainsIds() {
        String local = "spiffe://example.org/ns/apps/sa/billing";
        String forged = b.svid(local).unchecked().claim("iss", env.spire().issuer()).audience(env.audience()).mint();
        assertRefused(env.token(forged), "unknown_kid", local);

        String withOwnIssuer = b.svid(local).unchecked().audience(env.audience()).mint();
        assertRefused(env.token(withOwnIssuer), "bad_issuer", local);
    }

    @Test
    void anEntryWhoseBundleEndpointServesAnotherTrustDomainsKeysRefusesTheirSvids() {
        // fed-c.test's entry points at fed-b.test's bundle endpoint (a mistake, or a hijacked URL)
        createEntry(TD_C, Map.of("bundleEndpointUrl", env.forKeycloak(b.bundleUrl())));
        OwnKeySource.createClient(env, "fed-c-shipping", Map.of("svid.spiffe.id", C_ID));

        String foreign = b.svid(C_ID).unchecked().audience(env.audience()).mint();
        FormPost.Answer answer = env.token(foreign);

        assertRefused(answer, "trust_domain_mismatch", C_ID);
        assertThat(Rejections.detail(env.lastLoginError())).contains("fed-b.test").contains("fed-c.test");
    }

    @Test
    void aClientSpanningATrustDomainWithoutEntryAndWithoutKeySourceIsRefusedAtSave() {
        HttpResponse<String> created = env.admin().send("POST", "/" + REALM + "/clients", OwnKeySource.representation(
                "fed-mixed-no-entry", Map.of("svid.spiffe.id", A_ID + "##spiffe://no-entry.test/ns/w/sa/x")));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains("svid.spiffe.id").contains("trust-domain entry");
        assertThat(env.admin().get("/" + REALM + "/clients?clientId=fed-mixed-no-entry")).isEmpty();
    }

    @Test
    void aClientWhoseEntryWasDeletedRefusesItsSvidsAsMisconfigured() {
        String spiffeId = "spiffe://crud.test/ns/w/sa/gone";
        createEntry("crud.test", Map.of("jwksUri", env.forKeycloak(a.jwksUrl())));
        OwnKeySource.createClient(env, "fed-c-shipping", Map.of("svid.spiffe.id", spiffeId));
        deleteEntry("crud.test");
        try {
            FormPost.Answer answer = env.token(a.svid(spiffeId).unchecked().audience(env.audience()).mint());

            assertRefused(answer, "client_misconfigured", spiffeId);
            assertThat(Rejections.detail(env.lastLoginError())).contains("no key source for trust domain 'crud.test'");
        } finally {
            OwnKeySource.deleteClient(env, "fed-c-shipping");
        }
    }

    // ---- CRUD through the admin REST API --------------------------------------------------------

    @Test
    void createReadUpdateDeleteThroughTheComponentsEndpoint() {
        String id = createEntry("crud.test", Map.of("jwksUri", "https://spire.crud.test/keys", "clockSkew", "5"));

        JsonNode stored = env.admin().get("/" + REALM + "/components/" + id);
        assertThat(stored.path("providerId").asText()).isEqualTo(PROVIDER_ID);
        assertThat(stored.path("providerType").asText()).isEqualTo(PAGE_PROVIDER);
        assertThat(stored.path("config").path("trustDomain").get(0).asText()).isEqualTo("crud.test");
        assertThat(entries()).extracting(e -> e.path("config").path("trustDomain").get(0).asText()).contains("crud.test");

        ObjectNode update = stored.deepCopy();
        ((ObjectNode) update.path("config")).putArray("clockSkew").add("15");
        HttpResponse<String> updated = env.admin().send("PUT", "/" + REALM + "/components/" + id, update);
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(204);
        assertThat(env.admin().get("/" + REALM + "/components/" + id).path("config").path("clockSkew").get(0).asText())
                .isEqualTo("15");

        ((ObjectNode) update.path("config")).putArray("clockSkew").add("9999");
        HttpResponse<String> refused = env.admin().send("PUT", "/" + REALM + "/components/" + id, update);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("clockSkew").contains("between 0 and 600");
        assertThat(env.admin().get("/" + REALM + "/components/" + id).path("config").path("clockSkew").get(0).asText())
                .as("the previous value is kept").isEqualTo("15");

        HttpResponse<String> duplicate = env.admin().send("POST", "/" + REALM + "/components",
                entry("crud.test", Map.of("jwksUri", "https://elsewhere.crud.test/keys")));
        assertThat(duplicate.statusCode()).as(duplicate.body()).isEqualTo(400);
        assertThat(duplicate.body()).contains("trustDomain").contains("already has an entry for trust domain 'crud.test'");
        assertThat(entries("crud.test")).hasSize(1);

        HttpResponse<String> deleted = env.admin().send("DELETE", "/" + REALM + "/components/" + id, null);
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(entries("crud.test")).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1} is refused naming {0}")
    @CsvSource(delimiter = '|', value = {
            "trustDomain|Bad.Test|not a trust domain name",
            "trustDomain|spiffe://bad.test|not a trust domain name",
            "trustDomain|bad.test:8443|not a trust domain name",
            "bundleEndpointUrl|ftp://bad.test/bundle|not an absolute http(s) URL",
            "bundleEndpointUrl|http://169.254.169.254/latest/meta-data/|link-local",
            "jwksUri|http://[fe80::1]/keys|link-local",
            "issuer|' https://bad.test'|white space",
            "algorithms|HS256|not supported",
            "maxLifetime|0|between 1 and 86400",
            "maxLifetime|ten|whole number",
            "clockSkew|601|between 0 and 600",
            "audienceEndpoints|yes|true or false",
    })
    void badValuesAreRefusedWith400NamingTheFieldAndNothingIsStored(String field, String value, String problem) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("trustDomain", "bad.test");
        if (!field.equals("jwksUri")) {
            config.put("bundleEndpointUrl", "https://spire.bad.test:8443");
        }
        config.put(field, value);

        HttpResponse<String> created = env.admin().send("POST", "/" + REALM + "/components", component(config));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains(field).contains(problem);
        assertThat(entries()).noneMatch(e -> e.path("config").path("trustDomain").get(0).asText().equalsIgnoreCase(config.get("trustDomain")));
    }

    @Test
    void anEntryWithoutKeySourceOrWithTwoIsRefused() {
        HttpResponse<String> none = env.admin().send("POST", "/" + REALM + "/components", entry("bad.test", Map.of()));
        assertThat(none.statusCode()).as(none.body()).isEqualTo(400);
        assertThat(none.body()).contains("bundleEndpointUrl").contains("set a key source");

        HttpResponse<String> both = env.admin().send("POST", "/" + REALM + "/components", entry("bad.test",
                Map.of("bundleEndpointUrl", "https://spire.bad.test:8443", "jwksUri", "https://oidc.bad.test/keys")));
        assertThat(both.statusCode()).as(both.body()).isEqualTo(400);
        assertThat(both.body()).contains("jwksUri").contains("not both");
        assertThat(entries("bad.test")).isEmpty();
    }

    // ---- export and import ----------------------------------------------------------------------

    @Test
    void aRealmExportImportedIntoANewRealmKeepsTheEntries() {
        String copy = "svid-td-copy";
        env.admin().send("DELETE", "/" + copy, null);
        JsonNode export = env.admin().post("/" + REALM + "/partial-export?exportClients=false&exportGroupsAndRoles=false", Map.of());
        ArrayNode pages = (ArrayNode) export.path("components").path(PAGE_PROVIDER);
        List<JsonNode> exported = new ArrayList<>();
        pages.forEach(p -> {
            if (PROVIDER_ID.equals(p.path("providerId").asText())) {
                exported.add(p);
            }
        });
        assertThat(exported).extracting(e -> e.path("config").path("trustDomain").get(0).asText())
                .contains("example.org", TD_A, TD_B);

        ArrayNode imported = KeycloakAdmin.json().createArrayNode();
        exported.forEach(e -> imported.add(((ObjectNode) e.deepCopy()).without(List.of("id", "parentId"))));
        ObjectNode realm = KeycloakAdmin.json().createObjectNode();
        realm.put("realm", copy).put("enabled", true);
        realm.putObject("components").set(PAGE_PROVIDER, imported);
        try {
            HttpResponse<String> created = env.admin().send("POST", "", realm);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

            String copyId = env.admin().get("/" + copy).path("id").asText();
            JsonNode entries = env.admin().get("/" + copy + "/components?type=" + PAGE_PROVIDER + "&parent=" + copyId);
            Map<String, JsonNode> byName = new LinkedHashMap<>();
            entries.forEach(e -> byName.put(e.path("config").path("trustDomain").get(0).asText(), e.path("config")));
            assertThat(byName).hasSize(exported.size());
            for (JsonNode e : exported) {
                assertThat(byName.get(e.path("config").path("trustDomain").get(0).asText())).isEqualTo(e.path("config"));
            }
        } finally {
            env.admin().send("DELETE", "/" + copy, null);
        }
    }

    // ---------------------------------------------------------------------------------------------

    private void assertToken(FormPost.Answer answer, String clientId, String spiffeId) {
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        JsonNode token = SvidRealm.payload(answer.json.path("access_token").asText());
        assertThat(token.path("azp").asText()).isEqualTo(clientId);
    }

    private void assertRefused(FormPost.Answer answer, String reason, String sub) {
        Rejections.assertTerse(answer, reason);
        JsonNode event = env.lastLoginError();
        assertThat(event.path("details").path("reason").asText()).as(answer.toString()).isEqualTo(reason);
        assertThat(event.path("details").path("client_assertion_sub").asText()).isEqualTo(sub);
    }

    private Map<String, Object> entry(String trustDomain, Map<String, String> fields) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("trustDomain", trustDomain);
        config.putAll(fields);
        return component(config);
    }

    private Map<String, Object> component(Map<String, String> config) {
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("providerId", PROVIDER_ID);
        rep.put("providerType", PAGE_PROVIDER);
        rep.put("parentId", realmId);
        Map<String, List<String>> multi = new LinkedHashMap<>();
        config.forEach((k, v) -> multi.put(k, List.of(v)));
        rep.put("config", multi);
        return rep;
    }

    /** Creates an entry; returns its component id. */
    private String createEntry(String trustDomain, Map<String, String> fields) {
        deleteEntry(trustDomain);
        return env.admin().post("/" + REALM + "/components", entry(trustDomain, fields)).path("id").asText();
    }

    private void deleteEntry(String trustDomain) {
        entries(trustDomain).forEach(e -> env.admin().delete("/" + REALM + "/components/" + e.path("id").asText()));
    }

    private List<JsonNode> entries() {
        List<JsonNode> out = new ArrayList<>();
        env.admin().get("/" + REALM + "/components?type=" + PAGE_PROVIDER + "&parent=" + realmId).forEach(e -> {
            if (PROVIDER_ID.equals(e.path("providerId").asText())) {
                out.add(e);
            }
        });
        return out;
    }

    private List<JsonNode> entries(String trustDomain) {
        return entries().stream().filter(e -> trustDomain.equals(e.path("config").path("trustDomain").path(0).asText())).toList();
    }
}
