package dev.svidauth.mapper;

import java.util.List;

import dev.svidauth.keycloak.wit.WitKeyBinding;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.mappers.AbstractOIDCProtocolMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.representations.AccessToken;
import org.keycloak.services.util.DPoPUtil;

/**
 * OIDC protocol mapper {@value #PROVIDER_ID} ("WIT-SVID key binding"): binds the access token
 * issued to a client that authenticated with its WIT-SVID ({@code client-svid-wit}) in this request
 * to the WIT-SVID's key, {@code cnf: {"jkt": <RFC 7638 SHA-256 thumbprint of cnf.jwk>}} (RFC 7800,
 * the confirmation member RFC 9449 defines), so that a resource server can demand a proof of that
 * key with the token.
 *
 * <p>Contract and reasons:
 * <ul>
 * <li>The thumbprint comes only from {@link WitKeyBinding}: the WIT-SVID verified in this request
 *     for the token's own client. A token of a client that did not authenticate with a WIT-SVID in
 *     this request (another client of the same user session, a refresh with a JWT-SVID, a token
 *     issued at the authorization endpoint) is left untouched.</li>
 * <li>A DPoP proof that Keycloak validated in this request wins: Keycloak binds the token to the
 *     proof's key and makes it a DPoP token. With the same key that is the WIT's key; with another
 *     key the token is bound to the DPoP key, as draft-ietf-oauth-attestation-based-client-auth
 *     ("DPoP ... alongside the Client Attestation PoP JWT": validated independently, its key need
 *     not match {@code cnf}) allows. A {@code cnf.jkt} already in the token is never replaced.</li>
 * <li>The token type stays {@code Bearer} without a DPoP proof: a resource server that ignores
 *     {@code cnf} keeps working, one that checks it needs a proof of the key (docs/wit-svid.md).</li>
 * <li>Applied to every access token of the client, the lightweight one included, whatever the
 *     token toggles: a binding is a restriction, never an optional claim. The claim is part of
 *     the signed token, so Keycloak's introspection answer shows it as well.</li>
 * </ul>
 */
public class WitKeyBindingMapper extends AbstractOIDCProtocolMapper implements OIDCAccessTokenMapper {

    /** Provider id, part of the public contract. */
    public static final String PROVIDER_ID = "oidc-svid-wit-key-binding";

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "WIT-SVID key binding";
    }

    @Override
    public String getDisplayCategory() {
        return TOKEN_MAPPER_CATEGORY;
    }

    @Override
    public String getHelpText() {
        return "Binds access tokens of a client that authenticated with its WIT-SVID (client-svid-wit) to the WIT-SVID's"
                + " key: cnf.jkt is the RFC 7638 thumbprint of its cnf.jwk. A DPoP proof in the token request wins.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
    }

    @Override
    public AccessToken transformAccessToken(AccessToken token, ProtocolMapperModel mappingModel, KeycloakSession session,
                                            UserSessionModel userSession, ClientSessionContext clientSessionCtx) {
        String thumbprint = WitKeyBinding.thumbprintFor(session,
                clientSessionCtx == null ? null : clientSessionCtx.getClientSession());
        boolean dpopProof = session != null && session.getAttribute(DPoPUtil.DPOP_SESSION_ATTRIBUTE) != null;
        return bind(token, thumbprint, dpopProof);
    }

    /**
     * {@code token} bound to {@code thumbprint}: unchanged without a thumbprint, when a DPoP proof
     * binds it, or when it already carries a {@code cnf.jkt}; any other confirmation member (such as
     * Keycloak's certificate binding, {@code x5t#S256}) is kept.
     */
    static AccessToken bind(AccessToken token, String thumbprint, boolean dpopProof) {
        if (thumbprint == null || dpopProof) {
            return token;
        }
        AccessToken.Confirmation confirmation = token.getConfirmation();
        if (confirmation == null) {
            confirmation = new AccessToken.Confirmation();
            token.setConfirmation(confirmation);
        } else if (confirmation.getKeyThumbprint() != null) {
            return token;
        }
        confirmation.setKeyThumbprint(thumbprint);
        return token;
    }
}
