package dev.svidauth.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.svidauth.rejection.Reason;
import dev.svidauth.spire.MutableClock;
import dev.svidauth.svid.KeySourceKeyResolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class KeySourceCacheTest {

    private static final URI SOURCE = URI.create("https://oidc.example.org/keys");
    private static final ECKey K1 = KeySetParserTest.generateEc(Curve.P_256, "k1");
    private static final ECKey K2 = KeySetParserTest.generateEc(Curve.P_256, "k2");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    // ---- fakes ----

    /** Serves whatever document is current, counts calls, and can fail or block on demand. */
    static final class FakeFetcher implements KeyFetcher {
        final AtomicInteger calls = new AtomicInteger();
        final List<URI> uris = new CopyOnWriteArrayList<>();
        volatile byte[] body;
        volatile Duration maxAge;
        volatile boolean failing;
        volatile RuntimeException crash;
        /** When set, fetches signal {@link #entered} and wait for this latch. */
        volatile CountDownLatch gate;
        final CountDownLatch entered = new CountDownLatch(1);

        FakeFetcher serving(JWK... keys) {
            body = jwks(keys);
            return this;
        }

        @Override
        public FetchedDocument fetch(URI uri) throws KeySourceException {
            calls.incrementAndGet();
            uris.add(uri);
            CountDownLatch g = gate;
            if (g != null) {
                entered.countDown();
                try {
                    if (!g.await(10, TimeUnit.SECONDS)) {
                        throw new KeySourceException("test gate never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KeySourceException("interrupted");
                }
            }
            if (crash != null) {
                throw crash;
            }
            if (failing) {
                throw new KeySourceException("key source " + uri + " answered HTTP 503");
            }
            return new FetchedDocument(body, maxAge);
        }
    }

    static byte[] jwks(JWK... keys) {
        List<JWK> pub = new ArrayList<>();
        for (JWK k : keys) {
            pub.add(k.toPublicJWK());
        }
        return new JWKSet(pub).toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] bundle(long refreshHint, JWK... keys) {
        StringBuilder sb = new StringBuilder("{\"spiffe_sequence\":1,\"spiffe_refresh_hint\":" + refreshHint + ",\"keys\":[");
        for (int i = 0; i < keys.length; i++) {
            String k = keys[i].toPublicJWK().toJSONString();
            sb.append(i > 0 ? "," : "").append(k, 0, k.length() - 1).append(",\"use\":\"jwt-svid\"}");
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private KeySourceCache syncCache() {
        return new KeySourceCache(KeySourceSettings.defaults(), clock, Runnable::run);
    }

    private KeySourceCache poolCache() {
        return new KeySourceCache(KeySourceSettings.defaults(), clock, pool);
    }

    private static List<String> kids(List<VerificationKey> keys) {
        return keys.stream().map(VerificationKey::kid).toList();
    }

    private static void assertRejected(ThrowingCall call, Reason reason, String messagePart) {
        // the cache raises key-source errors; the verifier sees them through KeySourceKeyResolver
        assertThatThrownBy(call::run)
                .isInstanceOf(KeySourceException.class)
                .satisfies(e -> assertThat(KeySourceKeyResolver.rejection((KeySourceException) e).reason()).isEqualTo(reason))
                .hasMessageContaining(messagePart);
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    // ---- basic caching ----

    @Test
    void firstRequestFetchesAndLaterRequestsUseTheCache() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1, K2);
        KeySourceCache cache = syncCache();

        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        for (int i = 0; i < 100; i++) {
            assertThat(kids(cache.candidates(SOURCE, "k2", "ES256", fetcher))).containsExactly("k2");
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(fetcher.calls).hasValue(1);
        assertThat(fetcher.uris).containsExactly(SOURCE);
        assertThat(cache.fetchCounts()).containsEntry(SOURCE.toString(), 1L);
    }

    @Test
    void withoutKidEveryCompatibleKeyIsACandidate() throws Exception {
        ECKey p384 = KeySetParserTest.generateEc(Curve.P_384, "p384");
        FakeFetcher fetcher = new FakeFetcher().serving(K1, K2, p384);
        KeySourceCache cache = syncCache();
        assertThat(kids(cache.candidates(SOURCE, null, "ES256", fetcher))).containsExactly("k1", "k2");
        assertThat(kids(cache.candidates(SOURCE, null, "ES384", fetcher))).containsExactly("p384");
        assertRejected(() -> cache.candidates(SOURCE, null, "RS256", fetcher), Reason.UNKNOWN_KID,
                "SVID has no kid and no key published at " + SOURCE + " can verify RS256");
        assertThat(fetcher.calls).hasValue(1);
    }

    @Test
    void eachUrlHasItsOwnCache() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        URI other = URI.create("https://other.example.org/keys");
        cache.candidates(SOURCE, "k1", "ES256", fetcher);
        cache.candidates(other, "k1", "ES256", fetcher);
        cache.candidates(SOURCE, "k1", "ES256", fetcher);
        assertThat(fetcher.uris).containsExactly(SOURCE, other);
        cache.clear();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);
        assertThat(fetcher.calls).hasValue(3);
    }

    // ---- refresh schedule ----

    static Stream<Arguments> refreshSchedules() {
        return Stream.of(
                arguments("no hint, no max-age: 5 min", (Function<FakeFetcher, FakeFetcher>) f -> f, 300),
                arguments("max-age 90 s", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.maxAge = Duration.ofSeconds(90);
                    return f;
                }, 90),
                arguments("max-age 5 s clamped to 30 s", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.maxAge = Duration.ofSeconds(5);
                    return f;
                }, 30),
                arguments("max-age 0 clamped to 30 s", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.maxAge = Duration.ZERO;
                    return f;
                }, 30),
                arguments("max-age 1 day clamped to 1 h", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.maxAge = Duration.ofDays(1);
                    return f;
                }, 3600),
                arguments("refresh hint 120 s", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.body = bundle(120, K1);
                    return f;
                }, 120),
                arguments("refresh hint 10 s clamped to 30 s", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.body = bundle(10, K1);
                    return f;
                }, 30),
                arguments("refresh hint 2 h clamped to 1 h", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.body = bundle(7200, K1);
                    return f;
                }, 3600),
                arguments("refresh hint wins over max-age", (Function<FakeFetcher, FakeFetcher>) f -> {
                    f.body = bundle(120, K1);
                    f.maxAge = Duration.ofSeconds(600);
                    return f;
                }, 120));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refreshSchedules")
    void refreshesOnSchedule(String name, Function<FakeFetcher, FakeFetcher> setup, long expectedSeconds) throws Exception {
        FakeFetcher fetcher = setup.apply(new FakeFetcher().serving(K1));
        KeySourceCache cache = syncCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        clock.advance(Duration.ofSeconds(expectedSeconds).minusMillis(1));
        cache.candidates(SOURCE, "k1", "ES256", fetcher);
        assertThat(fetcher.calls).as("no refresh before %d s", expectedSeconds).hasValue(1);

        clock.advance(Duration.ofMillis(1));
        cache.candidates(SOURCE, "k1", "ES256", fetcher);
        assertThat(fetcher.calls).as("refresh at %d s", expectedSeconds).hasValue(2);

        cache.candidates(SOURCE, "k1", "ES256", fetcher);
        assertThat(fetcher.calls).as("the next refresh is scheduled anew").hasValue(2);
    }

    @Test
    void backgroundRefreshNeverBlocksRequests() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = poolCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        CountDownLatch gate = new CountDownLatch(1);
        fetcher.gate = gate;
        fetcher.body = jwks(K1, K2);
        clock.advance(Duration.ofMinutes(5));

        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<List<String>> answer = caller.submit(() -> kids(cache.candidates(SOURCE, "k1", "ES256", fetcher)));
            assertThat(answer.get(2, TimeUnit.SECONDS)).containsExactly("k1");
            assertThat(fetcher.entered.await(5, TimeUnit.SECONDS)).isTrue();
            // more requests while the refresh hangs: answered from the cache, no second fetch
            for (int i = 0; i < 20; i++) {
                assertThat(caller.submit(() -> kids(cache.candidates(SOURCE, "k1", "ES256", fetcher)))
                        .get(2, TimeUnit.SECONDS)).containsExactly("k1");
            }
            assertThat(fetcher.calls).hasValue(2);
        } finally {
            gate.countDown();
            caller.shutdownNow();
        }
        // once the refresh lands, the rotated key is served without another fetch
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        fetcher.gate = null;
        List<String> kids;
        do {
            kids = kids(cache.candidates(SOURCE, null, "ES256", fetcher));
        } while (kids.size() < 2 && System.nanoTime() < deadline);
        assertThat(kids).containsExactly("k1", "k2");
        assertThat(fetcher.calls).hasValue(2);
    }

    // ---- unknown kid ----

    @Test
    void unknownKidRefetchesAtMostOncePerTenSeconds() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        clock.advance(Duration.ofSeconds(10));
        assertRejected(() -> cache.candidates(SOURCE, "nope", "ES256", fetcher), Reason.UNKNOWN_KID,
                "SVID key id 'nope' is not published at " + SOURCE);
        assertThat(fetcher.calls).as("one refetch for the miss").hasValue(2);

        for (int i = 0; i < 1000; i++) {
            String kid = "nope-" + i;
            assertRejected(() -> cache.candidates(SOURCE, kid, "ES256", fetcher), Reason.UNKNOWN_KID, kid);
            clock.advance(Duration.ofMillis(9)); // 9 s over the loop
        }
        assertThat(fetcher.calls).as("no refetch within 10 s").hasValue(2);

        clock.advance(Duration.ofSeconds(1));
        assertRejected(() -> cache.candidates(SOURCE, "again", "ES256", fetcher), Reason.UNKNOWN_KID, "'again'");
        assertThat(fetcher.calls).hasValue(3);
        // the known key keeps working all along
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        assertThat(fetcher.calls).hasValue(3);
    }

    @Test
    void missesFromManyThreadsOverAMinuteFetchAtMostOncePerTenSeconds() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = poolCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        ExecutorService attackers = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                futures.add(attackers.submit(() -> {
                    for (int i = 0; i < 125; i++) {
                        try {
                            cache.candidates(SOURCE, "kid-" + id + "-" + i, "ES256", fetcher);
                        } catch (KeySourceException e) {
                            assertThat(KeySourceKeyResolver.rejection(e).reason()).isEqualTo(Reason.UNKNOWN_KID);
                        }
                        clock.advance(Duration.ofMillis(60)); // 1000 misses over 60 s of fake time
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            attackers.shutdownNow();
        }
        // 60 s of misses: at most one refetch per 10 s (plus the initial fetch)
        assertThat(fetcher.calls.get()).isBetween(2, 1 + 7);
    }

    @Test
    void concurrentMissesCoalesceIntoOneFetch() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = poolCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        fetcher.body = jwks(K1, K2); // k2 rotates in
        CountDownLatch gate = new CountDownLatch(1);
        fetcher.gate = gate;
        clock.advance(Duration.ofSeconds(11));

        int threads = 16;
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<String>>> answers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                answers.add(callers.submit(() -> {
                    start.await();
                    return kids(cache.candidates(SOURCE, "k2", "ES256", fetcher));
                }));
            }
            start.countDown();
            assertThat(fetcher.entered.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(150); // let the other callers pile up on the in-flight fetch
            gate.countDown();
            for (Future<List<String>> a : answers) {
                assertThat(a.get(10, TimeUnit.SECONDS)).containsExactly("k2");
            }
        } finally {
            gate.countDown();
            callers.shutdownNow();
        }
        assertThat(fetcher.calls).hasValue(2);
    }

    @Test
    void concurrentFirstRequestsCoalesceIntoOneFetch() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        CountDownLatch gate = new CountDownLatch(1);
        fetcher.gate = gate;
        KeySourceCache cache = poolCache();

        ExecutorService callers = Executors.newFixedThreadPool(16);
        try {
            List<Future<List<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                answers.add(callers.submit(() -> kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))));
            }
            assertThat(fetcher.entered.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100);
            gate.countDown();
            for (Future<List<String>> a : answers) {
                assertThat(a.get(10, TimeUnit.SECONDS)).containsExactly("k1");
            }
        } finally {
            gate.countDown();
            callers.shutdownNow();
        }
        assertThat(fetcher.calls).hasValue(1);
    }

    @Test
    void rotatedKeyIsAcceptedAfterTheRefetch() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        fetcher.body = jwks(K2); // k1 retired, k2 published
        clock.advance(Duration.ofSeconds(20));
        assertThat(kids(cache.candidates(SOURCE, "k2", "ES256", fetcher))).containsExactly("k2");
        assertThat(fetcher.calls).hasValue(2);
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.UNKNOWN_KID, "'k1'");
    }

    // ---- failures ----

    /** A key set beyond {@link KeyLimits} is a failed fetch: the last-known-good keys stay; with nothing cached, key_source_unavailable. */
    @Test
    void aKeySetBeyondTheLimitsKeepsTheLastKnownGoodKeys() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        // the same kid twice: the set is refused as a whole, never half-used
        fetcher.serving(K2, KeySetParserTest.generateEc(Curve.P_256, "k2"));
        clock.advance(Duration.ofMinutes(5));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        assertThat(fetcher.calls).hasValue(2);
        assertThat(cache.state(SOURCE).toString()).contains("two signing keys with kid 'k2'");

        KeySourceCache cold = syncCache();
        assertRejected(() -> cold.candidates(SOURCE, "k2", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "two signing keys with kid 'k2'");
    }

    @Test
    void failedRefreshKeepsTheLastKnownGoodKeys() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        fetcher.failing = true;
        clock.advance(Duration.ofMinutes(5));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        assertThat(fetcher.calls).hasValue(2);

        // retried after the minimum interval, not on every request
        clock.advance(Duration.ofSeconds(29));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        assertThat(fetcher.calls).hasValue(2);
        clock.advance(Duration.ofSeconds(1));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        assertThat(fetcher.calls).hasValue(3);

        // an unknown kid is still just unknown, not "unavailable"
        clock.advance(Duration.ofSeconds(10));
        assertRejected(() -> cache.candidates(SOURCE, "k9", "ES256", fetcher), Reason.UNKNOWN_KID, "'k9'");

        // a garbage answer is a failure too
        fetcher.failing = false;
        fetcher.body = "<html>maintenance</html>".getBytes(StandardCharsets.UTF_8);
        clock.advance(Duration.ofMinutes(1));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        // so is a document whose only signing key cannot be used
        fetcher.body = "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\",\"crv\":\"P-256\"}]}".getBytes(StandardCharsets.UTF_8);
        clock.advance(Duration.ofMinutes(1));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
    }

    static Stream<Arguments> documentsWithoutJwtSvidKeys() {
        String x509Only = "{\"spiffe_sequence\":2,\"spiffe_refresh_hint\":300,\"keys\":[{\"use\":\"x509-svid\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
                + K2.getX() + "\",\"y\":\"" + K2.getY() + "\"}]}";
        return Stream.of(
                arguments("empty JWKS", "{\"keys\":[]}"),
                arguments("empty bundle", "{\"keys\":[],\"spiffe_sequence\":2}"),
                arguments("bundle with only an x509-svid authority", x509Only));
    }

    /**
     * SPIRE with JWT-SVIDs disabled (or a trust domain that withdrew its keys) answers with a
     * well-formed document without JWT-SVID keys: it replaces the cached keys at the next
     * refresh, so SVIDs signed with them fail as unknown_kid from then on, not 24 h later.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("documentsWithoutJwtSvidKeys")
    void wellFormedDocumentWithoutJwtSvidKeysReplacesTheCachedKeys(String name, String document) throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");

        fetcher.body = document.getBytes(StandardCharsets.UTF_8);
        clock.advance(Duration.ofMinutes(5));
        // the request that finds the refresh due still uses the keys it had; the refresh replaces them
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        assertThat(fetcher.calls).hasValue(2);
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.UNKNOWN_KID,
                "SVID key id 'k1' is not published at " + SOURCE);
        assertRejected(() -> cache.candidates(SOURCE, null, "ES256", fetcher), Reason.UNKNOWN_KID,
                "no key published at " + SOURCE + " can verify ES256");

        // a later failure keeps the (empty) last-known-good set: still unknown, not unavailable
        fetcher.failing = true;
        clock.advance(Duration.ofMinutes(5));
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.UNKNOWN_KID, "'k1'");

        // keys published again are used again
        fetcher.failing = false;
        fetcher.body = jwks(K2);
        clock.advance(Duration.ofSeconds(11));
        assertThat(kids(cache.candidates(SOURCE, "k2", "ES256", fetcher))).containsExactly("k2");
    }

    @Test
    void firstFetchWithoutJwtSvidKeysIsUnknownKidNotUnavailable() throws Exception {
        FakeFetcher fetcher = new FakeFetcher();
        fetcher.body = "{\"keys\":[]}".getBytes(StandardCharsets.UTF_8);
        KeySourceCache cache = syncCache();
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.UNKNOWN_KID,
                "SVID key id 'k1' is not published at " + SOURCE);
        assertThat(fetcher.calls).as("the fetch succeeded; no immediate refetch for the miss").hasValue(1);
    }

    @Test
    void noKeysAndAFailingSourceIsUnavailableAndNotHammered() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        fetcher.failing = true;
        KeySourceCache cache = syncCache();

        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "key source " + SOURCE + " is unavailable: key source " + SOURCE + " answered HTTP 503");
        for (int i = 0; i < 50; i++) {
            assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                    "answered HTTP 503");
            clock.advance(Duration.ofMillis(199)); // 9.95 s
        }
        assertThat(fetcher.calls).as("no refetch within 10 s of a failure").hasValue(1);

        clock.advance(Duration.ofMillis(50));
        fetcher.failing = false;
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
        assertThat(fetcher.calls).hasValue(2);
    }

    @Test
    void crashingFetcherIsAFailureNotAnError() {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        fetcher.crash = new IllegalStateException("connection pool shut down");
        KeySourceCache cache = syncCache();
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "connection pool shut down");
    }

    @Test
    void rejectedExecutionIsAFailureNotAnError() {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), clock, r -> {
            throw new java.util.concurrent.RejectedExecutionException("shutting down");
        });
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "cannot schedule a fetch");
        assertThat(fetcher.calls).hasValue(0);
    }

    @Test
    void slowFirstFetchTimesOut() {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        CountDownLatch gate = new CountDownLatch(1);
        fetcher.gate = gate;
        KeySourceSettings d = KeySourceSettings.defaults();
        KeySourceCache cache = new KeySourceCache(new KeySourceSettings(d.minRefresh, d.maxRefresh, d.defaultRefresh,
                d.missInterval, d.maxStaleness, Duration.ofMillis(200)), clock, pool);
        try {
            long start = System.nanoTime();
            assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                    SOURCE + " did not answer within");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } finally {
            gate.countDown();
        }
    }

    /** A fetcher of one realm: its fetches count against that realm's lane. */
    private static KeyFetcher inLane(String lane, KeyFetcher f) {
        return new KeyFetcher() {
            @Override
            public FetchedDocument fetch(URI uri) throws KeySourceException {
                return f.fetch(uri);
            }

            @Override
            public String lane() {
                return lane;
            }
        };
    }

    /**
     * Starvation at the cache: one realm's hanging key sources hold at most its share of
     * the fetch threads; another realm's first fetch runs at once, and the hostile realm's
     * requests give up at the wait deadline with key_source_unavailable.
     */
    @Test
    void hangingSourcesOfOneRealmDoNotDelayAnotherRealmsFirstFetch() throws Exception {
        FetchScheduler scheduler = new FetchScheduler(4, 2, 100, Executors.defaultThreadFactory());
        KeySourceSettings d = KeySourceSettings.defaults();
        KeySourceCache cache = new KeySourceCache(new KeySourceSettings(d.minRefresh, d.maxRefresh, d.defaultRefresh,
                d.missInterval, d.maxStaleness, Duration.ofMillis(500)), clock, scheduler);
        CountDownLatch gate = new CountDownLatch(1);
        ExecutorService requests = Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<Long>> hostile = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                FakeFetcher hanging = new FakeFetcher().serving(K1);
                hanging.gate = gate;
                URI url = URI.create("https://hostile-" + i + ".test/keys");
                hostile.add(requests.submit(() -> {
                    long start = System.nanoTime();
                    assertRejected(() -> cache.candidates(url, "k1", "ES256", inLane("realm-a", hanging)),
                            Reason.KEY_SOURCE_UNAVAILABLE, "did not answer within");
                    return (System.nanoTime() - start) / 1_000_000;
                }));
            }
            Thread.sleep(100);

            long start = System.nanoTime();
            List<VerificationKey> keys = cache.candidates(SOURCE, "k2", "ES256", inLane("realm-b", new FakeFetcher().serving(K2)));

            assertThat(kids(keys)).containsExactly("k2");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(400));
            // realm-b's worker finishes its bookkeeping just after handing over the keys
            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (scheduler.running() > 2 && System.nanoTime() < settle) {
                Thread.sleep(5);
            }
            assertThat(scheduler.running()).as("fetches running: realm-a's share only").isEqualTo(2);
            for (java.util.concurrent.Future<Long> h : hostile) {
                assertThat(h.get(5, TimeUnit.SECONDS)).as("ms until a hostile request gave up").isBetween(400L, 3000L);
            }
        } finally {
            gate.countDown();
            requests.shutdownNow();
            scheduler.close();
        }
    }

    @Test
    void aRealmThatNeedsAFetchWaitingInAnotherRealmsLaneRunsItAtOnce() throws Exception {
        FetchScheduler scheduler = new FetchScheduler(4, 1, 100, Executors.defaultThreadFactory());
        KeySourceSettings d = KeySourceSettings.defaults();
        KeySourceCache cache = new KeySourceCache(new KeySourceSettings(d.minRefresh, d.maxRefresh, d.defaultRefresh,
                d.missInterval, d.maxStaleness, Duration.ofMillis(1500)), clock, scheduler);
        CountDownLatch gate = new CountDownLatch(1);
        ExecutorService requests = Executors.newFixedThreadPool(2);
        try {
            FakeFetcher hanging = new FakeFetcher().serving(K1);
            hanging.gate = gate;
            requests.submit(() -> cache.candidates(URI.create("https://hostile.test/keys"), "k1", "ES256", inLane("realm-a", hanging)));
            assertThat(hanging.entered.await(2, TimeUnit.SECONDS)).isTrue();
            // realm-a also names the shared source: its fetch waits behind realm-a's hanging one
            FakeFetcher shared = new FakeFetcher().serving(K2);
            requests.submit(() -> cache.candidates(SOURCE, "k2", "ES256", inLane("realm-a", shared)));
            Thread.sleep(200);
            assertThat(shared.calls).hasValue(0);

            long start = System.nanoTime();
            List<VerificationKey> keys = cache.candidates(SOURCE, "k2", "ES256", inLane("realm-b", shared));

            assertThat(kids(keys)).containsExactly("k2");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1000));
            assertThat(shared.calls).hasValue(1);
        } finally {
            gate.countDown();
            requests.shutdownNow();
            scheduler.close();
        }
    }

    @Test
    void keysOlderThanADayAreNotUsedWhenTheSourceStaysDown() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        cache.candidates(SOURCE, "k1", "ES256", fetcher);

        fetcher.failing = true;
        clock.advance(Duration.ofHours(23).plusMinutes(59));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");

        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "keys cached from " + SOURCE + " are older than 24 h and cannot be refreshed");
        assertRejected(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "older than 24 h");

        fetcher.failing = false;
        clock.advance(Duration.ofSeconds(10));
        assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
    }

    @Test
    void successfulRefreshesKeepKeysFreshIndefinitely() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();
        for (int hour = 0; hour < 48; hour++) {
            assertThat(kids(cache.candidates(SOURCE, "k1", "ES256", fetcher))).containsExactly("k1");
            clock.advance(Duration.ofHours(1));
        }
    }

    // ---- OIDC discovery ----

    private static final String ISSUER = "https://oidc.example.org";
    private static final URI DISCOVERY = URI.create(ISSUER + "/.well-known/openid-configuration");

    static byte[] discovery(String issuer, String jwksUri) {
        return ("{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + jwksUri + "\",\"authorization_endpoint\":\"\","
                + "\"response_types_supported\":[\"id_token\"]}").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void discoveryUrlFollowsOidcDiscovery() {
        assertThat(KeySourceCache.discoveryUrl(ISSUER)).isEqualTo(DISCOVERY);
        assertThat(KeySourceCache.discoveryUrl(ISSUER + "/")).isEqualTo(DISCOVERY);
        assertThat(KeySourceCache.discoveryUrl("https://idp.example.org/tenant-a"))
                .isEqualTo(URI.create("https://idp.example.org/tenant-a/.well-known/openid-configuration"));
    }

    @Test
    void discoveredJwksUriIsCached() throws Exception {
        FakeFetcher fetcher = new FakeFetcher();
        fetcher.body = discovery(ISSUER, ISSUER + "/keys");
        KeySourceCache cache = syncCache();

        assertThat(cache.discoverJwksUri(ISSUER, fetcher)).isEqualTo(URI.create(ISSUER + "/keys"));
        assertThat(cache.discoverJwksUri(ISSUER, fetcher)).isEqualTo(URI.create(ISSUER + "/keys"));
        assertThat(fetcher.uris).containsExactly(DISCOVERY);
        assertThat(cache.fetchCounts()).containsEntry(DISCOVERY.toString(), 1L);

        fetcher.body = discovery(ISSUER, "https://keys.example.org/jwks");
        clock.advance(Duration.ofMinutes(5));
        cache.discoverJwksUri(ISSUER, fetcher); // triggers the refresh
        assertThat(cache.discoverJwksUri(ISSUER, fetcher)).isEqualTo(URI.create("https://keys.example.org/jwks"));
        assertThat(fetcher.calls).hasValue(2);
    }

    @Test
    void discoveryDocumentMustNameThePinnedIssuer() {
        FakeFetcher fetcher = new FakeFetcher();
        fetcher.body = discovery("https://evil.example", ISSUER + "/keys");
        KeySourceCache cache = syncCache();
        assertRejected(() -> cache.discoverJwksUri(ISSUER, fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "names issuer 'https://evil.example', not the pinned issuer '" + ISSUER + "'");
    }

    /** Both issuers share one discovery URL, but the document can only be right for one of them. */
    @Test
    void issuersSharingADiscoveryUrlAreEachCheckedExactly() throws Exception {
        FakeFetcher fetcher = new FakeFetcher();
        fetcher.body = discovery(ISSUER, ISSUER + "/keys");
        KeySourceCache cache = syncCache();

        assertThat(cache.discoverJwksUri(ISSUER, fetcher)).isEqualTo(URI.create(ISSUER + "/keys"));
        assertRejected(() -> cache.discoverJwksUri(ISSUER + "/", fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "names issuer '" + ISSUER + "', not the pinned issuer '" + ISSUER + "/'");
        assertThat(cache.discoverJwksUri(ISSUER, fetcher)).isEqualTo(URI.create(ISSUER + "/keys"));
    }

    @Test
    void unreachableDiscoveryIsUnavailable() {
        FakeFetcher fetcher = new FakeFetcher();
        fetcher.failing = true;
        KeySourceCache cache = syncCache();
        assertRejected(() -> cache.discoverJwksUri(ISSUER, fetcher), Reason.KEY_SOURCE_UNAVAILABLE,
                "key source " + DISCOVERY + " is unavailable");
    }

    // ---- read-only state (diagnostics, metrics) ----

    @Test
    void stateIsNullBeforeAnySvidNeedsTheSourceAndNeverFetches() {
        FakeFetcher fetcher = new FakeFetcher().serving(K1);
        KeySourceCache cache = syncCache();

        assertThat(cache.state(SOURCE)).isNull();
        assertThat(cache.sources()).isEmpty();
        assertThat(fetcher.calls.get()).isZero();
    }

    @Test
    void stateShowsKidsFetchTimeAndNextRefreshAndTheNewSourceIsAnnouncedOnce() throws Exception {
        FakeFetcher fetcher = new FakeFetcher().serving(K1, K2);
        fetcher.maxAge = Duration.ofMinutes(2);
        KeySourceCache cache = syncCache();
        List<URI> announced = new CopyOnWriteArrayList<>();
        cache.onNewSource(announced::add);

        cache.candidates(SOURCE, "k1", "ES256", fetcher);
        cache.candidates(SOURCE, "k2", "ES256", fetcher);
        KeySourceState state = cache.state(SOURCE);

        assertThat(announced).containsExactly(SOURCE);
        assertThat(cache.sources()).containsExactly(SOURCE);
        assertThat(state.kids()).containsExactlyInAnyOrder("k1", "k2");
        assertThat(state.fetchedAt()).isEqualTo(clock.instant());
        assertThat(state.nextRefresh()).isEqualTo(clock.instant().plus(Duration.ofMinutes(2)));
        assertThat(state.lastFailure()).isNull();
        assertThat(fetcher.calls.get()).isEqualTo(1);
    }

    @Test
    void stateOfAFailingSourceHasNoKeysAndNamesTheFailure() {
        FakeFetcher fetcher = new FakeFetcher();
        fetcher.failing = true;
        KeySourceCache cache = syncCache();

        assertThatThrownBy(() -> cache.candidates(SOURCE, "k1", "ES256", fetcher)).isInstanceOf(KeySourceException.class);
        KeySourceState state = cache.state(SOURCE);

        assertThat(state.kids()).isEmpty();
        assertThat(state.fetchedAt()).isNull();
        assertThat(state.lastFailure()).contains("HTTP 503");
    }
}
