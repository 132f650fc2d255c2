package dev.svidauth.keycloak.admin;

import dev.svidauth.keycloak.client.ConfigError;
import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientIndex;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.runtime.SvidAuthRuntimes;
import dev.svidauth.keycloak.trustdomain.TrustDomainAuthority;
import dev.svidauth.keycloak.trustdomain.TrustDomainEntry;
import dev.svidauth.keys.KeySourceAddressGuard;
import org.keycloak.keys.KeyProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;
import org.keycloak.validation.ClientValidationContext;
import org.keycloak.validation.DefaultClientValidationProvider;
import org.keycloak.validation.ValidationContext;
import org.keycloak.validation.ValidationResult;

import dev.svidauth.spiffe.SpiffeIdPattern;

import java.util.List;
import java.util.Map;

/**
 * Keycloak's client validation plus the {@code svid.*} settings: a client saved through the admin
 * API or client registration with a bad SPIFFE ID pattern, key-source URL, number or algorithm is
 * refused with 400 and nothing is stored, instead of failing later at the token endpoint. Key-source
 * URLs on link-local or cloud-metadata addresses are refused too ({@link KeySourceAddressGuard}).
 * A client without its own key source is accepted when every trust domain of its SPIFFE IDs has
 * a {@link TrustDomainEntry} in the realm (it may then span trust domains).
 *
 * <p>The trust domain's authority belongs to the realm ({@link TrustDomainAuthority}): a client
 * may not name its own key source for a trust domain that has an entry, unless it is the entry's
 * own, nor accept a SPIFFE ID (or a pattern overlapping one) that another client of the same
 * authentication method already accepts, unless the entry allows sharing. These checks run for
 * the admin API, the console and dynamic registration alike; not during a realm import, whose
 * entries are created after its clients (conflicts of imported realms are listed instead).
 */
public final class SvidClientValidationProvider extends DefaultClientValidationProvider {

    private final KeySourcePolicy keySources;

    SvidClientValidationProvider(KeySourcePolicy keySources) {
        this.keySources = keySources;
    }

    @Override
    public ValidationResult validate(ValidationContext<ClientModel> context) {
        validateSvid(context);
        return super.validate(context);
    }

    @Override
    public ValidationResult validate(ClientValidationContext.OIDCContext context) {
        validateSvid(context);
        return super.validate(context);
    }

    /**
     * Whether the realm is being imported: Keycloak imports a realm's clients (and validates each)
     * before its components, trust-domain entries and key providers included, and creates the
     * default key providers last, so a realm without any key provider is one being imported. Its
     * clients without key source are then checked against the entries at request time
     * ({@code client_misconfigured} naming the trust domain when one is missing).
     */
    private static boolean importing(RealmModel realm) {
        return realm.getComponentsStream(realm.getId(), KeyProvider.class.getName()).findAny().isEmpty();
    }

    private void validateSvid(ValidationContext<ClientModel> context) {
        ClientModel client = context.getObjectToValidate();
        SvidMethod method = SvidMethod.of(client.getClientAuthenticatorType());
        boolean svidClient = method != null;
        boolean hasSvidSettings = SvidClientConfig.ALL.stream().anyMatch(a -> client.getAttribute(a) != null && !client.getAttribute(a).isBlank());
        if (!svidClient && !hasSvidSettings) {
            return;
        }
        SvidClientConfig config = SvidClientConfig.read(method == null ? SvidMethod.JWT : method, client::getAttribute);
        // A client of another authenticator may carry svid.* values: only invalid ones are refused.
        RealmModel realm = client.getRealm() != null ? client.getRealm() : context.getSession().getContext().getRealm();
        String clientId = client.getClientId() == null ? "" : client.getClientId();
        List<ConfigError> errors = !svidClient ? config.errors()
                : config.hasOwnKeySource() || realm == null ? config.validate(clientId)
                : importing(realm) ? config.validate(clientId, td -> true)
                : config.validate(clientId, td -> TrustDomainEntry.find(realm, td) != null);
        for (ConfigError error : errors) {
            if (svidClient || error.kind() == ConfigError.Kind.INVALID) {
                context.addError(error.message());
            }
        }
        // SSRF guard: only URLs that will be fetched, and only when they are otherwise valid.
        ConfigError refusal = keySources.saveTimeRefusal(config);
        if (refusal != null) {
            context.addError(refusal.message());
        }
        if (svidClient && realm != null && !importing(realm)) {
            ConfigError keySource = TrustDomainAuthority.keySourceConflict(config, clientId, td -> TrustDomainEntry.find(realm, td));
            if (keySource != null) {
                context.addError(keySource.message());
            }
            List<SpiffeIdPattern> claims = TrustDomainAuthority.heldSpiffeIds(clientId, client.getAttribute(SvidClientConfig.SPIFFE_ID));
            if (!claims.isEmpty()) {
                SvidAuthRuntime runtime = SvidAuthRuntimes.of(context.getSession().getKeycloakSessionFactory());
                SvidClientIndex.ClientSource source = runtime != null ? runtime.clientSource() : SvidClientIndex.ClientSource.WALK;
                Map<SpiffeIdPattern, String> taken = TrustDomainAuthority.takenByOthers(realm, client.getId(), clientId, method,
                        claims, source, TrustDomainAuthority.entrySharing(realm));
                if (!taken.isEmpty()) {
                    context.addError(TrustDomainAuthority.sharingRefusal(taken.keySet()).message());
                }
            }
        }
    }
}
