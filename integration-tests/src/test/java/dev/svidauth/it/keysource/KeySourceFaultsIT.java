package dev.svidauth.it.keysource;

import dev.svidauth.it.support.Load;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.FormPost;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.SpireEmulator.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key source that goes down, hangs, or answers with garbage: cached keys keep working, the
 * refetch an unknown kid forces is refused, a warning naming the URL lands in the server log, and
 * a key source that comes back is used again. A key source that answers well with no JWT-SVID key
 * has withdrawn the keys: they stop working. Each scenario has an emulator of its own.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeySourceFaultsIT {

    /** A miss may refetch once per 10 s per URL (DESIGN "Key sources"). */
    private static final Duration MISS_INTERVAL = Duration.ofSeconds(10);
    /** The server's key-source read timeout (provider default). */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private final SvidRealm env;
    private final Map<String, OwnKeySource> sources = new LinkedHashMap<>();
    private long warmedAt;

    KeySourceFaultsIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void startSourcesAndWarmTheirCache() {
        for (String name : List.of("down", "slow", "http500", "html", "empty-set", "unusable", "huge", "redirect")) {
            sources.put(name, OwnKeySource.jwks(env, name));
        }
        sources.put("elsewhere", OwnKeySource.jwks(env, "elsewhere"));
        // SPIRE's bundle endpoint: x509-svid authority first, then the jwt-svid keys
        sources.put("jwt-disabled", OwnKeySource.start(env, "jwt-disabled", b -> b.x509Authority(true),
                s -> Map.of("svid.jwks.uri", env.forKeycloak(s.bundleUrl()))));
        for (OwnKeySource src : sources.values()) {
            FormPost.Answer warm = src.token(src.validSvid());
            assertThat(warm.status).as(src.clientId + " warm-up: " + warm).isEqualTo(200);
        }
        warmedAt = System.nanoTime();
    }

    @AfterAll
    void stopSources() {
        sources.values().forEach(OwnKeySource::close);
    }

    /** Waits until an unknown kid may refetch again (10 s after the warm-up fetch). */
    private void awaitMissWindow() {
        OwnKeySource.sleep(MISS_INTERVAL.plusMillis(500).minusNanos(System.nanoTime() - warmedAt));
    }



    private static void assertUnknownKid(FormPost.Answer answer) {
        Rejections.assertTerse(answer, "unknown_kid");
    }

    private static void assertAccepted(FormPost.Answer answer) {
        assertThat(answer.status).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json.has("access_token")).isTrue();
    }

    /**
     * The fault is on; an unknown kid forces a refetch, which must reach the endpoint, be refused
     * (still unknown_kid), keep the cached keys (a valid SVID is accepted) and log a WARN naming
     * the URL and what was wrong.
     */
    private void assertRefusedAndKept(OwnKeySource src, String problem) {
        awaitMissWindow();
        int mark = env.logMark();
        long before = src.spire.keysRequests();

        assertUnknownKid(src.token(src.unknownKidSvid()));
        assertThat(src.spire.keysRequests()).as("the forced refetch reached the endpoint").isEqualTo(before + 1);
        assertAccepted(src.token(src.validSvid()));

        List<String> warnings = env.logLines(mark, "WARN", src.keySource.toString(), problem, "keeping the last-known-good keys");
        assertThat(warnings).as("WARN line naming " + src.keySource + " and '" + problem + "'").isNotEmpty();
        System.out.println("[faults] " + warnings.get(0));
    }

    @Test
    void http500IsRefusedAndLastKnownGoodKeysAreKept() {
        OwnKeySource src = sources.get("http500");
        src.spire.failWith(500, Endpoint.KEYS);
        assertRefusedAndKept(src, "answered HTTP 500");
    }

    @Test
    void htmlPageIsRefusedAndLastKnownGoodKeysAreKept() {
        OwnKeySource src = sources.get("html");
        src.spire.serveRaw("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n",
                "text/html; charset=utf-8", Endpoint.KEYS);
        assertRefusedAndKept(src, "did not return JSON");
    }

    /**
     * The key source answers, well-formed, with no JWT-SVID key: the forced refetch replaces the
     * cached keys, so the SVIDs they verified fail as unknown_kid from then on (SPIFFE Trust Domain
     * and Bundle spec: the bundle is the trust domain's complete set of authorities), a WARN names
     * the URL, and keys published again are picked up by the next miss. (An empty set used to be
     * refused like garbage, keeping the old keys trusted for up to 24 h.)
     */
    private void assertWithdrawn(OwnKeySource src, Endpoint endpoint) {
        awaitMissWindow();
        int mark = env.logMark();
        long before = src.spire.requests(endpoint);
        String keptSvid = src.validSvid();

        assertUnknownKid(src.token(src.unknownKidSvid()));
        assertThat(src.spire.requests(endpoint)).as("the forced refetch reached the endpoint").isEqualTo(before + 1);
        FormPost.Answer withdrawn = src.token(keptSvid);
        assertUnknownKid(withdrawn);
        assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("unknown_kid");
        assertThat(src.spire.requests(endpoint)).as("no refetch within the miss interval").isEqualTo(before + 1);

        List<String> warnings = env.logLines(mark, "WARN", src.keySource.toString(), "publishes no JWT-SVID key");
        assertThat(warnings).as("WARN line naming " + src.keySource).isNotEmpty();
        assertThat(env.logLines(mark, src.keySource.toString(), "keeping the last-known-good keys")).isEmpty();
        System.out.println("[faults] " + warnings.get(0));

        src.spire.reset();
        OwnKeySource.sleep(MISS_INTERVAL.plusMillis(500));
        assertAccepted(src.token(keptSvid));
    }

    @Test
    void emptyKeySetReplacesTheCachedKeys() {
        OwnKeySource src = sources.get("empty-set");
        src.spire.serveRaw("{\n  \"keys\": []\n}", "application/json", Endpoint.KEYS);
        assertWithdrawn(src, Endpoint.KEYS);
    }

    /** SPIRE with JWT-SVIDs disabled serves its bundle with the x509-svid authority only. */
    @Test
    void bundleWithoutJwtSvidKeysReplacesTheCachedKeys() {
        OwnKeySource src = sources.get("jwt-disabled");
        com.fasterxml.jackson.databind.node.ObjectNode bundle =
                (com.fasterxml.jackson.databind.node.ObjectNode) env.getJson(src.spire.bundleUrl());
        com.fasterxml.jackson.databind.node.ArrayNode keys = (com.fasterxml.jackson.databind.node.ArrayNode) bundle.get("keys");
        assertThat(keys).as("x509-svid authority and the jwt-svid key").hasSize(2);
        for (int i = keys.size() - 1; i >= 0; i--) {
            if ("jwt-svid".equals(keys.get(i).path("use").asText())) {
                keys.remove(i);
            }
        }
        assertThat(keys).singleElement().satisfies(k -> assertThat(k.path("use").asText()).isEqualTo("x509-svid"));
        src.spire.serveRaw(bundle.toPrettyString(), "application/json", Endpoint.BUNDLE);
        assertWithdrawn(src, Endpoint.BUNDLE);
    }

    /** Signing keys that cannot be used are still a malformed answer: the cached keys stay. */
    @Test
    void unusableSigningKeysAreRefusedAndLastKnownGoodKeysAreKept() {
        OwnKeySource src = sources.get("unusable");
        src.spire.serveRaw("{\n  \"keys\": [\n    {\n      \"kty\": \"EC\",\n      \"kid\": \"broken\",\n      \"crv\": \"P-256\"\n    }\n  ]\n}",
                "application/json", Endpoint.KEYS);
        assertRefusedAndKept(src, "published no usable signing key");
    }

    @Test
    void fiftyMebibyteBodyIsRefusedAndLastKnownGoodKeysAreKept() {
        OwnKeySource src = sources.get("huge");
        StringBuilder body = new StringBuilder(50 * 1024 * 1024 + 64).append("{\"keys\":[],\"padding\":\"");
        while (body.length() < 50 * 1024 * 1024 - 2) {
            body.append("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        }
        body.setLength(50 * 1024 * 1024 - 2);
        src.spire.serveRaw(body.append("\"}").toString(), "application/json", Endpoint.KEYS);
        assertRefusedAndKept(src, "sent " + (50L * 1024 * 1024) + " bytes; at most 524288 are read");
    }

    @Test
    void redirectToAnotherHostIsNotFollowedAndLastKnownGoodKeysAreKept() {
        OwnKeySource src = sources.get("redirect");
        SpireEmulator elsewhere = sources.get("elsewhere").spire;
        String target = "http://localhost:" + elsewhere.port() + SpireEmulator.KEYS_PATH;
        long elsewhereBefore = elsewhere.keysRequests();
        src.spire.redirectTo(target, Endpoint.KEYS);

        assertRefusedAndKept(src, "answered HTTP 302 (redirect to " + target + " not followed)");
        assertThat(elsewhere.keysRequests()).as("requests at the redirect target").isEqualTo(elsewhereBefore);
    }

    /**
     * The endpoint is down for 30 s: every valid SVID is accepted from the cache, unknown kids
     * force refetches that fail with a warning. It comes back with a rotated key, which the next
     * miss picks up: no restart of anything.
     */
    @Test
    void keySourceDownForALongStretchThenBackWithANewKey() {
        OwnKeySource src = sources.get("down");
        awaitMissWindow();
        int mark = env.logMark();
        String oldKid = src.spire.signingKey().getKeyID();

        src.spire.stop();
        long downSince = System.nanoTime();
        int accepted = 0;
        int probes = 0;
        long lastProbe = 0;
        List<Double> latencies = new ArrayList<>();
        while (System.nanoTime() - downSince < Duration.ofSeconds(30).toNanos()) {
            if (System.nanoTime() - lastProbe > MISS_INTERVAL.plusMillis(500).toNanos()) {
                assertUnknownKid(src.token(src.unknownKidSvid())); // forces a refetch of a dead endpoint
                lastProbe = System.nanoTime();
                probes++;
            }
            long t0 = System.nanoTime();
            assertAccepted(src.token(src.validSvid()));
            latencies.add((System.nanoTime() - t0) / 1e6);
            accepted++;
            OwnKeySource.sleep(Duration.ofMillis(200));
        }
        List<String> warnings = env.logLines(mark, "WARN", src.keySource.toString(), "could not be fetched",
                "keeping the last-known-good keys");
        assertThat(warnings).as("WARN lines for the dead endpoint").isNotEmpty();
        System.out.println("[faults] " + warnings.get(0));

        // SPIRE rotated while its endpoint was unreachable; an SVID from the old key is kept for later
        String oldKeySvid = src.validSvid();
        src.spire.rotate();
        String newKid = src.spire.signingKey().getKeyID();
        String newKeySvid = src.validSvid();
        assertThat(newKid).isNotEqualTo(oldKid);
        assertUnknownKid(src.token(newKeySvid)); // not reachable yet: unknown
        lastProbe = System.nanoTime();

        long keysBefore = src.spire.keysRequests();
        src.spire.restart();
        long backAt = System.nanoTime();
        assertAccepted(src.token(oldKeySvid));
        OwnKeySource.sleep(MISS_INTERVAL.plusMillis(500).minusNanos(System.nanoTime() - lastProbe));
        assertAccepted(src.token(newKeySvid));
        assertAccepted(src.token(src.validSvid()));
        assertAccepted(src.token(oldKeySvid));
        assertThat(src.spire.keysRequests()).as("fetches after the endpoint came back").isGreaterThan(keysBefore);

        latencies.sort(Double::compare);
        System.out.printf("[faults/down] endpoint down %.1f s: %d valid SVIDs accepted from cache (p50 %.0f ms, max %.0f ms), %d forced refetches failed; back up: new key %s accepted %.1f s later%n",
                (backAt - downSince) / 1e9, accepted, latencies.get(latencies.size() / 2), latencies.get(latencies.size() - 1),
                probes + 1, newKid, (System.nanoTime() - backAt) / 1e9);
    }

    /**
     * The endpoint hangs far past the read timeout. Requests whose kid is cached never wait for it;
     * the one whose kid is unknown waits for the refetch, which gives up at the read timeout.
     */
    @Test
    void slowEndpointNeverStallsCachedKeysAndAnUnknownKidFailsWithinTheTimeout() {
        OwnKeySource src = sources.get("slow");
        awaitMissWindow();

        // baseline latency of cached-key requests with a healthy endpoint
        Load baseline = Load.start(2, (t, i) -> src.token(src.validSvid()).status == 200 ? null : "not 200");
        OwnKeySource.sleep(Duration.ofSeconds(3));
        baseline.stop();

        int mark = env.logMark();
        src.spire.responseDelay(Duration.ofSeconds(30), Endpoint.KEYS);
        Load cached = Load.start(2, (t, i) -> {
            FormPost.Answer a = src.token(src.validSvid());
            return a.status == 200 ? null : a.toString();
        });
        OwnKeySource.sleep(Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        FormPost.Answer unknown = src.token(src.unknownKidSvid());
        Duration unknownTook = Duration.ofNanos(System.nanoTime() - t0);
        OwnKeySource.sleep(Duration.ofSeconds(1));
        cached.stop();
        src.spire.reset();

        System.out.printf("[faults/slow] healthy endpoint, cached keys: %s%n", baseline.summary());
        System.out.printf("[faults/slow] endpoint hanging 30 s, cached keys: %s%n", cached.summary());
        System.out.printf("[faults/slow] unknown kid during the hang answered %d after %d ms (read timeout %d ms)%n",
                unknown.status, unknownTook.toMillis(), READ_TIMEOUT.toMillis());

        assertThat(baseline.failures()).isEmpty();
        assertThat(cached.failures()).as("cached-key requests during the hang").isEmpty();
        assertThat(cached.requests()).isGreaterThan(10);
        // "fast": far below the read timeout; the whole hang lasted longer than one timeout
        assertThat(cached.maxMillis()).as("slowest cached-key request (ms)").isLessThan(READ_TIMEOUT.toMillis() / 2.0);
        assertThat(cached.elapsed()).isGreaterThan(READ_TIMEOUT);
        assertUnknownKid(unknown);
        assertThat(unknownTook).as("unknown kid waits at most for the read timeout (+ margin)")
                .isLessThan(READ_TIMEOUT.plus(CONNECT_TIMEOUT).plusSeconds(1))
                .isGreaterThanOrEqualTo(READ_TIMEOUT.minusMillis(500));
        // the read timeout and the total fetch deadline are both 5 s by default: either ends the refetch
        assertThat(env.logLines(mark, "WARN", src.keySource.toString(), "keeping the last-known-good keys"))
                .as("WARN line for the timed-out refetch")
                .anyMatch(l -> l.contains("Read timed out") || l.contains("did not finish its answer within"));
    }

    /**
     * Defence in depth for the SSRF guard: the issuer's discovery document (not the client's
     * settings, which were checked when saved) names a jwks_uri on the cloud metadata address.
     * The fetch is refused before any connection, with a warning.
     */
    @Test
    void discoveredJwksUriOnTheMetadataAddressIsRefusedAtFetchTime() {
        String evilJwks = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
        try (OwnKeySource src = OwnKeySource.start(env, "ssrf-discovery", b -> b.issuer(SpireEmulator.SELF),
                s -> Map.of("svid.issuer", s.issuer()))) {
            src.spire.serveRaw("{\"issuer\":\"" + src.spire.issuer() + "\",\"jwks_uri\":\"" + evilJwks + "\"}",
                    "application/json", Endpoint.DISCOVERY);
            int mark = env.logMark();

            FormPost.Answer answer = src.token(src.validSvid());

            Rejections.assertTerse(answer, "key_source_unavailable");
            assertThat(env.lastLoginError().path("details").path("reason").asText()).isEqualTo("key_source_unavailable");
            assertThat(Rejections.detail(env.lastLoginError())).contains("is unavailable").contains(evilJwks)
                    .contains("'169.254.169.254' is a link-local (cloud metadata) address");
            assertThat(src.spire.discoveryRequests()).isEqualTo(1);
            assertThat(env.logLines(mark, "WARN", evilJwks, "is refused")).isNotEmpty();
        }
    }
}
