package dev.svidauth.keycloak.runtime;

import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import dev.svidauth.rejection.Printable;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * svid-auth's Micrometer meters, exposed by Keycloak's /metrics (management port) when metrics
 * are enabled; silent when Micrometer is absent. Every tag has a bounded set of values: never a
 * SPIFFE ID, client or token.
 *
 * <ul>
 *   <li>{@code svid_auth_client_authentications_total{realm,outcome,reason}}: counter.</li>
 *   <li>{@code svid_auth_client_authentication_duration_seconds{outcome,reason}}: timer with a fixed
 *       set of histogram buckets ({@code _bucket}, {@code _count}, {@code _sum}, {@code _max}).</li>
 *   <li>{@code svid_auth_key_sources}: key-source URLs whose keys are cached.</li>
 *   <li>{@code svid_auth_key_source_keys{source}} and
 *       {@code svid_auth_key_source_last_fetch_age_seconds{source}}: per key-source URL, for the
 *       first {@value #MAX_TAGGED_SOURCES} URLs that SVIDs needed. Only configured key sources (or
 *       the ones their pinned issuer's discovery names) ever enter the cache.</li>
 * </ul>
 */
public final class AuthenticationMetrics implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AuthenticationMetrics.class);

    /** Micrometer counter name. */
    public static final String METRIC_AUTHENTICATIONS = "svid_auth_client_authentications";
    /** Micrometer timer name (Prometheus adds {@code _seconds}). */
    static final String METRIC_DURATION = "svid_auth_client_authentication_duration";
    static final String METRIC_SOURCES = "svid_auth_key_sources";
    static final String METRIC_SOURCE_KEYS = "svid_auth_key_source_keys";
    static final String METRIC_SOURCE_AGE = "svid_auth_key_source_last_fetch_age_seconds";

    static final String SUCCESS = "success";
    static final String REJECTED = "rejected";
    /** The reason tag of a success. */
    static final String NO_REASON = "none";

    /** Key-source URLs that get their own series; more are counted by {@value #METRIC_SOURCES} only. */
    static final int MAX_TAGGED_SOURCES = 32;

    /** Histogram buckets of the timer: key fetches can take seconds, verification takes about a millisecond. */
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final Meter.MeterProvider<Counter> authentications;
    private final Meter.MeterProvider<Timer> durations;
    private final List<Meter> gauges = new ArrayList<>();
    private final Set<URI> tagged = ConcurrentHashMap.newKeySet();

    AuthenticationMetrics() {
        this(globalRegistry());
    }

    AuthenticationMetrics(MeterRegistry registry) {
        this.registry = registry;
        Meter.MeterProvider<Counter> counter = null;
        Meter.MeterProvider<Timer> timer = null;
        if (registry != null) {
            counter = Counter.builder(METRIC_AUTHENTICATIONS)
                    .description("Client authentications with a JWT-SVID, by realm, outcome and reason code")
                    .withRegistry(registry);
            timer = Timer.builder(METRIC_DURATION)
                    .description("Time to judge a JWT-SVID client authentication, by outcome and reason code")
                    .serviceLevelObjectives(BUCKETS)
                    .withRegistry(registry);
        }
        this.authentications = counter;
        this.durations = timer;
    }

    private static MeterRegistry globalRegistry() {
        try {
            return Metrics.globalRegistry;
        } catch (LinkageError e) {
            LOG.debugf("Micrometer is not available; svid-auth metrics are off (%s)", e);
            return null;
        }
    }

    /** Counts one authentication and its duration; outcome {@link #SUCCESS} or {@link #REJECTED}, reason a stable code or {@link #NO_REASON}. */
    void record(String realm, String outcome, String reason, long nanos) {
        if (registry != null) {
            Meters m = meters.get(new Tagged(realm, outcome, reason), t -> new Meters(
                    authentications.withTags("realm", t.realm(), "outcome", t.outcome(), "reason", t.reason()),
                    durations.withTags("outcome", t.outcome(), "reason", t.reason())));
            m.count().increment();
            m.duration().record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The meters of one tag combination, looked up in the registry once instead of on every request. */
    private record Meters(Counter count, Timer duration) {
    }

    private record Tagged(String realm, String outcome, String reason) {
    }

    /** Tag combinations kept (realms × outcomes × reason codes, at most 4,096; more start again). */
    private final BoundedMemo<Tagged, Meters> meters = new BoundedMemo<>(4096);

    /** The gauges of the key-source cache: its size now, and each URL's as the cache first needs it. */
    void watch(KeySourceCache cache) {
        if (registry == null) {
            return;
        }
        synchronized (gauges) {
            gauges.add(Gauge.builder(METRIC_SOURCES, cache, c -> c.sources().size())
                    .description("Key-source URLs whose keys svid-auth holds").strongReference(true).register(registry));
        }
        cache.onNewSource(url -> keySource(cache, url));
        cache.sources().forEach(url -> keySource(cache, url));
    }

    private void keySource(KeySourceCache cache, URI url) {
        synchronized (gauges) {
            if (tagged.size() >= MAX_TAGGED_SOURCES || !tagged.add(url)) {
                return;
            }
            String source = Printable.value(url.toString());
            gauges.add(Gauge.builder(METRIC_SOURCE_KEYS, cache, c -> keys(c, url))
                    .description("Keys held from a key source (its last good fetch)").tag("source", source)
                    .strongReference(true).register(registry));
            gauges.add(Gauge.builder(METRIC_SOURCE_AGE, cache, c -> age(c, url))
                    .description("Seconds since the last successful fetch of a key source (NaN: never fetched)")
                    .tag("source", source).baseUnit("seconds").strongReference(true).register(registry));
        }
    }

    private static double keys(KeySourceCache cache, URI url) {
        KeySourceState state = cache.state(url);
        return state == null ? 0 : state.kids().size();
    }

    private static double age(KeySourceCache cache, URI url) {
        KeySourceState state = cache.state(url);
        if (state == null || state.fetchedAt() == null) {
            return Double.NaN;
        }
        return Math.max(0, Duration.between(state.fetchedAt(), Instant.now()).toMillis() / 1000.0);
    }

    /** Removes the gauges (they read a cache that is being dropped). */
    @Override
    public void close() {
        if (registry == null) {
            return;
        }
        synchronized (gauges) {
            gauges.forEach(registry::remove);
            gauges.clear();
            tagged.clear();
        }
    }
}
