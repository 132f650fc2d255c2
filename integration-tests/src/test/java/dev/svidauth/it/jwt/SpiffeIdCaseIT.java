package dev.svidauth.it.jwt;

import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.spire.X509Svid;
import dev.svidauth.testkit.FormPost.Answer;
import dev.svidauth.testkit.KeycloakAdmin;
import dev.svidauth.testkit.LocalMariaDb;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SPIFFE ID paths are case-sensitive: {@code …/sa/Inventory} and {@code …/sa/inventory} are two
 * workloads. Keycloak finds a client by clientId with the database's comparison, which on MariaDB
 * with Debian's collation ({@code utf8mb4_general_ci}) ignores case, so an SVID for
 * {@code …/Inventory} used to get a token for the client {@code …/inventory} (the "client ID
 * equals the SPIFFE ID" rule took whatever the lookup returned). Every lookup now keeps only the
 * client whose clientId is byte-equal to what was asked for: a case variant is
 * {@code unknown_client}, or the client that really accepts it.
 *
 * <p>On Keycloak's dev-file H2 (case-sensitive) these pass whether or not the comparison is exact;
 * the default {@code ./mvnw verify} runs them a second time on MariaDB (execution
 * {@code mariadb}), where they fail without it.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpiffeIdCaseIT {

    /** A client named by its SPIFFE ID, and the SPIFFE ID of another workload that differs in case only. */
    private static final String NAMED = "spiffe://example.org/ns/case/sa/inventory";
    private static final String NAMED_VARIANT = "spiffe://example.org/ns/case/sa/Inventory";
    /** Another client named by its SPIFFE ID, whose case variant a second client accepts through svid.spiffe.id. */
    private static final String BILLING = "spiffe://example.org/ns/case/sa/billing";
    private static final String BILLING_VARIANT = "spiffe://example.org/ns/case/sa/Billing";
    private static final String BILLING_VARIANT_CLIENT = "case-billing-upper";
    /** An X.509-SVID client named by its SPIFFE ID. */
    private static final String X509_NAMED = "spiffe://example.org/ns/case/sa/warehouse";
    private static final String X509_VARIANT = "spiffe://example.org/ns/case/sa/Warehouse";

    private final SvidRealm env;

    SpiffeIdCaseIT(SvidRealm env) {
        this.env = env;
    }

    /** The clients take their keys from the realm's trust-domain entry for example.org. */
    @BeforeAll
    void createClients() {
        createIfAbsent(SvidRealm.svidClient(NAMED, Map.of()));
        createIfAbsent(SvidRealm.svidClient(BILLING, Map.of()));
        createIfAbsent(SvidRealm.svidClient(BILLING_VARIANT_CLIENT, Map.of("svid.spiffe.id", BILLING_VARIANT)));
        Map<String, Object> x509 = SvidRealm.svidClient(X509_NAMED, Map.of());
        x509.put("clientAuthenticatorType", "client-svid-x509");
        createIfAbsent(x509);
    }

    private void createIfAbsent(Map<String, Object> rep) {
        String clientId = (String) rep.get("clientId");
        for (JsonNode c : env.admin().get("/" + REALM + "/clients?clientId=" + KeycloakAdmin.encode(clientId))) {
            if (c.path("clientId").asText().equals(clientId)) {
                return;
            }
        }
        env.admin().post("/" + REALM + "/clients", rep);
    }

    /** Where the run is on MariaDB, its database must ignore case, or these tests would prove nothing there. */
    @Test
    void onMariaDbTheDatabaseComparesCaseInsensitively() {
        assumeTrue(env.database() instanceof LocalMariaDb, "not running on MariaDB");
        LocalMariaDb db = (LocalMariaDb) env.database();

        assertThat(db.caseInsensitive()).as(db.describe()).isTrue();
    }

    @Test
    void theClientNamedByItsSpiffeIdGetsItsToken() {
        Answer answer = env.token(env.svid(NAMED));

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(NAMED);
    }

    /** The finding: a genuine SVID of another workload, whose ID differs in case only, got the named client's token. */
    @Test
    void anSvidWhoseSpiffeIdDiffersInCaseOnlyIsNotTheNamedClient() {
        Answer answer = env.token(env.svid(NAMED_VARIANT));

        assertRejected(answer, "unknown_client");
        assertThat(env.lastLoginError().path("details").path("client_assertion_sub").asText()).isEqualTo(NAMED_VARIANT);
    }

    @Test
    void theCaseVariantGoesToTheClientThatAcceptsItExactly() {
        Answer variant = env.token(env.svid(BILLING_VARIANT));
        Answer named = env.token(env.svid(BILLING));

        assertThat(variant.status).as(variant.toString()).isEqualTo(200);
        assertThat(variant.accessToken().path("azp").asText()).isEqualTo(BILLING_VARIANT_CLIENT);
        assertThat(named.status).as(named.toString()).isEqualTo(200);
        assertThat(named.accessToken().path("azp").asText()).isEqualTo(BILLING);
    }

    @Test
    void aClientIdDifferingInCaseNamesNoClient() {
        assertRejected(env.token(JWT_SPIFFE, env.svid(NAMED), NAMED_VARIANT), "unknown_client");
        assertRejected(env.token(JWT_SPIFFE, env.svid(PAYMENTS), "PAYMENTS-API"), "unknown_client");
        // the exact client_id still works
        Answer exact = env.token(JWT_SPIFFE, env.svid(PAYMENTS), "payments-api");
        assertThat(exact.status).as(exact.toString()).isEqualTo(200);
    }

    @Test
    void anX509SvidWhoseSpiffeIdDiffersInCaseOnlyIsNotTheNamedClient() {
        Answer genuine = env.x509Token(env.spire().mintX509Svid(X509_NAMED), null);
        assertThat(genuine.status).as(genuine.toString()).isEqualTo(200);
        assertThat(genuine.accessToken().path("azp").asText()).isEqualTo(X509_NAMED);

        X509Svid variant = env.spire().mintX509Svid(X509_VARIANT);
        assertRejected(env.x509Token(variant, null), "unknown_client");
        assertThat(env.lastLoginError().path("details").path("svid_spiffe_id").asText()).isEqualTo(X509_VARIANT);
        assertRejected(env.x509Token(env.spire().mintX509Svid(X509_NAMED), X509_VARIANT), "unknown_client");
    }

    /** The diagnostics endpoint gives the token endpoint's verdict and lists no case variant as a candidate. */
    @Test
    void diagnoseNeitherAcceptsNorListsTheCaseVariant() throws IOException {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("assertion", env.svid(NAMED_VARIANT));
        HttpResponse<String> r = env.admin().send("POST", "/" + REALM + "/svid-auth/diagnose", body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode report = KeycloakAdmin.json().readTree(r.body());
        assertThat(report.path("accepted").asBoolean()).as(r.body()).isFalse();
        assertThat(report.path("reason").asText()).isEqualTo("unknown_client");
        assertThat(report.path("candidates").toString()).doesNotContain(NAMED);
    }

    private void assertRejected(Answer answer, String reason) {
        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        assertThat(answer.error()).isEqualTo("invalid_client");
        assertThat(answer.json.has("access_token")).isFalse();
        JsonNode event = env.lastLoginError();
        assertThat(event).as("CLIENT_LOGIN_ERROR event").isNotNull();
        assertThat(event.path("details").path("reason").asText()).as(event.toString()).isEqualTo(reason);
    }
}
