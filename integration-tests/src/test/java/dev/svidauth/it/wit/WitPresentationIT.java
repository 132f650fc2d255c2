package dev.svidauth.it.wit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.WitSvid;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a WIT-SVID is presented, on the real server, as docs/conformance.md states it: exactly one
 * attestation header and one PoP header (draft-ietf-oauth-attestation-based-client-auth,
 * "Verification and Processing"); a {@code client_id} that names a client accepting the WIT's
 * SPIFFE ID, which need not be that SPIFFE ID (a documented deviation from the draft's
 * {@code client_id} = {@code sub}); claims a validator does not know, and a {@code challenge}
 * while none is offered, ignored; neither {@code attest_jwt_client_auth} nor a challenge endpoint
 * in discovery (documented deviations).
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WitPresentationIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String CLIENT = "wit-presentation";
    private static final String SPIFFE_ID = "spiffe://wit-presentation.test/ns/apps/sa/orders";
    private static final String OTHER_CLIENT = "wit-presentation-other";
    private static final String OTHER_ID = "spiffe://wit-presentation.test/ns/apps/sa/other";

    private final SvidRealm env;
    private SpireEmulator spire;

    WitPresentationIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void start() {
        spire = SpireEmulator.builder().trustDomain("wit-presentation.test").witSvids(true).x509Authority(true).start();
        create(CLIENT, SPIFFE_ID);
        create(OTHER_CLIENT, OTHER_ID);
    }

    @AfterAll
    void stop() {
        if (spire != null) {
            spire.close();
        }
    }

    private void create(String clientId, String spiffeId) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("svid.spiffe.id", spiffeId);
        attributes.put("svid.bundle.uri", env.forKeycloak(spire.bundleUrl()));
        Map<String, Object> rep = SvidRealm.svidClient(clientId, attributes);
        rep.put("clientAuthenticatorType", "client-svid-wit");
        for (JsonNode c : env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(clientId))) {
            env.admin().delete("/" + SvidRealm.REALM + "/clients/" + c.path("id").asText());
        }
        env.admin().post("/" + SvidRealm.REALM + "/clients", rep);
    }

    /** client_credentials with each header as often as listed (name, value pairs) and the form's extra fields. */
    private FormPost.Answer post(List<String[]> headers, Map<String, String> extraForm) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.putAll(extraForm);
        HttpRequest.Builder request = HttpRequest.newBuilder(env.tokenEndpoint()).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(form)));
        headers.forEach(h -> request.header(h[0], h[1]));
        try {
            HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new FormPost.Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private FormPost.Answer present(String wit, String pop, Map<String, String> extraForm) {
        List<String[]> headers = new ArrayList<>();
        headers.add(new String[]{"OAuth-Client-Attestation", wit});
        headers.add(new String[]{"OAuth-Client-Attestation-PoP", pop});
        return post(headers, extraForm);
    }

    private void assertRejected(FormPost.Answer answer, String reason, String detail) {
        Rejections.assertTerse(answer, reason);
        List<JsonNode> errors = env.keycloak().admin().events(SvidRealm.REALM, "CLIENT_LOGIN_ERROR");
        assertThat(errors).as("CLIENT_LOGIN_ERROR events").hasSize(1);
        assertThat(errors.get(0).path("details").path("reason").asText()).as(errors.get(0).toString()).isEqualTo(reason);
        assertThat(Rejections.detail(errors.get(0))).as(errors.get(0).toString()).contains(detail);
    }

    private void clearEvents() {
        env.keycloak().admin().delete("/" + SvidRealm.REALM + "/events");
    }

    @Test
    void twoAttestationHeadersAreRefused() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        WitSvid other = spire.mintWitSvid(SPIFFE_ID);
        clearEvents();
        FormPost.Answer answer = post(List.of(new String[]{"OAuth-Client-Attestation", wit.token()},
                new String[]{"OAuth-Client-Attestation", other.token()},
                new String[]{"OAuth-Client-Attestation-PoP", wit.pop(env.audience())}), Map.of());
        assertRejected(answer, "malformed", "2 OAuth-Client-Attestation headers; exactly one is accepted");
    }

    @Test
    void twoPopHeadersAreRefused() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        clearEvents();
        FormPost.Answer answer = post(List.of(new String[]{"OAuth-Client-Attestation", wit.token()},
                new String[]{"OAuth-Client-Attestation-PoP", wit.pop(env.audience())},
                new String[]{"OAuth-Client-Attestation-PoP", wit.pop(env.audience())}), Map.of());
        assertRejected(answer, "bad_pop", "2 OAuth-Client-Attestation-PoP headers; exactly one is accepted");
    }

    @Test
    void aClientIdThatIsNotTheSpiffeIdNamesTheClientAcceptingIt() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        FormPost.Answer answer = present(wit.token(), wit.pop(env.audience()), Map.of("client_id", CLIENT));
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(CLIENT);
    }

    @Test
    void aClientIdOfAClientNotAcceptingTheSpiffeIdIsRefused() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        clearEvents();
        assertRejected(present(wit.token(), wit.pop(env.audience()), Map.of("client_id", OTHER_CLIENT)), "spiffe_id_mismatch",
                "is not accepted by client '" + OTHER_CLIENT + "'");
    }

    @Test
    void unknownClaimsAndAChallengeAreIgnored() throws IOException {
        WitSvid genuine = spire.mintWitSvid(SPIFFE_ID);
        String[] parts = genuine.token().split("\\.");
        ObjectNode claims = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
        claims.put("workload_kind", "batch");
        String wit = Forge.sign(spire.witSigningKey(), "ES256", new String(Base64.getUrlDecoder().decode(parts[0])), claims.toString());
        String pop = genuine.pop(env.audience(), Map.of("challenge", "never-offered"));

        FormPost.Answer answer = present(wit, pop, Map.of());
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
    }

    @Test
    void discoveryAdvertisesSpiffeWitButNeitherAttestJwtClientAuthNorAChallengeEndpoint() {
        JsonNode discovery = env.getJson(URI.create(env.audience() + "/.well-known/openid-configuration"));
        for (String list : List.of("token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported",
                "revocation_endpoint_auth_methods_supported")) {
            List<String> methods = new ArrayList<>();
            discovery.path(list).forEach(n -> methods.add(n.asText()));
            assertThat(methods).as(list).contains("spiffe_wit").doesNotContain("attest_jwt_client_auth", "attest_jwt_client_auth_dpop");
        }
        assertThat(discovery.has("challenge_endpoint")).isFalse();
        assertThat(discovery.has("client_attestation_signing_alg_values_supported")).isFalse();
        assertThat(discovery.has("client_attestation_pop_signing_alg_values_supported")).isFalse();
    }

    /**
     * The attestation draft's refresh-token binding has nothing to bind here yet: a WIT-SVID client's
     * client_credentials answer carries no refresh token (Keycloak's default for the grant).
     */
    @Test
    void aWitClientGetsNoRefreshTokenForClientCredentials() {
        WitSvid wit = spire.mintWitSvid(SPIFFE_ID);
        FormPost.Answer answer = present(wit.token(), wit.pop(env.audience()), Map.of());
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.has("access_token")).isTrue();
        assertThat(answer.json.has("refresh_token")).as(answer.toString()).isFalse();
    }
}
