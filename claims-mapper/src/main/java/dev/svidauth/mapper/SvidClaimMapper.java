package dev.svidauth.mapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import dev.svidauth.keycloak.client.ClientBoundSvid;
import org.jboss.logging.Logger;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperContainerModel;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.ProtocolMapperConfigException;
import org.keycloak.protocol.ProtocolMapperUtils;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.protocol.oidc.mappers.AbstractOIDCProtocolMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAttributeMapperHelper;
import org.keycloak.protocol.oidc.mappers.OIDCIDTokenMapper;
import org.keycloak.protocol.oidc.mappers.TokenIntrospectionTokenMapper;
import org.keycloak.protocol.oidc.mappers.UserInfoTokenMapper;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.representations.AccessToken;
import org.keycloak.representations.IDToken;
import org.keycloak.util.JsonSerialization;
import org.keycloak.utils.JsonUtils;

/**
 * OIDC protocol mapper {@value #PROVIDER_ID} ("SVID claim"): puts a claim of the verified
 * JWT-SVID the client authenticated with into the access token, ID token, userinfo and
 * introspection response, without scripts.
 *
 * <p>Configuration:
 * <ul>
 * <li>{@value #SOURCE_CLAIM} (required): the SVID claim to read, or {@code spiffe_id},
 *     {@code trust_domain}, {@code spiffe_path}; see {@link SvidClaimValues}.</li>
 * <li>{@value #MATCH_VALUE} (optional): emit the boolean {@code source == value} instead of the
 *     value, e.g. {@code client_type} = {@code ai-agent} gives {@code is_agent: true}; an SVID
 *     without the claim gives {@code false}.</li>
 * <li>Keycloak's standard {@code claim.name} (required, dots nest), {@code jsonType.label}
 *     (default {@value SvidClaimValues#TYPE_JSON}: keep the SVID claim's JSON type) and the
 *     token toggles {@code access.token.claim}, {@code id.token.claim},
 *     {@code lightweight.claim}, {@code userinfo.token.claim}, {@code introspection.token.claim}.</li>
 * </ul>
 *
 * <p>The mapper reads the {@link SvidSessionNotes} of the SVID that the token's own client
 * presented ({@link ClientBoundSvid}): never those of another client of the same user session.
 * A token not obtained with an SVID (no {@value SvidSessionNotes#SUB} note) is left untouched; a
 * missing claim adds nothing. Mapping never fails token issuance: unreadable input is logged and
 * skipped.
 */
public class SvidClaimMapper extends AbstractOIDCProtocolMapper
        implements OIDCAccessTokenMapper, OIDCIDTokenMapper, UserInfoTokenMapper, TokenIntrospectionTokenMapper {

    /** Provider id, part of the public contract. */
    public static final String PROVIDER_ID = "oidc-svid-claim-mapper";

    /** Config key: the source SVID claim (or synthetic name). Required. */
    public static final String SOURCE_CLAIM = "svid.claim";

    /** Config key: when set, emit whether the source equals this value. Optional. */
    public static final String MATCH_VALUE = "svid.match.value";

    /** Message key of the admin label of {@value #SOURCE_CLAIM}. */
    static final String SOURCE_CLAIM_LABEL = "svidClaimMapper.claim.label";
    /** Message key of the admin help text of {@value #SOURCE_CLAIM}. */
    static final String SOURCE_CLAIM_HELP = "svidClaimMapper.claim.tooltip";
    /** Message key of the admin label of {@value #MATCH_VALUE}. */
    static final String MATCH_VALUE_LABEL = "svidClaimMapper.matchValue.label";
    /** Message key of the admin help text of {@value #MATCH_VALUE}. */
    static final String MATCH_VALUE_HELP = "svidClaimMapper.matchValue.tooltip";
    /** Message key of the admin help text of {@code jsonType.label} for this mapper. */
    static final String JSON_TYPE_HELP = "svidClaimMapper.jsonType.tooltip";
    /** Message key of the admin API error for an empty {@value #SOURCE_CLAIM}. */
    static final String ERROR_SOURCE_REQUIRED = "svidClaimMapper.error.claimRequired";
    /** Message key of the admin API error for an empty {@code claim.name}. */
    static final String ERROR_CLAIM_NAME_REQUIRED = "svidClaimMapper.error.claimNameRequired";

    /** JSON types offered in the admin console, the default first. */
    static final List<String> JSON_TYPES = List.of(SvidClaimValues.TYPE_JSON, SvidClaimValues.TYPE_STRING,
            SvidClaimValues.TYPE_LONG, SvidClaimValues.TYPE_INT, SvidClaimValues.TYPE_BOOLEAN);

    private static final Logger LOG = Logger.getLogger(SvidClaimMapper.class);

    private static final List<ProviderConfigProperty> CONFIG_PROPERTIES;

    static {
        List<ProviderConfigProperty> properties = new ArrayList<>();

        ProviderConfigProperty source = new ProviderConfigProperty();
        source.setName(SOURCE_CLAIM);
        source.setLabel(SOURCE_CLAIM_LABEL);
        source.setHelpText(SOURCE_CLAIM_HELP);
        source.setType(ProviderConfigProperty.STRING_TYPE);
        source.setRequired(true);
        properties.add(source);

        ProviderConfigProperty match = new ProviderConfigProperty();
        match.setName(MATCH_VALUE);
        match.setLabel(MATCH_VALUE_LABEL);
        match.setHelpText(MATCH_VALUE_HELP);
        match.setType(ProviderConfigProperty.STRING_TYPE);
        properties.add(match);

        OIDCAttributeMapperHelper.addTokenClaimNameConfig(properties);

        OIDCAttributeMapperHelper.addJsonTypeConfig(properties, JSON_TYPES, SvidClaimValues.TYPE_JSON);
        properties.get(properties.size() - 1).setHelpText(JSON_TYPE_HELP);

        OIDCAttributeMapperHelper.addIncludeInTokensConfig(properties, SvidClaimMapper.class);

        CONFIG_PROPERTIES = Collections.unmodifiableList(properties);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "SVID claim";
    }

    @Override
    public String getDisplayCategory() {
        return TOKEN_MAPPER_CATEGORY;
    }

    @Override
    public String getHelpText() {
        return "Map a claim of the JWT-SVID the client authenticated with (or its SPIFFE ID, trust domain or path)"
                + " to a token claim, or a boolean telling whether it equals a value."
                + " Tokens not obtained with a JWT-SVID are left untouched.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CONFIG_PROPERTIES;
    }

    /**
     * Rejects a mapper without a source or a token claim name, so the admin API answers 400 and
     * stores nothing.
     */
    @Override
    public void validateConfig(KeycloakSession session, RealmModel realm, ProtocolMapperContainerModel client,
                               ProtocolMapperModel mapperModel) throws ProtocolMapperConfigException {
        Map<String, String> config = mapperModel.getConfig() == null ? Map.of() : mapperModel.getConfig();
        if (isBlank(config.get(SOURCE_CLAIM))) {
            throw new ProtocolMapperConfigException(
                    "SVID claim mapper: the source SVID claim (" + SOURCE_CLAIM + ") must not be empty",
                    ERROR_SOURCE_REQUIRED);
        }
        if (isBlank(config.get(OIDCAttributeMapperHelper.TOKEN_CLAIM_NAME))) {
            throw new ProtocolMapperConfigException(
                    "SVID claim mapper: the token claim name (" + OIDCAttributeMapperHelper.TOKEN_CLAIM_NAME
                            + ") must not be empty",
                    ERROR_CLAIM_NAME_REQUIRED);
        }
    }

    @Override
    protected void setClaim(IDToken token, ProtocolMapperModel mappingModel, UserSessionModel userSession,
                            KeycloakSession keycloakSession, ClientSessionContext clientSessionCtx) {
        setClaim(token, mappingModel, ClientBoundSvid.notesFor(keycloakSession,
                clientSessionCtx == null ? null : clientSessionCtx.getClientSession()));
    }

    /**
     * Introspection shows the SVID claims of the introspected token's client: the notes stored in
     * that token's client session, never the SVID the caller of the introspection endpoint may
     * have authenticated with in this request. Introspection of a stateless client_credentials
     * token (Keycloak 26's default for service accounts) runs the mappers on a fresh transient
     * session that carries no notes; the SVID claims are then taken from the introspected access
     * token itself, which the introspection endpoint has already verified (signature, issuer,
     * expiry, audience) before any mapper runs, so the response shows what the token says.
     */
    @Override
    public AccessToken transformIntrospectionToken(AccessToken token, ProtocolMapperModel mappingModel, KeycloakSession session,
                                                   UserSessionModel userSession, ClientSessionContext clientSessionCtx) {
        if (!OIDCAttributeMapperHelper.includeInIntrospection(mappingModel)) {
            return token;
        }
        Function<String, String> stored = ClientBoundSvid.storedNotes(
                clientSessionCtx == null ? null : clientSessionCtx.getClientSession());
        if (stored.apply(SvidSessionNotes.SUB) != null) {
            setClaim(token, mappingModel, stored);
            return token;
        }
        copyFromIntrospectedToken(token, mappingModel, session);
        return token;
    }

    private static void copyFromIntrospectedToken(AccessToken target, ProtocolMapperModel mappingModel, KeycloakSession session) {
        Map<String, String> config = mappingModel.getConfig();
        String claimName = config == null ? null : config.get(OIDCAttributeMapperHelper.TOKEN_CLAIM_NAME);
        if (isBlank(claimName) || session.getContext().getHttpRequest() == null) {
            return;
        }
        try {
            String introspected = session.getContext().getHttpRequest().getDecodedFormParameters().getFirst("token");
            if (introspected == null || introspected.chars().filter(c -> c == '.').count() != 2) {
                return;
            }
            String payload = introspected.substring(introspected.indexOf('.') + 1, introspected.lastIndexOf('.'));
            Object value = JsonSerialization.readValue(Base64.getUrlDecoder().decode(payload), Map.class);
            for (String part : JsonUtils.splitClaimPath(claimName)) {
                value = value instanceof Map ? ((Map<?, ?>) value).get(part) : null;
            }
            if (value != null) {
                OIDCAttributeMapperHelper.mapClaim(target, helperModel(mappingModel, value), value);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debugf(e, "Mapper '%s' could not read claim '%s' from the introspected token", mappingModel.getName(), claimName);
        }
    }

    /**
     * Sets the claim from the given SVID notes; the token-setting path of
     * {@link #setClaim(IDToken, ProtocolMapperModel, UserSessionModel, KeycloakSession, ClientSessionContext)}.
     */
    void setClaim(IDToken token, ProtocolMapperModel mappingModel, Function<String, String> notes) {
        Map<String, String> config = mappingModel.getConfig();
        if (config == null) {
            return;
        }
        try {
            Optional<Object> value = SvidClaimValues.resolve(config.get(SOURCE_CLAIM), config.get(MATCH_VALUE),
                    config.get(OIDCAttributeMapperHelper.JSON_TYPE), notes);
            if (value.isEmpty()) {
                return;
            }
            OIDCAttributeMapperHelper.mapClaim(token, helperModel(mappingModel, value.get()), value.get());
        } catch (RuntimeException e) {
            LOG.warnf(e, "Mapper '%s' (%s) could not map SVID claim '%s'; the token goes without it",
                    mappingModel.getName(), PROVIDER_ID, config.get(SOURCE_CLAIM));
        }
    }

    /**
     * The model handed to Keycloak's claim writer: the value is already converted, so no JSON type;
     * an array is written whole (Keycloak's multivalued mode) rather than cut to its first element.
     * As for any multivalued Keycloak mapper, an array is merged into an array already in the
     * claim, and an empty array adds no claim.
     */
    private static ProtocolMapperModel helperModel(ProtocolMapperModel mappingModel, Object value) {
        ProtocolMapperModel copy = new ProtocolMapperModel(mappingModel);
        Map<String, String> config = new HashMap<>(mappingModel.getConfig());
        config.remove(OIDCAttributeMapperHelper.JSON_TYPE);
        if (value instanceof List) {
            config.put(ProtocolMapperUtils.MULTIVALUED, "true");
        } else {
            config.remove(ProtocolMapperUtils.MULTIVALUED);
        }
        copy.setConfig(config);
        return copy;
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    /**
     * Builds a mapper model, e.g. for realm setup code.
     *
     * @param name           mapper name
     * @param sourceClaim    SVID claim name, or {@code spiffe_id}, {@code trust_domain}, {@code spiffe_path}
     * @param tokenClaimName token claim to write
     * @param jsonType       JSON type, {@code null} to keep the SVID claim's type
     * @param matchValue     match value, {@code null} for none
     * @param accessToken    add to the access token (and, by default, introspection)
     * @param idToken        add to the ID token (and, by default, userinfo)
     * @return the model
     */
    public static ProtocolMapperModel create(String name, String sourceClaim, String tokenClaimName, String jsonType,
                                             String matchValue, boolean accessToken, boolean idToken) {
        ProtocolMapperModel mapper = new ProtocolMapperModel();
        mapper.setName(name);
        mapper.setProtocolMapper(PROVIDER_ID);
        mapper.setProtocol(OIDCLoginProtocol.LOGIN_PROTOCOL);
        Map<String, String> config = new HashMap<>();
        config.put(SOURCE_CLAIM, sourceClaim);
        config.put(OIDCAttributeMapperHelper.TOKEN_CLAIM_NAME, tokenClaimName);
        if (jsonType != null) {
            config.put(OIDCAttributeMapperHelper.JSON_TYPE, jsonType);
        }
        if (matchValue != null) {
            config.put(MATCH_VALUE, matchValue);
        }
        config.put(OIDCAttributeMapperHelper.INCLUDE_IN_ACCESS_TOKEN, Boolean.toString(accessToken));
        config.put(OIDCAttributeMapperHelper.INCLUDE_IN_ID_TOKEN, Boolean.toString(idToken));
        mapper.setConfig(config);
        return mapper;
    }
}
