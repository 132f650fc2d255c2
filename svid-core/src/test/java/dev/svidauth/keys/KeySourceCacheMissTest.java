package dev.svidauth.keys;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.svid.TestCertificates;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The unknown-kid path of {@link KeySourceCache} when a refetch finishes under a request's feet. */
class KeySourceCacheMissTest {

    private static final URI SOURCE = URI.create("https://spire.example/keys");

    /** A settable clock that can run an action, once, on the n-th reading after being armed. */
    private static final class HookClock extends Clock {
        final AtomicLong millis = new AtomicLong(1_000_000);
        final AtomicInteger countdown = new AtomicInteger(-1);
        final AtomicReference<Runnable> hook = new AtomicReference<>();

        void arm(int readings, Runnable action) {
            hook.set(action);
            countdown.set(readings);
        }

        @Override
        public long millis() {
            if (countdown.get() > 0 && countdown.decrementAndGet() == 0) {
                Runnable r = hook.getAndSet(null);
                if (r != null) {
                    r.run();
                }
            }
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** A fetcher that serves whatever {@code served} holds at the time, counting its fetches. */
    private static KeyFetcher serving(AtomicReference<String> served, AtomicInteger fetches) {
        return uri -> {
            fetches.incrementAndGet();
            return new FetchedDocument(served.get().getBytes(StandardCharsets.UTF_8), null);
        };
    }

    private static String jwks(ECKey... keys) {
        StringBuilder sb = new StringBuilder("{\"keys\":[");
        for (int i = 0; i < keys.length; i++) {
            sb.append(i == 0 ? "" : ",").append(keys[i].toPublicJWK().toJSONString());
        }
        return sb.append("]}").toString();
    }

    @Test
    void requestThatMissedWhileARefetchBroughtItsKeyIsNotRejected() throws Exception {
        ECKey oldKey = new ECKeyGenerator(Curve.P_256).keyID("old").algorithm(JWSAlgorithm.ES256).generate();
        ECKey newKey = new ECKeyGenerator(Curve.P_256).keyID("new").algorithm(JWSAlgorithm.ES256).generate();
        AtomicReference<String> served = new AtomicReference<>(jwks(oldKey));
        AtomicInteger fetches = new AtomicInteger();
        KeyFetcher fetcher = serving(served, fetches);
        HookClock clock = new HookClock();
        KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), clock, Runnable::run);

        assertThat(cache.candidates(SOURCE, "old", "ES256", fetcher)).hasSize(1);
        served.set(jwks(oldKey, newKey)); // rotation: the new key is published and starts signing
        clock.millis.addAndGet(Duration.ofSeconds(20).toMillis());

        // Request B reads the cached key set (old only) ... then, before it asks for a refetch,
        // request A's miss refetches and brings the new key. B must see it, not reject.
        AtomicReference<List<VerificationKey>> a = new AtomicReference<>();
        clock.arm(2, () -> {
            try {
                a.set(cache.candidates(SOURCE, "new", "ES256", fetcher));
            } catch (KeySourceException e) {
                throw new AssertionError(e);
            }
        });
        List<VerificationKey> b = cache.candidates(SOURCE, "new", "ES256", fetcher);

        assertThat(a.get()).extracting(VerificationKey::kid).containsExactly("new");
        assertThat(b).extracting(VerificationKey::kid).containsExactly("new");
        assertThat(fetches).hasValue(2);
    }

    @Test
    void requestsArrivingAsTheFirstFetchFinishesShareIt() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k").algorithm(JWSAlgorithm.ES256).generate();
        AtomicInteger fetches = new AtomicInteger();
        KeyFetcher fetcher = uri -> {
            fetches.incrementAndGet();
            return new FetchedDocument(jwks(key).getBytes(StandardCharsets.UTF_8), null);
        };
        HookClock clock = new HookClock();
        KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), clock, Runnable::run);

        // Request B finds nothing cached ... and before it asks for the first fetch, request A's
        // first fetch completes. B must use A's keys, not fetch a second time.
        AtomicReference<List<VerificationKey>> a = new AtomicReference<>();
        clock.arm(1, () -> {
            try {
                a.set(cache.candidates(SOURCE, "k", "ES256", fetcher));
            } catch (KeySourceException e) {
                throw new AssertionError(e);
            }
        });
        List<VerificationKey> b = cache.candidates(SOURCE, "k", "ES256", fetcher);

        assertThat(a.get()).hasSize(1);
        assertThat(b).hasSize(1);
        assertThat(fetches).hasValue(1);
    }

    private static String bundle(X509Certificate... authorities) throws Exception {
        StringBuilder sb = new StringBuilder("{\"spiffe_sequence\":1,\"keys\":[");
        for (int i = 0; i < authorities.length; i++) {
            java.security.interfaces.ECPublicKey k = (java.security.interfaces.ECPublicKey) authorities[i].getPublicKey();
            ECKey jwk = new ECKey.Builder(Curve.P_256, k).x509CertChain(List.of(com.nimbusds.jose.util.Base64.encode(
                    authorities[i].getEncoded()))).build();
            String json = jwk.toJSONString();
            sb.append(i == 0 ? "" : ",").append(json, 0, json.length() - 1).append(",\"use\":\"x509-svid\"}");
        }
        return sb.append("]}").toString();
    }

    /**
     * The X.509 miss path: a chain failed against the authorities the request read; before it asks
     * for a refetch (here: while it waits for the entry's lock), another request's refetch brings the
     * new CA and the rate limit then refuses a second one. The request must use the newer
     * authorities, not its stale view (seen in CI during a CA rotation under 16 workers).
     */
    @Test
    void anX509MissWhileARefetchBroughtTheNewAuthorityIsNotRefused() throws Exception {
        Instant now = Instant.now();
        X509Certificate oldCa = TestCertificates.root("example.org", now).cert();
        X509Certificate newCa = TestCertificates.root("example.org", now).cert();
        AtomicReference<String> served = new AtomicReference<>(bundle(oldCa));
        AtomicInteger fetches = new AtomicInteger();
        KeyFetcher fetcher = serving(served, fetches);
        HookClock clock = new HookClock();
        KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), clock, Runnable::run);

        List<X509Certificate> seen = cache.x509Authorities(SOURCE, fetcher, "example.org");
        assertThat(seen).containsExactly(oldCa);
        served.set(bundle(oldCa, newCa)); // rotation: the new CA signs at once
        clock.millis.addAndGet(Duration.ofSeconds(20).toMillis());

        // request A's miss refetches in the moment request B asks for its own refetch
        AtomicReference<List<X509Certificate>> a = new AtomicReference<>();
        clock.arm(1, () -> a.set(cache.x509AuthoritiesAfterMiss(SOURCE, fetcher, seen)));
        List<X509Certificate> b = cache.x509AuthoritiesAfterMiss(SOURCE, fetcher, seen);

        assertThat(a.get()).containsExactly(oldCa, newCa);
        assertThat(b).as("request B after A's refetch").containsExactly(oldCa, newCa);
        assertThat(fetches).hasValue(2);
    }
}
