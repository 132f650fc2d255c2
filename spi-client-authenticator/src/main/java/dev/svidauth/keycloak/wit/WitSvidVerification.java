package dev.svidauth.keycloak.wit;

import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientResolver;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.trustdomain.KeySourceSelection;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.svid.WitKeyResolver;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * The steps of a WIT-SVID between its parse and {@link dev.svidauth.svid.WitSvidVerifier}: the
 * client among {@code client-svid-wit} clients, then its key source (its own bundle, or the
 * trust-domain entry of the WIT-SVID's trust domain) and the {@code wit-svid} keys from it. The
 * token endpoint's authenticator and the diagnostics endpoint both take them from here, so they
 * judge a WIT-SVID alike; they differ in the replay guard they hand the verifier (consuming, or a
 * look that never records).
 */
public final class WitSvidVerification {

    private WitSvidVerification() {
    }

    /** The client that accepts {@code id} ({@code client_id} names it when sent). */
    public static SvidClientResolver.Resolved client(SvidAuthRuntime runtime, RealmModel realm, SpiffeId id, String clientIdParam)
            throws SvidRejectedException {
        return new SvidClientResolver(SvidMethod.WIT, runtime.clientIndex(), SvidClientResolver.NONE).resolve(realm, id, clientIdParam);
    }

    /** The client's effective configuration and the {@code wit-svid} keys of {@code id}'s trust domain. */
    public record Keys(SvidClientConfig config, WitKeyResolver keys) {
    }

    /** {@link Keys} for a resolved client: key-source selection, then the bundle's {@code wit-svid} keys. */
    public static Keys keys(SvidAuthRuntime runtime, KeycloakSession session, RealmModel realm, SvidClientResolver.Resolved resolved,
                            SpiffeId id) throws SvidRejectedException {
        SvidClientConfig config = KeySourceSelection.select(realm, resolved.client(), resolved.config(), id).config();
        KeySourcePolicy policy = runtime.keySourcePolicy();
        return new Keys(config, new WitKeyResolver(runtime.keySources(), runtime.fetcher(session), config.bundleUri(),
                url -> policy.requireTransportSecurity(realm, url), id.trustDomain()));
    }
}
