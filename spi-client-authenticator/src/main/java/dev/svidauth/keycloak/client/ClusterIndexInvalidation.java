package dev.svidauth.keycloak.client;

import org.jboss.logging.Logger;
import org.keycloak.cluster.ClusterEvent;
import org.keycloak.cluster.ClusterListener;
import org.keycloak.cluster.ClusterProvider;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;

import java.lang.reflect.Field;
import java.util.Set;

/**
 * Forgets SPIFFE ID indexes when a client changes on ANOTHER cluster node. Keycloak's realm cache
 * sends an invalidation event to every other node through its {@link ClusterProvider} (task key
 * {@value #REALM_INVALIDATION_EVENTS}) once a transaction that created, updated or removed a
 * client has committed; this listener rides on the same events, so the index is dropped when, and
 * on the same channel by which, Keycloak's own client cache is. Changes on this node are handled
 * by {@link ClientIndexInvalidation}: Keycloak does not deliver these events to their sender.
 *
 * <p>The client events carry the realm id in a field without a getter; when it cannot be read
 * (a later Keycloak renamed it) every realm's index is dropped instead, which is correct, only
 * costlier.
 */
public final class ClusterIndexInvalidation implements ClusterListener {

    private static final Logger LOG = Logger.getLogger(ClusterIndexInvalidation.class);

    /** = InfinispanCacheRealmProviderFactory.REALM_INVALIDATION_EVENTS (keycloak-model-infinispan). */
    static final String REALM_INVALIDATION_EVENTS = "REALM_INVALIDATION_EVENTS";
    /** = InfinispanCacheRealmProviderFactory.REALM_CLEAR_CACHE_EVENTS: "Clear realm cache" in the admin console. */
    static final String REALM_CLEAR_CACHE_EVENTS = "REALM_CLEAR_CACHE_EVENTS";

    /** Simple class names of Keycloak's realm-cache events about one client. */
    static final Set<String> CLIENT_EVENTS = Set.of("ClientAddedEvent", "ClientUpdatedEvent", "ClientRemovedEvent");
    /** Events after which every index is dropped. */
    static final Set<String> CLEAR_EVENTS = Set.of("RealmRemovedEvent", "ClearCacheEvent");

    private final SvidClientIndex index;

    public ClusterIndexInvalidation(SvidClientIndex index) {
        this.index = index;
    }

    /** Registers on the server's cluster provider; false when there is none. */
    public boolean register(KeycloakSessionFactory factory) {
        boolean[] registered = new boolean[1];
        KeycloakModelUtils.runJobInTransaction(factory, session -> {
            ClusterProvider cluster = session.getProvider(ClusterProvider.class);
            if (cluster != null) {
                cluster.registerListener(REALM_INVALIDATION_EVENTS, this);
                cluster.registerListener(REALM_CLEAR_CACHE_EVENTS, this);
                registered[0] = true;
            }
        });
        if (!registered[0]) {
            LOG.warn("client-svid-jwt: no cluster provider: client changes on other nodes reach the SPIFFE ID index only by its TTL refresh");
        }
        return registered[0];
    }

    @Override
    public void eventReceived(ClusterEvent event) {
        if (event == null) {
            return;
        }
        String type = event.getClass().getSimpleName();
        if (CLIENT_EVENTS.contains(type)) {
            String realmId = realmIdOf(event);
            if (realmId != null) {
                index.invalidate(realmId);
            } else {
                index.clear();
            }
            LOG.debugf("client-svid-jwt: %s from another node: SPIFFE ID index of realm %s dropped", type,
                    realmId != null ? realmId : "(every realm)");
        } else if (CLEAR_EVENTS.contains(type)) {
            index.clear();
            LOG.debugf("client-svid-jwt: %s from another node: every SPIFFE ID index dropped", type);
        }
    }

    /** The {@code realmId} field of Keycloak's client cache events (BaseClientEvent), or null. */
    static String realmIdOf(Object event) {
        for (Class<?> c = event.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField("realmId");
                f.setAccessible(true);
                Object v = f.get(event);
                return v instanceof String ? (String) v : null;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }
}
