package dev.svidauth.keycloak.client;

import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import jakarta.persistence.TypedQuery;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.provider.Provider;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a realm's SVID clients ({@code client-svid-jwt} and {@code client-svid-x509}) for the
 * {@link SvidClientIndex} with one database query that returns only their authenticators,
 * clientIds and {@code svid.spiffe.id} values.
 *
 * <p>Walking {@code realm.getClientsStream()} instead loads every client of the realm through
 * Keycloak's realm cache: with more clients than the cache holds (default 10,000 entries across
 * all realms) every rebuild reloads the evicted clients from the database one by one, and evicts
 * the ones requests are using. The query reads in its own short transaction (Keycloak suspends
 * the request's), so it neither touches the cache nor the request's persistence context.
 *
 * <p>Keycloak's JPA store is the only client store in Keycloak 26, but its entities are not a
 * public API: when the query cannot be prepared (a future Keycloak renamed them) or the JPA
 * provider is absent, the source says so once (WARN, and {@link #describe()} in Server Info) and
 * walks the clients instead. A failed query (the database was unreachable) is logged and affects
 * that build only: a request's build walks the clients, a background refresh keeps the index. The provider is looked up by name because the artifact that declares it is not
 * resolvable from Maven Central.
 */
public final class DatabaseClientSource implements SvidClientIndex.ClientSource {

    private static final Logger LOG = Logger.getLogger(DatabaseClientSource.class);

    static final String JPA_PROVIDER = "org.keycloak.connections.jpa.JpaConnectionProvider";

    /**
     * Scalar projection: no entity enters a persistence context. The left join keeps clients
     * without the attribute. The compared columns come back too, because the database may compare
     * them case-insensitively ({@link #accept}).
     */
    static final String QUERY = "select c.realmId, c.clientAuthenticatorType, c.clientId, a.name, a.value from ClientEntity c"
            + " left join c.attributes a on a.name = :attribute"
            + " where c.realmId = :realmId and c.clientAuthenticatorType in :authenticators";

    private static final List<String> AUTHENTICATORS = Arrays.stream(SvidMethod.values()).map(SvidMethod::providerId).toList();

    private final Class<? extends Provider> jpaProvider;
    private final Method entityManager;
    /** Set by {@link #start}, when the server's sessions exist; until then the clients are walked. */
    private volatile KeycloakSessionFactory sessionFactory;
    private volatile String unusable;

    private DatabaseClientSource(Class<? extends Provider> jpaProvider, Method entityManager) {
        this.jpaProvider = jpaProvider;
        this.entityManager = entityManager;
    }

    /** A source for this server; it walks the clients when Keycloak's JPA provider is not there. */
    public static DatabaseClientSource forServer() {
        try {
            Class<?> c = Class.forName(JPA_PROVIDER, false, DatabaseClientSource.class.getClassLoader());
            if (!Provider.class.isAssignableFrom(c)) {
                return new DatabaseClientSource(null, null).markUnusable(JPA_PROVIDER + " is not a Keycloak provider");
            }
            return new DatabaseClientSource(c.asSubclass(Provider.class), c.getMethod("getEntityManager"));
        } catch (ClassNotFoundException | NoSuchMethodException | LinkageError e) {
            return new DatabaseClientSource(null, null).markUnusable("Keycloak's JPA store is not available (" + e + ")");
        }
    }

    /** Starts reading through the server's sessions (the factory's postInit). */
    public void start(KeycloakSessionFactory factory) {
        this.sessionFactory = factory;
    }

    private DatabaseClientSource markUnusable(String why) {
        unusable = why;
        LOG.warnf("client-svid-jwt: the SPIFFE ID index walks every client of a realm when it is rebuilt: %s", why);
        return this;
    }

    @Override
    public void forEachSvidClient(RealmModel realm, SvidClientIndex.ClientSink sink) {
        if (!readsDetached() || !forEachSvidClientDetached(realm.getId(), realm.getName(), sink)) {
            SvidClientIndex.ClientSource.WALK.forEachSvidClient(realm, sink);
        }
    }

    @Override
    public boolean readsDetached() {
        return unusable == null && sessionFactory != null;
    }

    @Override
    public boolean forEachSvidClientDetached(String realmId, String realmName, SvidClientIndex.ClientSink sink) {
        if (!readsDetached()) {
            return false;
        }
        List<Object[]> rows;
        try {
            rows = KeycloakModelUtils.runJobInTransactionWithResult(sessionFactory, null,
                    s -> query(s, realmId), "svid-auth client index");
        } catch (IllegalArgumentException e) {
            // The query could not be prepared against this Keycloak's entities: it never will be.
            markUnusable("the client query does not match this Keycloak's JPA entities (" + e.getMessage() + ")");
            return false;
        } catch (RuntimeException e) {
            LOG.warnf("client-svid-jwt: reading the SVID clients of realm %s from the database failed: %s", realmName, e.toString());
            return false;
        }
        accept(rows, realmId, sink);
        return true;
    }

    /**
     * Hands the rows of {@link #QUERY} to {@code sink}, keeping only what matched exactly: the
     * realm, an authenticator of ours and the {@code svid.spiffe.id} attribute's name are compared
     * again here, byte for byte, because a database with a case-insensitive collation (MariaDB
     * and MySQL as usually installed) also returns {@code SVID.SPIFFE.ID} for the attribute, or
     * another realm's id that differs in case. A client whose only matching attribute is such a
     * variant is still an SVID client, without SPIFFE IDs, as the live client reads it.
     */
    static void accept(List<Object[]> rows, String realmId, SvidClientIndex.ClientSink sink) {
        for (Object[] row : rows) {
            SvidMethod method = SvidMethod.of((String) row[1]);
            if (method == null || !realmId.equals(row[0])) {
                continue;
            }
            sink.accept(method, (String) row[2], SvidClientConfig.SPIFFE_ID.equals(row[3]) ? (String) row[4] : null);
        }
    }

    /** How the index reads clients, for Server Info. */
    public String describe() {
        String why = unusable;
        return why == null ? "database query" : "walks every client: " + why;
    }

    private List<Object[]> query(KeycloakSession session, String realmId) {
        EntityManager em = entityManager(session);
        TypedQuery<Object[]> q = em.createQuery(QUERY, Object[].class);
        q.setParameter("attribute", SvidClientConfig.SPIFFE_ID);
        q.setParameter("realmId", realmId);
        q.setParameter("authenticators", AUTHENTICATORS);
        q.setFlushMode(FlushModeType.COMMIT);
        q.setHint("org.hibernate.readOnly", true);
        return q.getResultList();
    }

    private EntityManager entityManager(KeycloakSession session) {
        Provider jpa = session.getProvider(jpaProvider);
        if (jpa == null) {
            throw new IllegalArgumentException("no " + JPA_PROVIDER + " in this session");
        }
        try {
            return (EntityManager) entityManager.invoke(jpa);
        } catch (IllegalAccessException | ClassCastException e) {
            throw new IllegalArgumentException(JPA_PROVIDER + ".getEntityManager(): " + e, e);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException ? (RuntimeException) cause : new IllegalStateException(cause);
        }
    }
}
