package dev.svidauth.it.keysource;

import dev.svidauth.it.support.Load;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.spire.KeyType;
import dev.svidauth.testkit.FormPost;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPIRE-style key rotation (prepare, activate, drop) while workloads keep authenticating, on
 * emulators of this class's own: not one valid request may fail, and the new key works without a
 * restart. And an unknown-kid storm must not turn into a storm of JWKS fetches.
 */
@ExtendWith(SvidEnvironment.class)
class KeyRotationIT {

    private static final Duration MISS_INTERVAL = Duration.ofSeconds(10);
    /** Storm shape: the first half as one burst, the rest one every 40 ms after a 2 s pause (22 s in all). */
    private static Duration departure(int i, int total) {
        return i < total / 2 ? Duration.ZERO : Duration.ofSeconds(2).plus(Duration.ofMillis(40).multipliedBy(i - total / 2));
    }

    private final SvidRealm env;

    KeyRotationIT(SvidRealm env) {
        this.env = env;
    }

    /** Sends a freshly minted SVID (so signed by whatever key signs right now); a failure is any non-200. */
    private static Load.Body validRequests(OwnKeySource src, Load[] self) {
        return (thread, i) -> {
            String svid = src.validSvid();
            FormPost.Answer answer = src.token(svid);
            self[0].tag(OwnKeySource.kidOf(svid));
            return answer.status == 200 && answer.json.has("access_token") ? null
                    : "kid " + OwnKeySource.kidOf(svid) + ": " + answer;
        };
    }

    /**
     * OIDC Discovery Provider keys ({@code Cache-Control: no-cache}, so the 5 min default refresh):
     * the first SVID signed by the activated key is an unknown kid, refetched once; the requests
     * that arrive meanwhile wait for that one fetch.
     */
    @Test
    void rotationUnderLoadLosesNoRequestAndTheNewKeyWorksWithoutRestart() {
        try (OwnKeySource src = OwnKeySource.jwks(env, "rotation")) {
            String oldKid = src.spire.signingKey().getKeyID();
            Load[] load = new Load[1];
            load[0] = Load.start(3, validRequests(src, load));
            long t0 = System.nanoTime();

            OwnKeySource.sleep(Duration.ofSeconds(4));
            src.spire.prepareRotation();                       // published, not signing yet
            String newKid = src.spire.nextKey().orElseThrow().getKeyID();
            // the cache's first fetch happened at t0; a miss may refetch 10 s after it
            OwnKeySource.sleep(MISS_INTERVAL.plusSeconds(2).minusNanos(System.nanoTime() - t0));
            src.spire.activateNextKey();                       // new key signs from now on
            OwnKeySource.sleep(Duration.ofSeconds(7));
            src.spire.dropRetiredKeys();                       // old key unpublished
            OwnKeySource.sleep(Duration.ofSeconds(7));
            load[0].stop();

            Map<String, Long> perKid = load[0].tags();
            System.out.printf("[rotation/jwks] %s; per kid %s; /keys fetches %d%n", load[0].summary(), perKid,
                    src.spire.keysRequests());
            assertThat(load[0].failures()).as("failed valid requests").isEmpty();
            assertThat(perKid.getOrDefault(oldKid, 0L)).as("requests signed by the old key").isPositive();
            assertThat(perKid.getOrDefault(newKid, 0L)).as("requests signed by the new key").isPositive();
            assertThat(load[0].elapsed()).isGreaterThanOrEqualTo(Duration.ofSeconds(20));
            // the first fetch, and one refetch for the new kid however many requests carried it
            assertThat(src.spire.keysRequests()).isEqualTo(2);

            // after the rotation, with the old key gone from the endpoint: new SVIDs keep working
            FormPost.Answer after = src.token(src.validSvid());
            assertThat(after.status).as(after.toString()).isEqualTo(200);
        }
    }

    /**
     * The SPIFFE bundle endpoint with {@code spiffe_refresh_hint} 30 s (the lowest the cache
     * honours): the prepared key is picked up by the hinted background refresh before it ever
     * signs, as SPIRE intends, so activation needs no extra fetch at all. SPIRE here has
     * {@code jwt_key_type = "rsa-2048"}, and its bundle carries the x509-svid authority.
     */
    @Test
    void bundleRefreshHintPicksUpThePreparedKeyBeforeItSigns() {
        try (OwnKeySource src = OwnKeySource.start(env, "rotation-bundle",
                b -> b.refreshHint(Duration.ofSeconds(30)).keyType(KeyType.RSA_2048).x509Authority(true),
                s -> Map.of("svid.jwks.uri", env.forKeycloak(s.bundleUrl())))) {
            assertThat(OwnKeySource.algOf(src.validSvid())).isEqualTo("RS256");
            String oldKid = src.spire.signingKey().getKeyID();
            Load[] load = new Load[1];
            load[0] = Load.start(2, validRequests(src, load));

            OwnKeySource.sleep(Duration.ofSeconds(2));
            src.spire.prepareRotation();
            String newKid = src.spire.nextKey().orElseThrow().getKeyID();
            long deadline = System.nanoTime() + Duration.ofSeconds(50).toNanos();
            while (src.spire.bundleRequests() < 2 && System.nanoTime() < deadline) {
                OwnKeySource.sleep(Duration.ofMillis(100));
            }
            assertThat(src.spire.bundleRequests()).as("hinted refresh within 30 s (+ margin)").isEqualTo(2);
            OwnKeySource.sleep(Duration.ofSeconds(1));
            src.spire.activateNextKey();
            OwnKeySource.sleep(Duration.ofSeconds(4));
            src.spire.dropRetiredKeys();
            OwnKeySource.sleep(Duration.ofSeconds(3));
            load[0].stop();

            Map<String, Long> perKid = load[0].tags();
            System.out.printf("[rotation/bundle] %s; per kid %s; /bundle fetches %d%n", load[0].summary(), perKid,
                    src.spire.bundleRequests());
            assertThat(load[0].failures()).as("failed valid requests").isEmpty();
            assertThat(perKid.getOrDefault(oldKid, 0L)).isPositive();
            assertThat(perKid.getOrDefault(newKid, 0L)).isPositive();
            assertThat(src.spire.bundleRequests()).as("no unknown-kid refetch was needed").isEqualTo(2);
        }
    }

    /**
     * 1000 requests, each with a kid nobody publishes, from 8 threads against a cold cache: 500 as
     * one burst, then 500 more spread over 20 s so the storm spans three 10 s windows. The key
     * source sees the first fetch and then at most one refetch per 10 s (the burst adds none), and
     * valid SVIDs keep working during and after the storm.
     */
    @Test
    void unknownKidStormFetchesAtMostOncePerTenSeconds() throws Exception {
        try (OwnKeySource src = OwnKeySource.jwks(env, "storm")) {
            int total = 1000;
            List<String> storm = new ArrayList<>(total);
            for (int i = 0; i < total; i++) {
                storm.add(src.unknownKidSvid());
            }
            // watch the endpoint's counter to timestamp every fetch it receives
            ConcurrentLinkedQueue<Long> fetchTimes = new ConcurrentLinkedQueue<>();
            Thread watcher = new Thread(() -> {
                long seen = 0;
                while (!Thread.currentThread().isInterrupted()) {
                    long now = src.spire.keysRequests();
                    for (; seen < now; seen++) {
                        fetchTimes.add(System.nanoTime());
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            watcher.setDaemon(true);
            watcher.start();

            AtomicInteger next = new AtomicInteger();
            AtomicInteger burstLeft = new AtomicInteger(total / 2);
            long[] burst = new long[2]; // duration (ns) and /keys fetches when the burst's last answer came
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            long t0 = System.nanoTime();
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                        OwnKeySource.sleep(departure(i, total).minusNanos(System.nanoTime() - t0));
                        FormPost.Answer a = src.token(storm.get(i));
                        if (a.status != 401 || !"invalid_client".equals(a.error()) || !a.description().endsWith("(unknown_kid)")) {
                            wrong.add(a.toString());
                        }
                        if (i < total / 2 && burstLeft.decrementAndGet() == 0) {
                            burst[0] = System.nanoTime() - t0;
                            burst[1] = src.spire.keysRequests();
                        }
                        if (i % 100 == 50) { // a legitimate workload amid the storm
                            FormPost.Answer ok = src.token(src.validSvid());
                            if (ok.status != 200) {
                                wrong.add("valid SVID during the storm: " + ok);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get(10, TimeUnit.MINUTES);
            }
            long elapsedNanos = System.nanoTime() - t0;
            pool.shutdown();
            OwnKeySource.sleep(Duration.ofMillis(100));
            watcher.interrupt();
            watcher.join();

            List<Long> times = new ArrayList<>(fetchTimes);
            List<Long> gapsMs = new ArrayList<>();
            for (int i = 1; i < times.size(); i++) {
                gapsMs.add((times.get(i) - times.get(i - 1)) / 1_000_000);
            }
            double seconds = elapsedNanos / 1e9;
            long windows = (long) Math.floor(seconds / MISS_INTERVAL.toSeconds()) + 1;
            System.out.printf("[storm] burst: %d unknown-kid requests in %.1f s (%.0f rps), /keys fetches %d%n",
                    total / 2, burst[0] / 1e9, total / 2 / (burst[0] / 1e9), burst[1]);
            System.out.printf("[storm] all: %d unknown-kid requests (+%d valid) in %.1f s: %d /keys fetches, gaps %s ms, allowed <= %d%n",
                    total, total / 100, seconds, times.size(), gapsMs, windows);

            assertThat(wrong).as("answers other than 401 unknown kid (or 200 for the valid ones)").isEmpty();
            assertThat(burst[1]).as("fetches by the end of the burst (%.1f s)", burst[0] / 1e9)
                    .isLessThanOrEqualTo((long) Math.floor(burst[0] / 1e9 / MISS_INTERVAL.toSeconds()) + 1);
            assertThat(times.size()).as("fetches").isBetween(2, (int) windows);
            // 10 s apart minus the watcher's resolution and the request's way to the endpoint
            assertThat(gapsMs).allSatisfy(gap -> assertThat(gap).isGreaterThanOrEqualTo(9_800L));

            FormPost.Answer after = src.token(src.validSvid());
            assertThat(after.status).as(after.toString()).isEqualTo(200);
        }
    }
}
