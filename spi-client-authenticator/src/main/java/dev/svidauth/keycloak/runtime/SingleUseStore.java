package dev.svidauth.keycloak.runtime;

import dev.svidauth.svid.ReplayGuard;
import org.infinispan.commons.api.BasicCache;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.SingleUseObjectProvider;
import org.keycloak.provider.Provider;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Records the SVIDs of single-use clients in Keycloak's cluster-wide single-use store, each entry
 * with a value no other presentation writes.
 *
 * <p>Why not Keycloak's {@link SingleUseObjectProvider#putIfAbsent(String, long)} as it is: it
 * writes one and the same value for every key. Infinispan retries a conditional write when the
 * key's primary owner changed under it (a node died, or the cache topology moved on while the
 * write was on its way), and on the retry it counts an existing value <em>equal to the value being
 * written</em> as the write's own earlier success (it cannot tell whether the first attempt reached
 * the old owner). With equal values, the second presentation of a single-use SVID, sent to a
 * surviving node in the moment between that node's new cluster view and its new cache topology,
 * is then accepted as if it were the first. With a value of its own per presentation the retry
 * rule stays sound: a retry succeeds only over its own earlier write.
 *
 * <p>With Keycloak's embedded Infinispan ({@code --cache=ispn} or {@code --cache=local}, Keycloak's
 * {@code infinispan} single-use provider) the entry goes to the provider's {@code actionTokens}
 * cache directly, as Keycloak's provider writes it (key, lifespan, a {@code SingleUseObjectValueEntity}),
 * its notes holding a random presentation id. Keycloak's embedded-cache classes are reached by
 * name, so that the JAR links against every supported Keycloak line; if they cannot be found, or
 * the single-use store is another one (remote Infinispan, a custom provider), the store's own
 * {@code putIfAbsent} is used and that is logged once.
 */
public final class SingleUseStore {

    private static final Logger LOG = Logger.getLogger(SingleUseStore.class);

    /** The note of an entry that holds the id of the presentation which wrote it. */
    static final String PRESENTATION_NOTE = "svid-auth.presentation";

    static final String EMBEDDED_PROVIDER = "org.keycloak.models.sessions.infinispan.InfinispanSingleUseObjectProvider";
    private static final String CONNECTIONS = "org.keycloak.connections.infinispan.InfinispanConnectionProvider";
    private static final String VALUE_ENTITY = "org.keycloak.models.sessions.infinispan.entities.SingleUseObjectValueEntity";
    /** Keycloak's single-use cache (InfinispanConnectionProvider.ACTION_TOKEN_CACHE). */
    static final String CACHE = "actionTokens";

    /** Keycloak's embedded-cache classes, looked up once; {@link #UNAVAILABLE} when they are not there. */
    private static volatile Embedded embedded;
    private static final Embedded UNAVAILABLE = new Embedded(null, null, null);

    private SingleUseStore() {
    }

    /** One conditional write of the single-use store: the value found under {@code key}, or null if it was absent and is now {@code value}. */
    @FunctionalInterface
    interface ConditionalWrite {
        Object putIfAbsent(String key, Object value, long lifespanSeconds);
    }

    /**
     * The token endpoint's replay guard for this request: writes to the embedded single-use cache
     * with a value of its own, or falls back to the store's {@code putIfAbsent}.
     */
    public static ReplayGuard consuming(KeycloakSession session) {
        // resolved on the first recording only: most clients are not single-use, and Keycloak
        // creates the session's single-use provider (and enlists its transaction) when asked for it
        return new ReplayGuard() {
            private ReplayGuard resolved;

            @Override
            public boolean firstUse(String key, long lifespanSeconds) {
                if (resolved == null) {
                    resolved = resolve(session);
                }
                return resolved.firstUse(key, lifespanSeconds);
            }
        };
    }

    private static ReplayGuard resolve(KeycloakSession session) {
        SingleUseObjectProvider store = session.singleUseObjects();
        Embedded e = store.getClass().getName().equals(EMBEDDED_PROVIDER) ? embedded(store.getClass().getClassLoader()) : UNAVAILABLE;
        if (e == UNAVAILABLE) {
            return store::putIfAbsent;
        }
        BasicCache<String, Object> cache = e.cache(session);
        return guard((key, value, seconds) -> cache.putIfAbsent(key, value, seconds, TimeUnit.SECONDS), e::value,
                () -> UUID.randomUUID().toString());
    }

    /**
     * A guard over {@code write} whose every recording writes {@code values.apply(a fresh id)}: the
     * first use of a key is the write that found it absent, or a retried write that finds its own value.
     */
    static ReplayGuard guard(ConditionalWrite write, Function<String, Object> values, Supplier<String> ids) {
        return (key, seconds) -> write.putIfAbsent(key, values.apply(ids.get()), seconds) == null;
    }

    private static Embedded embedded(ClassLoader loader) {
        Embedded e = embedded;
        if (e == null) {
            e = lookUp(loader);
            embedded = e;
        }
        return e;
    }

    private static Embedded lookUp(ClassLoader loader) {
        try {
            Class<? extends Provider> connections = Class.forName(CONNECTIONS, false, loader).asSubclass(Provider.class);
            Method getCache = connections.getMethod("getCache", String.class);
            Constructor<?> value = Class.forName(VALUE_ENTITY, false, loader).getConstructor(Map.class);
            LOG.infof("svid-auth: single-use SVIDs are recorded in Keycloak's embedded %s cache, each entry with a value"
                    + " of its own", CACHE);
            return new Embedded(connections, getCache, value);
        } catch (ReflectiveOperationException | ClassCastException | LinkageError ex) {
            LOG.infof("svid-auth: Keycloak's embedded single-use cache classes were not found (%s); single-use SVIDs are"
                    + " recorded with the single-use store's putIfAbsent, whose entries all hold one value", ex.toString());
            return UNAVAILABLE;
        }
    }

    /** Keycloak's embedded-cache classes: the connection provider, its getCache, the single-use value's constructor. */
    private record Embedded(Class<? extends Provider> connections, Method getCache, Constructor<?> constructor) {

        Object value(String presentationId) {
            try {
                return constructor.newInstance(Map.of(PRESENTATION_NOTE, presentationId));
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException("cannot create Keycloak's single-use value", ex);
            }
        }

        /** The {@code actionTokens} cache, written as Keycloak's provider writes it (lifespan in seconds). */
        @SuppressWarnings("unchecked")
        BasicCache<String, Object> cache(KeycloakSession session) {
            try {
                return (BasicCache<String, Object>) getCache.invoke(session.getProvider(connections), CACHE);
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException("cannot reach Keycloak's " + CACHE + " cache", ex);
            }
        }
    }
}
