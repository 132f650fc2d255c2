package dev.svidauth.mapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.protocol.ProtocolMapper;
import org.keycloak.protocol.ProtocolMapperConfigException;
import org.keycloak.protocol.oidc.mappers.AbstractOIDCProtocolMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAttributeMapperHelper;
import org.keycloak.protocol.oidc.mappers.OIDCIDTokenMapper;
import org.keycloak.protocol.oidc.mappers.TokenIntrospectionTokenMapper;
import org.keycloak.protocol.oidc.mappers.UserInfoTokenMapper;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.representations.AccessToken;
import org.keycloak.util.JsonSerialization;

/**
 * The mapper with Keycloak's real token, model and claim-writing classes: what ends up in an
 * {@link AccessToken}, the configuration it offers and validates, its registration and labels.
 */
class SvidClaimMapperTest {

    private static final String SUB = "spiffe://example.org/ns/prod/sa/agent";
    private static final String CLAIMS = "{\"sub\":\"" + SUB + "\",\"client_type\":\"ai-agent\",\"tier\":3,"
            + "\"beta\":false,\"roles\":[\"reader\",\"writer\"],\"meta\":{\"team\":\"ml\",\"n\":1},"
            + "\"aud\":[\"https://a.example\",\"https://b.example\"],\"empty\":[]}";
    private static final Path MESSAGES =
            Path.of("..", "themes", "src", "main", "resources", "theme-resources", "messages", "messages_en.properties");

    private final SvidClaimMapper mapper = new SvidClaimMapper();

    private static Function<String, String> svidNotes() {
        Map<String, String> notes = new HashMap<>();
        notes.put(SvidSessionNotes.SUB, SUB);
        notes.put(SvidSessionNotes.TRUST_DOMAIN, "example.org");
        notes.put(SvidSessionNotes.PATH, "/ns/prod/sa/agent");
        notes.put(SvidSessionNotes.CLAIMS, CLAIMS);
        return notes::get;
    }

    private AccessToken map(ProtocolMapperModel model, Function<String, String> notes) {
        AccessToken token = new AccessToken();
        token.issuer("https://kc.example/realms/r");
        mapper.setClaim(token, model, notes);
        return token;
    }

    private static ProtocolMapperModel model(String source, String claimName, String jsonType, String match) {
        return SvidClaimMapper.create("m", source, claimName, jsonType, match, true, true);
    }

    private static JsonNode serialized(AccessToken token) throws IOException {
        return JsonSerialization.mapper.readTree(JsonSerialization.writeValueAsString(token));
    }

    @Test
    void matchValueGivesABoolean() throws IOException {
        AccessToken token = map(model("client_type", "is_agent", null, "ai-agent"), svidNotes());

        assertThat(token.getOtherClaims()).containsEntry("is_agent", Boolean.TRUE);
        assertThat(serialized(token).get("is_agent").isBoolean()).isTrue();
    }

    @Test
    void matchValueFalseWhenDifferentOrAbsent() {
        assertThat(map(model("client_type", "is_human", null, "human"), svidNotes()).getOtherClaims())
                .containsEntry("is_human", Boolean.FALSE);
        assertThat(map(model("no_such_claim", "has_it", null, "x"), svidNotes()).getOtherClaims())
                .containsEntry("has_it", Boolean.FALSE);
    }

    @Test
    void arrayClaimIsWrittenWholeNotCutToItsFirstElement() throws IOException {
        AccessToken token = map(model("roles", "svid_roles", null, null), svidNotes());

        assertThat(token.getOtherClaims().get("svid_roles")).isEqualTo(List.of("reader", "writer"));
        assertThat(serialized(token).get("svid_roles").toString()).isEqualTo("[\"reader\",\"writer\"]");
    }

    @Test
    void emptyArrayAddsNoClaimAsKeycloakDoesForEmptyMultivaluedValues() {
        AccessToken token = map(model("empty", "svid_empty", null, null), svidNotes());

        assertThat(token.getOtherClaims()).doesNotContainKey("svid_empty");
    }

    @Test
    void arrayIsMergedIntoAnArrayAnotherMapperWrote() {
        AccessToken token = new AccessToken();
        token.getOtherClaims().put("svid_roles", new ArrayList<>(List.of("admin")));

        mapper.setClaim(token, model("roles", "svid_roles", null, null), svidNotes());

        assertThat(token.getOtherClaims().get("svid_roles")).isEqualTo(List.of("admin", "reader", "writer"));
    }

    @Test
    void objectClaimIsWrittenAsAnObject() throws IOException {
        AccessToken token = map(model("meta", "svid_meta", "JSON", null), svidNotes());

        assertThat(token.getOtherClaims().get("svid_meta")).isEqualTo(Map.of("team", "ml", "n", 1L));
        assertThat(serialized(token).get("svid_meta").toString()).isEqualTo("{\"team\":\"ml\",\"n\":1}");
    }

    @Test
    void numbersAndBooleansKeepTheirTypeUnlessForced() throws IOException {
        AccessToken token = map(model("tier", "tier", null, null), svidNotes());
        mapper.setClaim(token, model("beta", "beta", null, null), svidNotes());
        mapper.setClaim(token, model("tier", "tier_text", "String", null), svidNotes());

        JsonNode json = serialized(token);
        assertThat(json.get("tier").isIntegralNumber()).isTrue();
        assertThat(json.get("beta").isBoolean()).isTrue();
        assertThat(json.get("beta").booleanValue()).isFalse();
        assertThat(json.get("tier_text").textValue()).isEqualTo("3");
    }

    @Test
    void syntheticSourcesAndNestedClaimNames() {
        AccessToken token = map(model("spiffe_id", "svid.spiffe_id", null, null), svidNotes());
        mapper.setClaim(token, model("trust_domain", "svid.trust_domain", null, null), svidNotes());
        mapper.setClaim(token, model("spiffe_path", "svid\\.path", null, null), svidNotes());

        assertThat(token.getOtherClaims().get("svid"))
                .isEqualTo(Map.of("spiffe_id", SUB, "trust_domain", "example.org"));
        assertThat(token.getOtherClaims()).containsEntry("svid.path", "/ns/prod/sa/agent");
    }

    @Test
    void tokenNotObtainedWithAnSvidIsLeftUntouched() {
        Map<String, String> notes = new HashMap<>();
        notes.put(SvidSessionNotes.CLAIMS, CLAIMS);
        notes.put("clientId", "some-client");

        AccessToken token = map(model("client_type", "client_type", null, null), notes::get);
        mapper.setClaim(token, model("client_type", "is_agent", null, "ai-agent"), notes::get);
        mapper.setClaim(token, model("spiffe_id", "spiffe_id", null, null), notes::get);

        assertThat(token.getOtherClaims()).isEmpty();
    }

    @Test
    void missingClaimIsAbsentNotNull() throws IOException {
        AccessToken token = map(model("no_such_claim", "x", null, null), svidNotes());

        assertThat(token.getOtherClaims()).doesNotContainKey("x");
        assertThat(serialized(token).has("x")).isFalse();
    }

    @Test
    void badClaimsJsonNeverThrowsAndAddsNothing() {
        Map<String, String> notes = new HashMap<>();
        notes.put(SvidSessionNotes.SUB, SUB);
        notes.put(SvidSessionNotes.CLAIMS, "{\"client_type\": [");

        AccessToken token = new AccessToken();
        assertThatCode(() -> mapper.setClaim(token, model("client_type", "client_type", null, "ai-agent"), notes::get))
                .doesNotThrowAnyException();
        assertThat(token.getOtherClaims()).isEmpty();
    }

    @Test
    void keycloakProtectedClaimsStayProtected() {
        AccessToken token = map(model("client_type", "iss", null, null), svidNotes());

        assertThat(token.getIssuer()).isEqualTo("https://kc.example/realms/r");
        assertThat(token.getOtherClaims()).isEmpty();
    }

    @Test
    void arrayIntoAudSetsEveryAudience() {
        AccessToken token = map(model("aud", "aud", null, null), svidNotes());

        assertThat(token.getAudience()).containsExactly("https://a.example", "https://b.example");
    }

    @Test
    void laterMapperOverwritesAScalarClaim() {
        AccessToken token = new AccessToken();
        token.getOtherClaims().put("client_type", "old");

        mapper.setClaim(token, model("client_type", "client_type", null, null), svidNotes());

        assertThat(token.getOtherClaims()).containsEntry("client_type", "ai-agent");
    }

    @Test
    void unrelatedMultivaluedConfigDoesNotChangeScalars() {
        ProtocolMapperModel model = model("client_type", "client_type", null, null);
        model.getConfig().put("multivalued", "true");

        AccessToken token = map(model, svidNotes());

        assertThat(token.getOtherClaims()).containsEntry("client_type", "ai-agent");
        assertThat(model.getConfig()).containsEntry("multivalued", "true");
    }

    @Test
    void validateConfigRejectsAnEmptySource() {
        for (String source : new String[] {null, "", "   "}) {
            ProtocolMapperModel model = model(source, "is_agent", null, null);
            assertThatThrownBy(() -> mapper.validateConfig(null, null, null, model))
                    .isInstanceOf(ProtocolMapperConfigException.class)
                    .hasMessageContaining("svid.claim")
                    .extracting(e -> ((ProtocolMapperConfigException) e).getMessageKey())
                    .isEqualTo(SvidClaimMapper.ERROR_SOURCE_REQUIRED);
        }
    }

    @Test
    void validateConfigRejectsAnEmptyClaimName() {
        for (String claimName : new String[] {null, "", " "}) {
            ProtocolMapperModel model = model("client_type", claimName, null, null);
            assertThatThrownBy(() -> mapper.validateConfig(null, null, null, model))
                    .isInstanceOf(ProtocolMapperConfigException.class)
                    .hasMessageContaining("claim.name")
                    .extracting(e -> ((ProtocolMapperConfigException) e).getMessageKey())
                    .isEqualTo(SvidClaimMapper.ERROR_CLAIM_NAME_REQUIRED);
        }
    }

    @Test
    void validateConfigRejectsAMissingConfig() {
        ProtocolMapperModel model = new ProtocolMapperModel();
        model.setConfig(null);

        assertThatThrownBy(() -> mapper.validateConfig(null, null, null, model))
                .isInstanceOf(ProtocolMapperConfigException.class);
    }

    @Test
    void validateConfigAcceptsAValidMapper() {
        assertThatCode(() -> mapper.validateConfig(null, null, null, model("client_type", "is_agent", null, "ai-agent")))
                .doesNotThrowAnyException();
        assertThatCode(() -> mapper.validateConfig(null, null, null, model("spiffe_id", "spiffe_id", "String", null)))
                .doesNotThrowAnyException();
    }

    @Test
    void identity() {
        assertThat(mapper.getId()).isEqualTo("oidc-svid-claim-mapper");
        assertThat(mapper.getDisplayType()).isEqualTo("SVID claim");
        assertThat(mapper.getDisplayCategory()).isEqualTo(AbstractOIDCProtocolMapper.TOKEN_MAPPER_CATEGORY);
        assertThat(mapper.getProtocol()).isEqualTo("openid-connect");
        assertThat(mapper.getHelpText()).isNotBlank();
        assertThat(mapper).isInstanceOf(OIDCAccessTokenMapper.class).isInstanceOf(OIDCIDTokenMapper.class)
                .isInstanceOf(UserInfoTokenMapper.class).isInstanceOf(TokenIntrospectionTokenMapper.class);
    }

    @Test
    void configProperties() {
        Map<String, ProviderConfigProperty> byName = mapper.getConfigProperties().stream()
                .collect(Collectors.toMap(ProviderConfigProperty::getName, p -> p));

        assertThat(mapper.getConfigProperties()).extracting(ProviderConfigProperty::getName).containsExactly(
                "svid.claim", "svid.match.value", "claim.name", "jsonType.label",
                "id.token.claim", "access.token.claim", "lightweight.claim", "userinfo.token.claim",
                "introspection.token.claim");
        assertThat(byName.get("svid.claim").isRequired()).isTrue();
        assertThat(byName.get("svid.claim").getType()).isEqualTo(ProviderConfigProperty.STRING_TYPE);
        assertThat(byName.get("svid.match.value").isRequired()).isFalse();
        assertThat(byName.get("svid.match.value").getDefaultValue()).isNull();
        assertThat(byName.get("claim.name").isRequired()).isTrue();
        assertThat(byName.get("jsonType.label").getDefaultValue()).isEqualTo("JSON");
        assertThat(byName.get("jsonType.label").getOptions()).containsExactly("JSON", "String", "long", "int", "boolean");
        assertThat(byName.get("access.token.claim").getDefaultValue()).isEqualTo("true");
        assertThat(byName.get("id.token.claim").getDefaultValue()).isEqualTo("true");
        assertThat(byName.get("userinfo.token.claim").getDefaultValue()).isEqualTo("true");
        assertThat(byName.get("introspection.token.claim").getDefaultValue()).isEqualTo("true");
        assertThat(byName.get("lightweight.claim").getDefaultValue()).isEqualTo("false");
        // the standard properties keep Keycloak's own message keys
        assertThat(byName.get("claim.name").getLabel()).isEqualTo(OIDCAttributeMapperHelper.TOKEN_CLAIM_NAME_LABEL);
        assertThat(byName.get("jsonType.label").getLabel()).isEqualTo(OIDCAttributeMapperHelper.JSON_TYPE);
    }

    @Test
    void createBuildsAnOidcModel() {
        ProtocolMapperModel model = SvidClaimMapper.create("is agent", "client_type", "is_agent", null, "ai-agent",
                true, false);

        assertThat(model.getProtocolMapper()).isEqualTo("oidc-svid-claim-mapper");
        assertThat(model.getProtocol()).isEqualTo("openid-connect");
        assertThat(model.getConfig()).containsEntry("svid.claim", "client_type").containsEntry("claim.name", "is_agent")
                .containsEntry("svid.match.value", "ai-agent").containsEntry("access.token.claim", "true")
                .containsEntry("id.token.claim", "false").doesNotContainKey("jsonType.label");
    }

    @Test
    void registeredAsAProtocolMapper() throws IOException {
        String resource = "META-INF/services/" + ProtocolMapper.class.getName();
        List<String> providers = new ArrayList<>();
        for (URL url : Collections.list(getClass().getClassLoader().getResources(resource))) {
            try (InputStream in = url.openStream()) {
                new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(providers::add);
            }
        }

        assertThat(providers).contains(SvidClaimMapper.class.getName());
    }

    @Test
    void ownLabelsHelpTextsAndErrorsHaveEnglishMessages() throws IOException {
        assertThat(MESSAGES).exists();
        Properties messages = new Properties();
        try (Reader reader = new InputStreamReader(Files.newInputStream(MESSAGES), StandardCharsets.UTF_8)) {
            messages.load(reader);
        }

        List<String> keys = new ArrayList<>();
        for (ProviderConfigProperty property : mapper.getConfigProperties()) {
            for (String key : new String[] {property.getLabel(), property.getHelpText()}) {
                if (key.startsWith("svidClaimMapper.")) {
                    keys.add(key);
                }
            }
        }
        keys.add(SvidClaimMapper.ERROR_SOURCE_REQUIRED);
        keys.add(SvidClaimMapper.ERROR_CLAIM_NAME_REQUIRED);

        assertThat(keys).hasSize(7);
        for (String key : keys) {
            String text = messages.getProperty(key);
            assertThat(text).as(key).isNotBlank();
            // the admin API renders error texts through MessageFormat: no quote or brace may get lost
            assertThat(MessageFormat.format(text, (Object[]) null)).as(key).isEqualTo(text);
        }
    }

    @Test
    void errorFallbackTextsSurviveMessageFormat() {
        for (String[] config : new String[][] {{null, "x"}, {"client_type", null}}) {
            ProtocolMapperModel model = model(config[0], config[1], null, null);
            assertThatThrownBy(() -> mapper.validateConfig(null, null, null, model))
                    .satisfies(e -> assertThat(MessageFormat.format(e.getMessage(), (Object[]) null))
                            .isEqualTo(e.getMessage()));
        }
    }
}
