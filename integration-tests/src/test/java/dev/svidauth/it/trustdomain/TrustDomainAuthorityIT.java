package dev.svidauth.it.trustdomain;

import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A trust domain's authority belongs to the realm, on the real server: where the realm has a
 * trust-domain entry, no registrant or administrator of one client can bring their own key source
 * for that trust domain or take a SPIFFE ID another client holds.
 *
 * <p>The registration attack: a registrant with an initial access token registers
 * the SPIFFE ID of the existing client {@code sec-payments} with its own JWKS, mints an SVID for
 * that ID with its own key and asks for a token (forgery); or registers the same SPIFFE ID
 * without key material, so that the genuine workload, sending no {@code client_id}, is refused
 * as ambiguous (denial of service). Both registrations are now refused (400) and the genuine
 * workload keeps getting its token.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrustDomainAuthorityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String PAGE_PROVIDER = "org.keycloak.services.ui.extend.UiPageProvider";
    private static final String POLICY_PROVIDER = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy";

    private static final String SEC = "sec.test";
    private static final String SHARE = "share.test";
    private static final String PAYMENTS = "spiffe://sec.test/payments";
    private static final String LEGACY = "spiffe://sec.test/legacy";
    private static final String TWIN = "spiffe://sec.test/twin";
    private static final String SHARED = "spiffe://share.test/ns/x";
    private static final List<String> CLIENTS = List.of("sec-payments", "sec-intruder", "sec-broad", "sec-legacy", "sec-twin-a",
            "sec-twin-b", "share-a", "share-b", "dflt-intruder");
    private static final String POLICY_REALM = "svid-policy";

    private final SvidRealm env;
    private SpireEmulator genuine;
    private SpireEmulator attacker;
    private SpireEmulator share;
    private String realmId;
    private String initialAccessToken;

    TrustDomainAuthorityIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        realmId = env.admin().get("/" + REALM).path("id").asText();
        cleanUp();
        genuine = SpireEmulator.builder().trustDomain(SEC).start();
        attacker = SpireEmulator.builder().trustDomain(SEC).start();
        share = SpireEmulator.builder().trustDomain(SHARE).start();
        createEntry(SEC, Map.of("bundleEndpointUrl", env.forKeycloak(genuine.bundleUrl())));
        createEntry(SHARE, Map.of("bundleEndpointUrl", env.forKeycloak(share.bundleUrl()), "sharedSpiffeIds", "true"));
        OwnKeySource.createClient(env, "sec-payments", Map.of("svid.spiffe.id", PAYMENTS));
        initialAccessToken = env.admin().post("/" + REALM + "/clients-initial-access",
                Map.of("count", 20, "expiration", 3600)).path("token").asText();
    }

    @AfterAll
    void tearDown() {
        cleanUp();
        for (SpireEmulator s : new SpireEmulator[]{genuine, attacker, share}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private void cleanUp() {
        CLIENTS.forEach(c -> OwnKeySource.deleteClient(env, c));
        for (String name : List.of("dcr-forger", "dcr-squatter")) {
            for (JsonNode c : env.admin().get("/" + REALM + "/clients?max=10000")) {
                if (name.equals(c.path("name").asText())) {
                    env.admin().delete("/" + REALM + "/clients/" + c.path("id").asText());
                }
            }
        }
        List.of(SEC, SHARE).forEach(this::deleteEntry);
        if (env.admin().send("GET", "/" + POLICY_REALM, null).statusCode() == 200) {
            env.admin().delete("/" + POLICY_REALM);
        }
    }

    // ---- identity forgery through registration ---------------------------------------

    @Test
    void aRegistrantCannotRegisterAnExistingSpiffeIdWithItsOwnKeysAndForgeIt() throws Exception {
        Map<String, Object> metadata = SvidRealm.registrationMetadata("dcr-forger", PAYMENTS, "jwks_uri",
                env.forKeycloak(attacker.jwksUrl()));
        HttpResponse<String> registered = SvidRealm.register(URI.create(env.audience()), initialAccessToken, metadata);

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(400);
        assertThat(JSON.readTree(registered.body()).path("error").asText()).isEqualTo("invalid_client_metadata");
        assertThat(clientsNamed("dcr-forger")).as("nothing stored").isEmpty();

        // the SVID the registrant signs with its own key is not vouched for by the trust domain
        assertRefused(env.token(attacker.mint(PAYMENTS, List.of(env.audience()))), "unknown_kid");
        // the genuine workload is unaffected
        assertToken(env.token(genuine.mint(PAYMENTS, List.of(env.audience()))), "sec-payments");
    }

    @Test
    void registrantKeyMaterialIsRefusedByDefaultEvenForATrustDomainWithoutAnEntry() throws Exception {
        HttpResponse<String> registered = SvidRealm.register(URI.create(env.audience()), initialAccessToken,
                SvidRealm.registrationMetadata("dcr-forger", "spiffe://no-entry-sec.test/ns/a", "jwks_uri",
                        env.forKeycloak(attacker.jwksUrl())));

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(registered.body());
        assertThat(error.path("error").asText()).isEqualTo("invalid_client_metadata");
        assertThat(error.path("error_description").asText()).contains("svid.jwks.uri");
        assertThat(clientsNamed("dcr-forger")).isEmpty();
    }

    /** Keycloak's other registration endpoint takes a client representation with any attributes: the same defaults apply. */
    @Test
    void theDefaultRegistrationProviderCannotSetSvidKeySourcesEither() throws Exception {
        Map<String, Object> rep = SvidRealm.svidClient("dflt-intruder", Map.of("svid.spiffe.id", "spiffe://no-entry-sec.test/ns/dflt",
                "svid.jwks.uri", env.forKeycloak(attacker.jwksUrl())));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(env.audience() + "/clients-registrations/default"))
                .header("Authorization", "Bearer " + initialAccessToken)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(rep))).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(env.admin().get("/" + REALM + "/clients?clientId=dflt-intruder").size()).isZero();
    }

    // ---- denial of service through the same registration ----------------------------

    @Test
    void aRegistrantCannotTakeAnExistingSpiffeIdSoTheGenuineWorkloadStaysUnambiguous() throws Exception {
        HttpResponse<String> registered = SvidRealm.register(URI.create(env.audience()), initialAccessToken,
                SvidRealm.registrationMetadata("dcr-squatter", PAYMENTS, null, null));

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(registered.body());
        assertThat(error.path("error").asText()).isEqualTo("invalid_client_metadata");
        assertThat(error.path("error_description").asText()).contains("spiffe_id").doesNotContain("sec-payments");
        assertThat(clientsNamed("dcr-squatter")).isEmpty();

        // as SPIRE workloads do: no client_id
        assertToken(env.token(genuine.mint(PAYMENTS, List.of(env.audience()))), "sec-payments");
    }

    // ---- the administrator of one client, through the admin API -----------------------------------

    @Test
    void theAdminApiRefusesAnOwnKeySourceForATrustDomainWithAnEntryAndStoresNothing() {
        HttpResponse<String> created = env.admin().send("POST", "/" + REALM + "/clients", SvidRealm.svidClient("sec-intruder",
                Map.of("svid.spiffe.id", "spiffe://sec.test/intruder", "svid.jwks.uri", env.forKeycloak(attacker.jwksUrl()))));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains("svid.jwks.uri");
        assertThat(env.admin().get("/" + REALM + "/clients?clientId=sec-intruder").size()).isZero();

        // nor may an existing client of the trust domain be given one
        String id = env.admin().clientUuid(REALM, "sec-payments");
        JsonNode rep = env.admin().get("/" + REALM + "/clients/" + id);
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep.path("attributes")).put("svid.issuer", "https://attacker.example");
        HttpResponse<String> updated = env.admin().send("PUT", "/" + REALM + "/clients/" + id, rep);
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(400);
        assertThat(updated.body()).contains("svid.issuer");
        assertThat(env.admin().client(REALM, "sec-payments").path("attributes").has("svid.issuer")).isFalse();
    }

    @Test
    void theAdminApiRefusesASpiffeIdOrACoveringPatternAnotherClientHolds() {
        for (String[] c : new String[][]{{"sec-intruder", PAYMENTS}, {"sec-broad", "spiffe://sec.test/*"}}) {
            HttpResponse<String> r = env.admin().send("POST", "/" + REALM + "/clients",
                    SvidRealm.svidClient(c[0], Map.of("svid.spiffe.id", c[1])));
            assertThat(r.statusCode()).as(c[1] + ": " + r.body()).isEqualTo(400);
            assertThat(r.body()).contains("svid.spiffe.id").contains("sharedSpiffeIds").doesNotContain("sec-payments");
            assertThat(env.admin().get("/" + REALM + "/clients?clientId=" + c[0]).size()).isZero();
        }
    }

    // ---- the administrator's switches -----------------------------------------------------------

    @Test
    void anEntryThatAllowsSharingLetsSeveralClientsTakeOneSpiffeIdAndClientIdChooses() {
        OwnKeySource.createClient(env, "share-a", Map.of("svid.spiffe.id", SHARED));
        OwnKeySource.createClient(env, "share-b", Map.of("svid.spiffe.id", SHARED));

        assertRefused(env.token(share.mint(SHARED, List.of(env.audience()))), "ambiguous_client");
        assertToken(env.token(JWT_SPIFFE, share.mint(SHARED, List.of(env.audience())), "share-b"), "share-b");
    }

    @Test
    void thePolicyComponentIsWhereAnAdministratorAllowsRegistrantKeySourcesAndSharing() throws Exception {
        env.admin().post("", Map.of("realm", POLICY_REALM, "enabled", true));
        String policyRealmId = env.admin().get("/" + POLICY_REALM).path("id").asText();
        URI realmUrl = env.keycloak().realmUrl(POLICY_REALM);
        String iat = env.admin().post("/" + POLICY_REALM + "/clients-initial-access", Map.of("count", 20, "expiration", 3600))
                .path("token").asText();
        Map<String, Object> ownKeys = SvidRealm.registrationMetadata("p-own", "spiffe://free.test/ns/a", "jwks_uri",
                env.forKeycloak(attacker.jwksUrl()));

        // no component of the policy: its defaults apply
        assertThat(SvidRealm.register(realmUrl, iat, ownKeys).statusCode()).isEqualTo(400);

        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("name", "SVID registration");
        policy.put("providerId", "svid-registration");
        policy.put("providerType", POLICY_PROVIDER);
        policy.put("parentId", policyRealmId);
        policy.put("subType", "authenticated");
        policy.put("config", Map.of("allow-registrant-key-sources", List.of("true"), "allow-shared-spiffe-ids", List.of("false")));
        HttpResponse<String> added = env.admin().send("POST", "/" + POLICY_REALM + "/components", policy);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        String policyId = added.headers().firstValue("Location").orElseThrow().replaceAll(".*/", "");

        HttpResponse<String> allowed = SvidRealm.register(realmUrl, iat, ownKeys);
        assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(201);

        // the policy does not allow sharing: its component refuses (Keycloak answers 403 for its policies)
        HttpResponse<String> second = SvidRealm.register(realmUrl, iat, SvidRealm.registrationMetadata("p-own-2",
                "spiffe://free.test/ns/a", "jwks_uri", env.forKeycloak(attacker.jwksUrl())));
        assertThat(second.statusCode()).as(second.body()).isEqualTo(403);

        // an entry that allows sharing, and a policy that does not: the policy refuses
        Map<String, Object> entry = entryRep(policyRealmId, SHARE, Map.of("bundleEndpointUrl", env.forKeycloak(share.bundleUrl()),
                "sharedSpiffeIds", "true"));
        env.admin().post("/" + POLICY_REALM + "/components", entry);
        Map<String, Object> sharedId = SvidRealm.registrationMetadata("p-share", SHARED, null, null);
        assertThat(SvidRealm.register(realmUrl, iat, sharedId).statusCode()).isEqualTo(201);
        HttpResponse<String> refusedShare = SvidRealm.register(realmUrl, iat, SvidRealm.registrationMetadata("p-share-2", SHARED, null, null));
        assertThat(refusedShare.statusCode()).as(refusedShare.body()).isEqualTo(403);

        JsonNode stored = env.admin().get("/" + POLICY_REALM + "/components/" + policyId);
        ((com.fasterxml.jackson.databind.node.ObjectNode) stored.path("config")).putArray("allow-shared-spiffe-ids").add("true");
        assertThat(env.admin().send("PUT", "/" + POLICY_REALM + "/components/" + policyId, stored).statusCode()).isEqualTo(204);
        HttpResponse<String> shared = SvidRealm.register(realmUrl, iat, SvidRealm.registrationMetadata("p-share-3", SHARED, null, null));
        assertThat(shared.statusCode()).as(shared.body()).isEqualTo(201);
        // the policy allows sharing, but free.test has no entry that does: the realm-wide rule still refuses
        HttpResponse<String> noEntry = SvidRealm.register(realmUrl, iat, SvidRealm.registrationMetadata("p-own-3",
                "spiffe://free.test/ns/a", "jwks_uri", env.forKeycloak(attacker.jwksUrl())));
        assertThat(noEntry.statusCode()).as(noEntry.body()).isEqualTo(400);
        assertThat(noEntry.body()).contains("invalid_client_metadata").contains("svid.spiffe.id");

        // anonymous registration has no component here: the defaults still apply to it (Keycloak's
        // trusted-hosts policy refuses this request first; the point is that it is not accepted)
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create(realmUrl + "/clients-registrations/openid-connect"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(ownKeys))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).as(anonymous.body()).isIn(400, 401, 403);
        env.admin().delete("/" + POLICY_REALM);
    }

    // ---- clients stored before: verified with the entry's key source; conflicts listed ------------

    @Test
    void aClientStoredBeforeWithItsOwnKeySourceIsVerifiedWithTheEntrysKeySource() {
        importLegacy();

        assertRefused(env.token(attacker.mint(LEGACY, List.of(env.audience()))), "unknown_kid");
        assertToken(env.token(genuine.mint(LEGACY, List.of(env.audience()))), "sec-legacy");
    }

    @Test
    void conflictsOfClientsStoredBeforeAreListedByDiagnoseAndServerInfo() throws Exception {
        importLegacy();
        env.importClient(SvidRealm.svidClient("sec-twin-a", Map.of("svid.spiffe.id", TWIN)));
        env.importClient(SvidRealm.svidClient("sec-twin-b", Map.of("svid.spiffe.id", TWIN)));

        JsonNode report = diagnose(genuine.mint(PAYMENTS, List.of(env.audience())));
        List<String> conflicts = new ArrayList<>();
        report.path("conflicts").forEach(c -> conflicts.add(c.asText()));
        assertThat(conflicts).anySatisfy(c -> assertThat(c).contains("'sec-legacy'").contains("svid.jwks.uri"));
        assertThat(conflicts).anySatisfy(c -> assertThat(c).contains("'sec-twin-a'").contains("'sec-twin-b'").contains(TWIN));
        assertThat(conflicts).as("sharing allowed by share.test's entry is no conflict").noneMatch(c -> c.contains(SHARED));

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode info;
        do {
            info = env.serverInfo().path("providers").path("client-authenticator").path("providers").path("client-svid-jwt")
                    .path("operationalInfo");
            if (info.has("trust-domain-conflicts " + REALM)) {
                break;
            }
            Thread.sleep(1000);
        } while (System.nanoTime() < deadline);
        assertThat(info.path("trust-domain-conflicts " + REALM).asText()).as(info.toString()).contains("/svid-auth/diagnose");
        assertThat(Integer.parseInt(info.path("trust-domain-conflicts").asText())).isGreaterThanOrEqualTo(2);
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Stores (once) {@code sec-legacy} with the attacker's key source as a client saved before these
     * rules lands: by partial import, which does not validate, with its service account user.
     */
    private void importLegacy() {
        if (!env.admin().get("/" + REALM + "/clients?clientId=sec-legacy").isEmpty()) {
            return;
        }
        Map<String, Object> client = SvidRealm.svidClient("sec-legacy", Map.of("svid.spiffe.id", LEGACY,
                "svid.jwks.uri", env.forKeycloak(attacker.jwksUrl())));
        Map<String, Object> serviceAccount = Map.of("username", "service-account-sec-legacy", "enabled", true,
                "serviceAccountClientId", "sec-legacy");
        JsonNode imported = env.admin().post("/" + REALM + "/partialImport", Map.of("ifResourceExists", "FAIL",
                "clients", List.of(client), "users", List.of(serviceAccount)));
        assertThat(imported.path("added").asInt()).as(imported.toString()).isEqualTo(2);
    }

    private void assertToken(FormPost.Answer answer, String clientId) {
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(clientId);
    }

    private void assertRefused(FormPost.Answer answer, String reason) {
        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        assertThat(answer.error()).isEqualTo("invalid_client");
        assertThat(env.lastLoginError().path("details").path("reason").asText()).as(answer.toString()).isEqualTo(reason);
    }

    private List<JsonNode> clientsNamed(String name) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode c : env.admin().get("/" + REALM + "/clients?max=10000")) {
            if (name.equals(c.path("name").asText())) {
                found.add(c);
            }
        }
        return found;
    }

    private JsonNode diagnose(String assertion) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(env.keycloak().baseUrl() + "/admin/realms/" + REALM
                        + "/svid-auth/diagnose"))
                .header("Authorization", "Bearer " + env.admin().accessToken())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("assertion", assertion)), StandardCharsets.UTF_8))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static Map<String, Object> entryRep(String parentId, String trustDomain, Map<String, String> fields) {
        Map<String, List<String>> config = new LinkedHashMap<>();
        config.put("trustDomain", List.of(trustDomain));
        fields.forEach((k, v) -> config.put(k, List.of(v)));
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("providerId", "svid-trust-domain");
        rep.put("providerType", PAGE_PROVIDER);
        rep.put("parentId", parentId);
        rep.put("config", config);
        return rep;
    }

    private void createEntry(String trustDomain, Map<String, String> fields) {
        deleteEntry(trustDomain);
        env.admin().post("/" + REALM + "/components", entryRep(realmId, trustDomain, fields));
    }

    private void deleteEntry(String trustDomain) {
        for (JsonNode e : env.admin().get("/" + REALM + "/components?type=" + PAGE_PROVIDER + "&parent=" + realmId)) {
            if ("svid-trust-domain".equals(e.path("providerId").asText())
                    && trustDomain.equals(e.path("config").path("trustDomain").path(0).asText())) {
                env.admin().delete("/" + REALM + "/components/" + e.path("id").asText());
            }
        }
    }
}
