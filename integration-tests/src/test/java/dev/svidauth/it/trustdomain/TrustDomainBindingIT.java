package dev.svidauth.it.trustdomain;

import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys bound to their trust domain. A client whose {@code svid.spiffe.id} lists IDs of two trust
 * domains with ONE key source (trust domain example.org's) used to accept an SVID for
 * {@code spiffe://other.org/…} signed by example.org's key: example.org's SPIRE could mint
 * other.org's identities. Such a client is now refused when saved, and one stored anyway (a realm
 * import, or a client saved by an earlier version) refuses every SVID with
 * {@code trust_domain_mismatch} before any key is fetched.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrustDomainBindingIT {

    private static final String LOCAL_ID = "spiffe://example.org/ns/td/sa/mixed";
    private static final String FOREIGN_ID = "spiffe://other.org/ns/td/sa/mixed";
    private static final String STORED = "td-mixed-stored";

    private final SvidRealm env;
    private SpireEmulator other;

    TrustDomainBindingIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() {
        other = SpireEmulator.builder().trustDomain("other.org").start();
        // Stored the way a client saved before this check, or a realm import, lands: partial import.
        env.importClient(clientRep(STORED, LOCAL_ID + "##" + FOREIGN_ID));
    }

    @AfterAll
    void tearDown() {
        if (other != null) {
            other.close();
        }
    }

    @Test
    void anotherTrustDomainsIdSignedByTheConfiguredSourcesKeyIsRefused() {
        // example.org's SPIRE (whose keys the client's svid.jwks.uri serves) mints other.org's ID.
        String forged = env.spire().svid(FOREIGN_ID).unchecked().audience(env.audience()).mint();

        FormPost.Answer answer = env.token(JWT_SPIFFE, forged, STORED);

        assertRefused(answer, FOREIGN_ID);
    }

    @Test
    void aStoredClientSpanningTrustDomainsRefusesEvenItsOwnTrustDomainsSvid() {
        FormPost.Answer answer = env.token(env.spire().svid(LOCAL_ID).audience(env.audience()).mint());

        assertRefused(answer, LOCAL_ID);
    }

    @Test
    void theOtherTrustDomainsOwnSvidIsRefusedToo() {
        FormPost.Answer answer = env.token(JWT_SPIFFE, other.svid(FOREIGN_ID).audience(env.audience()).mint(), STORED);

        assertRefused(answer, FOREIGN_ID);
    }

    @Test
    void savingAClientSpanningTrustDomainsIsRefusedNamingTheAttributeAndNothingIsStored() {
        HttpResponse<String> created = env.admin().send("POST", "/" + REALM + "/clients",
                clientRep("td-mixed-new", LOCAL_ID + "##spiffe://other.org/ns/td/*"));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains("svid.spiffe.id").contains("2 trust domains [example.org, other.org]");
        assertThat(env.admin().get("/" + REALM + "/clients?clientId=td-mixed-new")).isEmpty();
    }

    @Test
    void aClientIdOfAnotherTrustDomainThanItsSpiffeIdsIsRefusedAtSave() {
        HttpResponse<String> created = env.admin().send("POST", "/" + REALM + "/clients",
                clientRep(FOREIGN_ID, LOCAL_ID));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains("svid.spiffe.id").contains("trust domains");
    }

    @Test
    void updatingAClientToSpanTrustDomainsIsRefusedAndTheOldValueKept() {
        env.createSvidClient("td-single", LOCAL_ID.replace("mixed", "single"),
                Map.of("svid.jwks.uri", env.spire().jwksUrl().toString()), true);
        JsonNode client = env.admin().client(REALM, "td-single");
        Map<String, Object> rep = clientRep("td-single", LOCAL_ID.replace("mixed", "single") + "##" + FOREIGN_ID);
        rep.put("id", client.path("id").asText());

        HttpResponse<String> updated = env.admin().send("PUT", "/" + REALM + "/clients/" + client.path("id").asText(), rep);

        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(400);
        assertThat(updated.body()).contains("svid.spiffe.id");
        assertThat(env.admin().client(REALM, "td-single").path("attributes").path("svid.spiffe.id").asText())
                .isEqualTo(LOCAL_ID.replace("mixed", "single"));
    }

    private void assertRefused(FormPost.Answer answer, String sub) {
        Rejections.assertTerse(answer, "trust_domain_mismatch");
        JsonNode event = env.lastLoginError();
        assertThat(Rejections.detail(event)).contains("client '" + STORED + "' cannot verify SVIDs")
                .contains("2 trust domains [example.org, other.org]");
        assertThat(event.path("details").path("reason").asText()).isEqualTo("trust_domain_mismatch");
        assertThat(event.path("details").path("client_assertion_sub").asText()).isEqualTo(sub);
    }

    private Map<String, Object> clientRep(String clientId, String spiffeIds) {
        return SvidRealm.svidClient(clientId, Map.of("svid.spiffe.id", spiffeIds, "svid.jwks.uri", env.spire().jwksUrl().toString()));
    }
}
