package dev.svidauth.mapper;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.protocol.oidc.mappers.OIDCIDTokenMapper;
import org.keycloak.protocol.oidc.mappers.TokenIntrospectionTokenMapper;
import org.keycloak.protocol.oidc.mappers.UserInfoTokenMapper;
import org.keycloak.representations.AccessToken;
import org.keycloak.services.util.DPoPUtil;
import org.keycloak.util.JsonSerialization;

/**
 * The WIT-SVID key binding with Keycloak's real token class: {@code cnf.jkt} from the hand-over of
 * the token's own client only, a DPoP proof or an existing {@code jkt} wins, other confirmation
 * members are kept, and the mapper is registered as an access-token mapper only.
 */
class WitKeyBindingMapperTest {

    private static final String THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    /** The attribute name the authenticator publishes under (WitKeyBinding), for the client's internal id. */
    private static final String HANDED_OVER = "svid-auth.wit-key-thumbprint.";

    private final WitKeyBindingMapper mapper = new WitKeyBindingMapper();

    @Test
    void aThumbprintBindsTheToken() throws IOException {
        AccessToken token = WitKeyBindingMapper.bind(new AccessToken(), THUMBPRINT, false);

        JsonNode json = serialized(token);
        assertThat(json.path("cnf").path("jkt").asText()).isEqualTo(THUMBPRINT);
        assertThat(json.path("cnf").size()).isEqualTo(1);
    }

    @Test
    void noThumbprintLeavesTheTokenUnbound() throws IOException {
        assertThat(serialized(WitKeyBindingMapper.bind(new AccessToken(), null, false)).has("cnf")).isFalse();
    }

    @Test
    void aDpopProofOfTheRequestWins() throws IOException {
        assertThat(serialized(WitKeyBindingMapper.bind(new AccessToken(), THUMBPRINT, true)).has("cnf")).isFalse();
    }

    @Test
    void anExistingKeyThumbprintIsNeverReplaced() {
        AccessToken token = new AccessToken();
        AccessToken.Confirmation confirmation = new AccessToken.Confirmation();
        confirmation.setKeyThumbprint("dpop-key");
        token.setConfirmation(confirmation);

        assertThat(WitKeyBindingMapper.bind(token, THUMBPRINT, false).getConfirmation().getKeyThumbprint()).isEqualTo("dpop-key");
    }

    @Test
    void aCertificateBindingIsKept() {
        AccessToken token = new AccessToken();
        AccessToken.Confirmation confirmation = new AccessToken.Confirmation();
        confirmation.setCertThumbprint("cert");
        token.setConfirmation(confirmation);

        AccessToken.Confirmation bound = WitKeyBindingMapper.bind(token, THUMBPRINT, false).getConfirmation();
        assertThat(bound.getCertThumbprint()).isEqualTo("cert");
        assertThat(bound.getKeyThumbprint()).isEqualTo(THUMBPRINT);
    }

    @Test
    void transformAccessTokenReadsTheHandOverOfTheTokensOwnClient() {
        Map<String, Object> attributes = new HashMap<>();
        attributes.put(HANDED_OVER + "uuid-workload", THUMBPRINT);
        KeycloakSession session = session(attributes);
        ProtocolMapperModel model = new ProtocolMapperModel();

        AccessToken own = mapper.transformAccessToken(new AccessToken(), model, session, null, context("uuid-workload"));
        AccessToken other = mapper.transformAccessToken(new AccessToken(), model, session, null, context("uuid-web-app"));

        assertThat(own.getConfirmation().getKeyThumbprint()).isEqualTo(THUMBPRINT);
        assertThat(other.getConfirmation()).isNull();
    }

    @Test
    void transformAccessTokenLeavesTheBindingToAValidatedDpopProof() {
        Map<String, Object> attributes = new HashMap<>();
        attributes.put(HANDED_OVER + "uuid-workload", THUMBPRINT);
        attributes.put(DPoPUtil.DPOP_SESSION_ATTRIBUTE, new Object());

        AccessToken token = mapper.transformAccessToken(new AccessToken(), new ProtocolMapperModel(), session(attributes), null,
                context("uuid-workload"));

        assertThat(token.getConfirmation()).isNull();
    }

    @Test
    void anAccessTokenMapperOnlyWithoutSettings() throws IOException {
        assertThat(mapper).isInstanceOf(OIDCAccessTokenMapper.class);
        assertThat(mapper).isNotInstanceOf(OIDCIDTokenMapper.class).isNotInstanceOf(UserInfoTokenMapper.class)
                .isNotInstanceOf(TokenIntrospectionTokenMapper.class);
        assertThat(mapper.getId()).isEqualTo("oidc-svid-wit-key-binding");
        assertThat(mapper.getConfigProperties()).isEmpty();
        List<String> registered = new ArrayList<>();
        for (URL url : Collections.list(getClass().getClassLoader()
                .getResources("META-INF/services/org.keycloak.protocol.ProtocolMapper"))) {
            try (InputStream in = url.openStream()) {
                registered.addAll(List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\s+")));
            }
        }
        assertThat(registered).contains(WitKeyBindingMapper.class.getName());
    }

    private static JsonNode serialized(AccessToken token) throws IOException {
        return JsonSerialization.mapper.readTree(JsonSerialization.writeValueAsString(token));
    }

    private static KeycloakSession session(Map<String, Object> attributes) {
        return proxy(KeycloakSession.class, (name, args) -> {
            if ("getAttribute".equals(name)) {
                return attributes.get((String) args[0]);
            }
            throw new UnsupportedOperationException(name);
        });
    }

    private static ClientSessionContext context(String clientUuid) {
        ClientModel client = proxy(ClientModel.class, (name, args) -> {
            if ("getId".equals(name)) {
                return clientUuid;
            }
            throw new UnsupportedOperationException(name);
        });
        AuthenticatedClientSessionModel clientSession = proxy(AuthenticatedClientSessionModel.class, (name, args) -> {
            if ("getClient".equals(name)) {
                return client;
            }
            throw new UnsupportedOperationException(name);
        });
        return proxy(ClientSessionContext.class, (name, args) -> {
            if ("getClientSession".equals(name)) {
                return clientSession;
            }
            throw new UnsupportedOperationException(name);
        });
    }

    private interface Answer {
        Object answer(String method, Object[] args);
    }

    private static <T> T proxy(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(WitKeyBindingMapperTest.class.getClassLoader(), new Class<?>[] {type},
                (p, method, args) -> answer.answer(method.getName(), args)));
    }
}
