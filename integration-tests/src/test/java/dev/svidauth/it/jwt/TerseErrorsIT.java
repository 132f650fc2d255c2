package dev.svidauth.it.jwt;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.SpireEmulator.Endpoint;
import dev.svidauth.testkit.FormPost;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.it.support.SvidRealm.REALM;
import static dev.svidauth.it.support.SvidRealm.REPORTING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Terse answers on the real server: an unauthenticated caller is
 * told which check failed and its reason code, never a key-source URL, an address, exception
 * text, fetched content or another client's ID; the detail is in the CLIENT_LOGIN_ERROR event
 * ({@code reason_detail}), the server log and the admin's diagnose endpoint. Every
 * attacker-supplied value reaching those sinks (an unsigned {@code iss} of about 12 KB, a
 * {@code kid} with a newline and a NUL, what a key source answered) is escaped and cut.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TerseErrorsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final String UNREACHABLE_ID = "spiffe://unreachable-keys.test/ns/terse/sa/unreachable";
    private static final String UNREACHABLE_CLIENT = "terse-unreachable";
    /** Nothing listens on port 1: connecting is refused at once. */
    private static final String UNREACHABLE_KEYS = "http://127.0.0.1:1/keys";
    /** A kid with a newline and a NUL, as a JSON string value (escaped for the header's JSON). */
    private static final String HOSTILE_KID_JSON = "k\\nINJECTED-BY-KID\\u0000x";
    /** The same kid as {@code Printable} writes it. */
    private static final String HOSTILE_KID_ESCAPED = "k\\nINJECTED-BY-KID\\u0000x";
    /** Longest value written on its own (an event detail, a log argument), cut marker included. */
    private static final int MAX_VALUE_CHARS = 255;

    private final SvidRealm env;
    private ECKey attackerKey;

    TerseErrorsIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() throws Exception {
        env.createSvidClient(UNREACHABLE_CLIENT, UNREACHABLE_ID, Map.of("svid.jwks.uri", UNREACHABLE_KEYS), true);
        attackerKey = new ECKeyGenerator(Curve.P_256).generate();
    }

    /** A forged SVID (signed by a key nobody publishes) with the hostile kid, of about the size SVIDs may have. */
    private String forged(String sub, String iss) {
        String header = "{\"alg\":\"ES256\",\"kid\":\"" + HOSTILE_KID_JSON + "\",\"typ\":\"JWT\"}";
        return Forge.sign(attackerKey, "ES256", header, Forge.claims(sub, env.audience(), iss));
    }

    /** An unsigned issuer as long as a 16 KiB SVID allows, ending with a line to inject. */
    private static String hugeIssuer() {
        return "https://evil.example/" + "A".repeat(11_800) + "\nINJECTED-BY-ISS";
    }

    @Test
    void aForgedSvidForAnUnreachableKeySourceLearnsTheCheckNotTheAddress() {
        String iss = hugeIssuer();
        String svid = forged(UNREACHABLE_ID, iss.replace("\n", "\\n"));
        assertThat(svid.length()).as("within the SVID size limit").isLessThanOrEqualTo(16 * 1024);
        int mark = env.logMark();

        FormPost.Answer answer = env.token(svid);

        Rejections.assertTerse(answer, "key_source_unavailable");
        assertThat(answer.description()).doesNotContain("127.0.0.1").doesNotContain(":1").doesNotContain("/keys")
                .doesNotContain("Exception").doesNotContain("refused").doesNotContain("evil.example").doesNotContain("INJECTED");

        JsonNode details = env.lastLoginError().path("details");
        assertThat(details.path("reason").asText()).isEqualTo("key_source_unavailable");
        // the administrator keeps the detail, sanitized
        assertThat(Rejections.detail(env.lastLoginError())).contains(UNREACHABLE_KEYS).hasSizeLessThanOrEqualTo(1024)
                .doesNotContain("\n").doesNotContain("\u0000");
        // the unsigned issuer: one bounded value, its newline escaped
        String issuer = details.path("client_assertion_issuer").asText();
        assertThat(issuer).startsWith("https://evil.example/AAAA").endsWith("...").hasSize(MAX_VALUE_CHARS).doesNotContain("\n");
        assertThat(details.path("svid_kid").asText()).isEqualTo(HOSTILE_KID_ESCAPED);

        // the server log: the rejection's DEBUG line carries the SVID's values escaped and cut
        List<String> lines = env.logLines(mark, "rejected (key_source_unavailable)", UNREACHABLE_KEYS);
        assertThat(lines).as("DEBUG line of the rejection").hasSize(1);
        assertThat(lines.get(0)).contains("svid_kid=" + HOSTILE_KID_ESCAPED).contains("client_assertion_issuer=https://evil.example/AAAA")
                .hasSizeLessThan(3 * 1024);
        String written = env.logSince(mark);
        assertThat(written).doesNotContain("A".repeat(1000)).doesNotContain("\u0000");
        assertThat(Arrays.stream(written.split("\\R")).filter(l -> l.startsWith("INJECTED")))
                .as("lines injected by the SVID").isEmpty();
    }

    @Test
    void aKidWithControlCharactersIsEscapedInTheEventAndTheDiagnoseReport() throws IOException {
        String svid = forged(PAYMENTS, env.spire().issuer());

        FormPost.Answer answer = env.token(svid);

        Rejections.assertTerse(answer, "unknown_kid");
        assertThat(answer.description()).doesNotContain("INJECTED");
        JsonNode event = env.lastLoginError();
        assertThat(event.path("details").path("reason").asText()).isEqualTo("unknown_kid");
        assertThat(Rejections.detail(event)).contains("'" + HOSTILE_KID_ESCAPED + "' is not published at");

        JsonNode report = diagnose(svid);
        assertThat(report.path("reason").asText()).isEqualTo("unknown_kid");
        assertThat(report.path("description").asText()).contains("'" + HOSTILE_KID_ESCAPED + "' is not published at")
                .doesNotContain("\n").doesNotContain("\u0000");
        JsonNode steps = report.path("steps");
        JsonNode failed = steps.get(steps.size() - 1);
        assertThat(failed.path("ok").asBoolean()).isFalse();
        assertThat(failed.path("detail").asText()).contains(HOSTILE_KID_ESCAPED).doesNotContain("\n");
    }

    /** What a key source answers (here a discovery document's issuer with a line break) is escaped in the WARN line and the event. */
    @Test
    void keySourceTextWithALineBreakIsEscapedInTheLogAndTheEvent() {
        try (OwnKeySource src = OwnKeySource.start(env, "terse-discovery", b -> b.issuer(SpireEmulator.SELF),
                s -> Map.of("svid.issuer", s.issuer()))) {
            src.spire.serveRaw("{\"issuer\":\"https://evil.example/\\nINJECTED-BY-KEY-SOURCE\",\"jwks_uri\":\""
                    + src.spire.jwksUrl() + "\"}", "application/json", Endpoint.DISCOVERY);
            int mark = env.logMark();

            FormPost.Answer answer = src.token(src.validSvid());

            Rejections.assertTerse(answer, "key_source_unavailable");
            assertThat(answer.description()).doesNotContain("INJECTED").doesNotContain("evil.example");
            assertThat(Rejections.detail(env.lastLoginError())).contains("https://evil.example/\\nINJECTED-BY-KEY-SOURCE");
            assertThat(env.logLines(mark, "WARN", "https://evil.example/\\nINJECTED-BY-KEY-SOURCE")).as("the WARN line, escaped").isNotEmpty();
            assertThat(Arrays.stream(env.logSince(mark).split("\\R")).filter(l -> l.startsWith("INJECTED")))
                    .as("lines injected by the key source").isEmpty();
        }
    }

    /** A workload whose SPIFFE ID two clients accept is not told who the other client is. */
    @Test
    void anAmbiguousSpiffeIdNamesNoClientToTheCaller() {
        FormPost.Answer answer = env.token(env.svid(REPORTING));

        Rejections.assertTerse(answer, "ambiguous_client");
        assertThat(answer.description()).contains("send client_id").doesNotContain("reporting-eu").doesNotContain("reporting-us");
        JsonNode event = env.lastLoginError();
        assertThat(event.path("details").path("reason").asText()).isEqualTo("ambiguous_client");
        assertThat(Rejections.detail(event)).contains("reporting-eu").contains("reporting-us");
    }

    /** A client_id the caller made up is not echoed back. */
    @Test
    void aMadeUpClientIdIsNotEchoed() {
        FormPost.Answer answer = env.token(JWT_SPIFFE, env.svid(PAYMENTS), "made-up-client\nINJECTED");

        Rejections.assertTerse(answer, "unknown_client");
        assertThat(answer.description()).doesNotContain("made-up-client");
        assertThat(Rejections.detail(env.lastLoginError())).contains("'made-up-client\\nINJECTED'");
    }

    @Test
    void serverInfoShowsThatCallersGetTerseAnswers() {
        JsonNode provider = env.serverInfo().path("providers").path("client-authenticator").path("providers").path("client-svid-jwt");

        assertThat(provider.path("operationalInfo").path("detailed-errors").asText()).isEqualTo("false");
    }

    // ------------------------------------------------------------------------------ helpers




    private JsonNode diagnose(String assertion) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(env.keycloak().baseUrl() + "/admin/realms/" + REALM + "/svid-auth/diagnose"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + env.admin().accessToken())
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("assertion", assertion)), StandardCharsets.UTF_8))
                .build();
        try {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
