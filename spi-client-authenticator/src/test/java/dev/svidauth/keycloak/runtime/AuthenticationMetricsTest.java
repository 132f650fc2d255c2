package dev.svidauth.keycloak.runtime;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.keys.KeySourceSettings;
import dev.svidauth.keys.FetchedDocument;
import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceCache;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class AuthenticationMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AuthenticationMetrics metrics = new AuthenticationMetrics(registry);

    @Test
    void anAuthenticationIsCountedAndTimedWithBoundedTags() {
        metrics.record("svid", AuthenticationMetrics.SUCCESS, AuthenticationMetrics.NO_REASON, TimeUnit.MILLISECONDS.toNanos(3));
        metrics.record("svid", AuthenticationMetrics.REJECTED, "bad_signature", TimeUnit.MILLISECONDS.toNanos(40));

        assertThat(registry.get(AuthenticationMetrics.METRIC_AUTHENTICATIONS)
                .tags("realm", "svid", "outcome", "success", "reason", "none").counter().count()).isEqualTo(1);
        Timer rejected = registry.get(AuthenticationMetrics.METRIC_DURATION).tags("outcome", "rejected", "reason", "bad_signature").timer();
        assertThat(rejected.count()).isEqualTo(1);
        assertThat(rejected.getId().getTags()).extracting(t -> t.getKey()).containsExactlyInAnyOrder("outcome", "reason");
        CountAtBucket[] buckets = rejected.takeSnapshot().histogramCounts();
        assertThat(buckets).hasSize(13);
        assertThat(Arrays.stream(buckets).filter(b -> b.bucket(TimeUnit.MILLISECONDS) == 50).findFirst().orElseThrow().count()).isEqualTo(1);
        assertThat(Arrays.stream(buckets).filter(b -> b.bucket(TimeUnit.MILLISECONDS) == 25).findFirst().orElseThrow().count()).isZero();
    }

    @Test
    void keySourceGaugesFollowTheCacheUpToTheCapAndGoAwayOnClose() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        KeyFetcher fetcher = url -> new FetchedDocument(jwks, null);
        KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), Clock.systemUTC(), Runnable::run);
        metrics.watch(cache);

        int sources = AuthenticationMetrics.MAX_TAGGED_SOURCES + 3;
        for (int i = 0; i < sources; i++) {
            cache.candidates(URI.create("https://keys" + i + ".example.org/keys"), "k1", "ES256", fetcher);
        }

        assertThat(registry.get(AuthenticationMetrics.METRIC_SOURCES).gauge().value()).isEqualTo(sources);
        assertThat(registry.find(AuthenticationMetrics.METRIC_SOURCE_KEYS).gauges()).hasSize(AuthenticationMetrics.MAX_TAGGED_SOURCES);
        assertThat(registry.get(AuthenticationMetrics.METRIC_SOURCE_KEYS).tag("source", "https://keys0.example.org/keys").gauge().value())
                .isEqualTo(1);
        double age = registry.get(AuthenticationMetrics.METRIC_SOURCE_AGE).tag("source", "https://keys0.example.org/keys").gauge().value();
        assertThat(age).isBetween(0.0, (double) Duration.ofMinutes(1).toSeconds());

        metrics.close();
        assertThat(registry.getMeters()).extracting(Meter::getId).extracting(Meter.Id::getName)
                .doesNotContain(AuthenticationMetrics.METRIC_SOURCES, AuthenticationMetrics.METRIC_SOURCE_KEYS, AuthenticationMetrics.METRIC_SOURCE_AGE);
    }

    /** A key-source URL (a registrant may supply one) is a metric tag: cut like every value written elsewhere. */
    @Test
    void aLongKeySourceUrlIsCutInItsTag() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        KeyFetcher fetcher = url -> new FetchedDocument(jwks, null);
        KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), Clock.systemUTC(), Runnable::run);
        metrics.watch(cache);
        String url = "https://keys.example.org/" + "p".repeat(4000);

        cache.candidates(URI.create(url), "k1", "ES256", fetcher);

        String tag = registry.get(AuthenticationMetrics.METRIC_SOURCE_KEYS).gauge().getId().getTag("source");
        assertThat(tag).hasSize(dev.svidauth.rejection.Printable.MAX_VALUE_CHARS).startsWith("https://keys.example.org/ppp").endsWith("...");
        metrics.close();
    }
}
