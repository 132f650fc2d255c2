package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.DatabaseClientSource;
import dev.svidauth.keycloak.client.KeySourcePolicy;
import dev.svidauth.keycloak.client.SvidClientIndex;
import dev.svidauth.keys.FetchScheduler;
import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceSettings;
import dev.svidauth.rejection.Printable;
import dev.svidauth.svid.JwtSvidVerifier;
import dev.svidauth.svid.VerifiedChainCache;
import dev.svidauth.svid.VerifiedJwtSignatureCache;
import dev.svidauth.svid.WitSvidVerifier;
import dev.svidauth.svid.X509SvidVerifier;
import org.jboss.logging.Logger;
import org.keycloak.connections.httpclient.HttpClientProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What must outlive a request, built from the provider options: the key-source cache (one per
 * URL, shared by every client naming it) and the {@link FetchScheduler} that fetches keys on a
 * few threads shared fairly by the realms, each fetch ending at its total deadline; the SPIFFE ID
 * to client index and its refresh thread; the JWT-SVID verifier with its signature cache; the
 * X.509-SVID verifier; the metrics; and the key-source policy. Every svid-auth provider shares
 * one, found through {@link SvidAuthRuntimes}. Closing it stops the threads and drops every cache.
 */
public final class SvidAuthRuntime implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SvidAuthRuntime.class);

    /** Key-source fetches running at once, all realms together. */
    static final int FETCH_THREADS = 8;
    /**
     * Key-source fetches of one realm running at once: a realm whose sources all hang holds this
     * many threads until their deadline, and the other realms keep the rest.
     */
    static final int FETCH_THREADS_PER_REALM = 2;

    private final SvidAuthOptions options;
    private final KeySourcePolicy keySourcePolicy;
    /** The ECDSA provider choice ({@link EcdsaProviderDetection}), made on its own thread at start-up. */
    private final CompletableFuture<EcdsaProviderDetection.Choice> ecdsa;
    private final EcdsaProviderDetection.Choice ecdsaFallback;
    /** Key-source fetches, fairly between realms ({@link FetchScheduler}). */
    private final FetchScheduler fetchScheduler;
    /** Aborts each key-source fetch at its total deadline ({@link KeycloakKeyFetcher}). */
    private final ScheduledExecutorService fetchDeadlines;
    /** One thread for TTL refreshes of the client index, so that no request waits for one. */
    private final ExecutorService indexExecutor;
    private final KeySourceCache keySources;
    /** How the index reads a realm's SVID clients: one database query once the server is up ({@link #start}). */
    private final DatabaseClientSource clientSource;
    private final SvidClientIndex clientIndex;
    private final VerifiedJwtSignatureCache signatures;
    private final JwtSvidVerifier verifier;
    private final X509SvidVerifier x509Verifier;
    private final WitSvidVerifier witVerifier;
    private final AuthenticationMetrics metrics;

    public SvidAuthRuntime(SvidAuthOptions options) {
        this.options = options;
        Clock clock = Clock.systemUTC();
        keySourcePolicy = options.keySourcePolicy();
        if (options.allowLinkLocal()) {
            LOG.warnf("client-svid-jwt: %s=true: key sources on link-local and cloud-metadata addresses are allowed",
                    SvidAuthOptions.ALLOW_LINK_LOCAL);
        }
        if (options.detailedErrors()) {
            LOG.warnf("client-svid-jwt: %s=true: refused callers are told the full detail of a rejection (key-source URLs,"
                    + " addresses, exception text, other clients' IDs); for development only", SvidAuthOptions.DETAILED_ERRORS);
        }
        fetchScheduler = new FetchScheduler(FETCH_THREADS, FETCH_THREADS_PER_REALM, 1000, numbered("svid-auth-key-fetch-"));
        ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "svid-auth-key-fetch-deadline"));
        deadlines.setRemoveOnCancelPolicy(true);
        fetchDeadlines = deadlines;
        // a request waits for a fetch no longer than the fetch itself may take
        Duration wait = options.fetchTimeout();
        // measured off the start-up path; until it is done (and should it fail) Keycloak's provider checks ECDSA
        ecdsaFallback = new EcdsaProviderDetection.Choice(EcdsaProviderDetection.keycloakProvider(), "measuring");
        ecdsa = CompletableFuture.supplyAsync(() -> EcdsaProviderDetection.choose(options.ecdsaProvider()),
                r -> daemon(r, "svid-auth-ecdsa-calibration").start());
        keySources = new KeySourceCache(new KeySourceSettings(Duration.ofSeconds(30), Duration.ofHours(1),
                Duration.ofMinutes(5), Duration.ofSeconds(10), Duration.ofHours(24), wait), clock, fetchScheduler,
                () -> ecdsa().provider());
        indexExecutor = pool(1, 100, r -> daemon(r, "svid-auth-index-refresh"));
        clientSource = DatabaseClientSource.forServer();
        clientIndex = new SvidClientIndex(clientSource, indexExecutor, clock, options.indexTtl(), Duration.ofSeconds(2));
        signatures = new VerifiedJwtSignatureCache(options.signatureCacheSize());
        verifier = new JwtSvidVerifier(clock, signatures);
        x509Verifier = new X509SvidVerifier(clock, new VerifiedChainCache(options.signatureCacheSize()));
        witVerifier = new WitSvidVerifier(clock, options.signatureCacheSize(), () -> ecdsa().provider());
        metrics = new AuthenticationMetrics();
        metrics.watch(keySources);
        LOG.debugf("client-svid-jwt: key source timeouts %s/%s, total %s, max %d bytes", options.connectTimeout(),
                options.readTimeout(), options.fetchTimeout(), options.maxBytes());
        if (!options.allowedHosts().isEmpty()) {
            LOG.infof("client-svid-jwt: %s: key sources may use these hosts only: %s", SvidAuthOptions.ALLOWED_HOSTS,
                    String.join(",", options.allowedHosts()));
        }
    }

    private static ExecutorService pool(int threads, int queue, ThreadFactory threadFactory) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(queue),
                threadFactory);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ThreadFactory numbered(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(r, prefix + n.incrementAndGet());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Once the server is up: the index may read clients from the database. */
    void start(KeycloakSessionFactory factory) {
        clientSource.start(factory);
    }

    public SvidAuthOptions options() {
        return options;
    }

    public KeySourcePolicy keySourcePolicy() {
        return keySourcePolicy;
    }

    public KeySourceCache keySources() {
        return keySources;
    }

    /** How a realm's SVID clients are read (one query once the server is up), for save-time checks. */
    public SvidClientIndex.ClientSource clientSource() {
        return clientSource;
    }

    public SvidClientIndex clientIndex() {
        return clientIndex;
    }

    public JwtSvidVerifier verifier() {
        return verifier;
    }

    public X509SvidVerifier x509Verifier() {
        return x509Verifier;
    }

    /** The WIT-SVID verifier: verified WIT-SVIDs remembered, {@code cnf} keys in the chosen ECDSA provider's form. */
    public WitSvidVerifier witVerifier() {
        return witVerifier;
    }

    AuthenticationMetrics metrics() {
        return metrics;
    }

    /** The ECDSA provider chosen, or Keycloak's while the choice is being measured (or if measuring failed). */
    EcdsaProviderDetection.Choice ecdsa() {
        EcdsaProviderDetection.Choice c = ecdsa.isDone() && !ecdsa.isCompletedExceptionally() ? ecdsa.join() : null;
        return c != null ? c : ecdsaFallback;
    }

    /**
     * A fetcher bound to Keycloak's shared HTTP client (its truststore and proxy settings apply),
     * whose fetches count against the session's realm ({@link FetchScheduler}).
     */
    public KeyFetcher fetcher(KeycloakSession session) {
        RealmModel realm = session.getContext() == null ? null : session.getContext().getRealm();
        // Resolved here, on the request's thread, even when the keys turn out to be cached: the
        // fetch itself runs on a FetchScheduler thread, where the request's session must not be used.
        return new KeycloakKeyFetcher(session.getProvider(HttpClientProvider.class).getHttpClient(), options.connectTimeout(),
                options.readTimeout(), options.fetchTimeout(), options.maxBytes(), keySourcePolicy.addressGuard(), fetchDeadlines,
                realm == null ? FetchScheduler.DEFAULT_LANE : realm.getId());
    }

    /** Server Info key prefix: {@code key-source <url>} counts the fetches made from one key-source URL. */
    public static final String INFO_KEY_SOURCE = "key-source";

    /** Server Info entries about the running state. */
    public Map<String, String> operationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("key-source-timeouts-ms", options.connectTimeout().toMillis() + "/" + options.readTimeout().toMillis());
        info.put(SvidAuthOptions.FETCH_TIMEOUT, options.fetchTimeout().toMillis() + " ms");
        info.put("key-source-fetches", fetchScheduler.running() + " running, " + fetchScheduler.waiting() + " waiting; at most "
                + FETCH_THREADS + " at once, " + FETCH_THREADS_PER_REALM + " per realm");
        info.put(SvidAuthOptions.ALLOWED_HOSTS, options.allowedHosts().isEmpty() ? "(none: any host)"
                : String.join(",", options.allowedHosts()));
        info.put(SvidAuthOptions.ALLOW_LINK_LOCAL, String.valueOf(keySourcePolicy.allowsLinkLocal()));
        info.put(SvidAuthOptions.DETAILED_ERRORS, String.valueOf(options.detailedErrors()));
        EcdsaProviderDetection.Choice c = ecdsa();
        info.put("ecdsa-provider", c.name() + " (" + c.how() + ")");
        info.put("signature-cache", !signatures.enabled() ? "off"
                : signatures.size() + " of " + options.signatureCacheSize() + " SVIDs");
        info.put("client-index", clientSource.describe());
        keySources.fetchCounts().forEach((url, count) -> info.put(INFO_KEY_SOURCE + " " + Printable.value(url), count + " fetches"));
        return info;
    }

    @Override
    public void close() {
        metrics.close();
        fetchScheduler.close();
        fetchDeadlines.shutdownNow();
        indexExecutor.shutdownNow();
        keySources.clear();
        clientIndex.clear();
        signatures.clear();
    }
}
