package dev.svidauth.it.oauth;

import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.FormPost;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static dev.svidauth.it.support.SvidRealm.AGENT;
import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SVID claims into tokens through the shipped realm-export's oidc-svid-claim-mapper mappers:
 * client_type=ai-agent becomes is_agent=true, in the access token and in token introspection;
 * other workloads get is_agent=false; a client-secret client gets no SVID claims at all.
 */
@ExtendWith(SvidEnvironment.class)
class SvidClaimsIT {

    private final SvidRealm env;

    SvidClaimsIT(SvidRealm env) {
        this.env = env;
    }

    private FormPost.Answer agentToken(String clientType) {
        String svid = env.spire().svid(AGENT).audience(env.audience()).claim("client_type", clientType).mint();
        FormPost.Answer answer = env.token(JWT_SPIFFE, svid, null);
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        return answer;
    }

    private URI introspectionEndpoint() {
        return URI.create(env.audience() + "/protocol/openid-connect/token/introspect");
    }

    /** Introspects as the resource server the token is for (its audience), as an API would. */
    private JsonNode introspect(String accessToken) {
        FormPost.Answer answer = env.post(introspectionEndpoint(), Map.of("token", accessToken),
                "workload-api:" + SvidRealm.WORKLOAD_API_SECRET);
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        return answer.json;
    }

    @Test
    void aiAgentSvidYieldsIsAgentTrueAndSpiffeIdInAccessTokenAndIntrospection() {
        FormPost.Answer answer = agentToken("ai-agent");

        JsonNode token = answer.accessToken();
        assertThat(token.path("is_agent").isBoolean()).isTrue();
        assertThat(token.path("is_agent").asBoolean()).isTrue();
        assertThat(token.path("client_type").asText()).isEqualTo("ai-agent");
        assertThat(token.path("spiffe_id").asText()).isEqualTo(AGENT);

        JsonNode introspection = introspect(answer.json.path("access_token").asText());
        assertThat(introspection.path("active").asBoolean()).as(introspection.toString()).isTrue();
        assertThat(introspection.path("is_agent").asBoolean()).as(introspection.toString()).isTrue();
        assertThat(introspection.path("spiffe_id").asText()).isEqualTo(AGENT);
        assertThat(introspection.path("client_id").asText()).isEqualTo("ai-agents");
    }

    @Test
    void otherClientTypeYieldsIsAgentFalse() {
        JsonNode token = agentToken("batch-job").accessToken();

        assertThat(token.path("is_agent").isBoolean()).isTrue();
        assertThat(token.path("is_agent").asBoolean()).isFalse();
        assertThat(token.path("client_type").asText()).isEqualTo("batch-job");
    }

    @Test
    void arrayAndNumberClaimsKeepTheirJsonShape() {
        String svid = env.spire().svid(AGENT).audience(env.audience())
                .claim("client_type", List.of("ai-agent", "planner")).mint();
        FormPost.Answer answer = env.token(JWT_SPIFFE, svid, null);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        JsonNode token = answer.accessToken();
        assertThat(token.path("client_type").isArray()).isTrue();
        assertThat(token.path("client_type")).hasSize(2);
        assertThat(token.path("is_agent").asBoolean()).as("match against any array element").isTrue();
    }

    @Test
    void clientSecretClientGetsNoSvidClaimsEvenWithTheMapper() {
        FormPost.Answer answer = env.post(env.tokenEndpoint(), Map.of("grant_type", "client_credentials"),
                "legacy-service:" + SvidRealm.LEGACY_SECRET);

        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        JsonNode token = answer.accessToken();
        assertThat(token.has("spiffe_id")).isFalse();
        assertThat(token.has("trust_domain")).isFalse();
        JsonNode introspection = introspect(answer.json.path("access_token").asText());
        assertThat(introspection.path("active").asBoolean()).as(introspection.toString()).isTrue();
        assertThat(introspection.has("spiffe_id")).isFalse();
    }
}
