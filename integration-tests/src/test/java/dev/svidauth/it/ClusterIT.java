package dev.svidauth.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.FormPost.Answer;
import dev.svidauth.testkit.KeycloakCluster;
import dev.svidauth.testkit.KeycloakServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real Keycloak 26.7.3 nodes in one cluster ({@link KeycloakCluster}: {@code --cache=ispn},
 * JDBC-PING over a shared PostgreSQL, JGroups on 127.0.0.1), both importing the shipped realm:
 * a client change made through node A's admin REST API is what node B's SVID authentication
 * uses from the first request sent once A has answered (the delay is measured and printed), and
 * a single-use SVID is accepted once across both nodes, also under concurrent requests spread
 * over them.
 *
 * <p>Each case first makes node B build its SPIFFE ID index, so that B can only answer right
 * after the change if the change reached it: without cluster-wide invalidation B would keep its
 * index for the TTL (60 s).
 */
@ExtendWith(ClusterAvailable.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final String REALM = "svid";
    /** An audience both nodes accept (each node's own issuer URL has its own port). */
    private static final String AUDIENCE = "https://keycloak-cluster.test/realms/svid";
    private static final String BASE = "spiffe://example.org/cluster/";
    /** What "at once" must mean at most: the README's cluster-wide figure. */
    private static final Duration PROPAGATION_LIMIT = Duration.ofSeconds(1);
    private static final Duration POLL_LIMIT = Duration.ofSeconds(10);
    /** How many tokens B must issue after A has stopped before the load ends. */
    private static final int TOKENS_AFTER_STOP = 100;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static SpireEmulator spire;
    private static SpireEmulator otherSpire;
    private static KeycloakCluster cluster;
    private static KeycloakServer a;
    private static KeycloakServer b;
    private static final List<String> FIGURES = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        Path jar = Path.of(required("svid.provider.jar"));
        Path realm = Path.of(required("svid.realm.file"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("drop-in JAR " + jar + " is missing: build provider-jar first");
        }
        // as the realm-export expects SPIRE (see SvidEnvironment): jwt_issuer set, X.509 authority in the bundle
        spire = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF).x509Authority(true).start();
        otherSpire = SpireEmulator.builder().trustDomain("example.org").start();
        Path workDir = Path.of(required("keycloak.work.dir")).resolveSibling("keycloak-cluster");
        long t0 = System.nanoTime();
        try {
            cluster = KeycloakCluster.builder().nodes(2).workDir(workDir)
                    .configure((n, kb) -> kb.distZip(Path.of(required("keycloak.dist.zip")))
                            .providerJar(jar)
                            .importRealm(realm)
                            .env("SVID_ISSUER", spire.issuer())
                            .env("SVID_JWKS_URI", spire.jwksUrl().toString())
                            .env("SVID_BUNDLE_URI", spire.bundleUrl().toString())
                            .env("LEGACY_SERVICE_SECRET", SvidRealm.LEGACY_SECRET)
                            .env("WORKLOAD_API_SECRET", SvidRealm.WORKLOAD_API_SECRET)
                            .option("--log-level=INFO,dev.svidauth.keycloak.ClusterIndexInvalidation:DEBUG")
                            .startTimeout(Duration.ofMinutes(5)))
                    .start();
        } catch (RuntimeException e) {
            otherSpire.close();
            spire.close();
            throw e;
        }
        a = cluster.node(0);
        b = cluster.node(1);
        System.out.printf("[cluster] two nodes up in %.1f s: A %s, B %s%n", (System.nanoTime() - t0) / 1e9, a.baseUrl(), b.baseUrl());
    }

    @AfterAll
    static void stopCluster() {
        FIGURES.forEach(f -> System.out.println("[cluster] " + f));
        if (cluster != null) {
            cluster.close();
        }
        if (otherSpire != null) {
            otherSpire.close();
        }
        if (spire != null) {
            spire.close();
        }
    }

    // ---------------------------------------------------------------------------------------
    // The SPIFFE ID index and the clients' settings, cluster-wide
    // ---------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void theClusterHasTwoMembersOnEachNode() {
        assertThat(KeycloakCluster.clusterViewSize(a)).isEqualTo(2);
        assertThat(KeycloakCluster.clusterViewSize(b)).isEqualTo(2);
    }

    @Test
    @Order(2)
    void aClientCreatedOnAAuthenticatesOnB() {
        createClient(a, "warm", Map.of("svid.spiffe.id", BASE + "warm/svc"));
        settled(() -> token(b, svid(BASE + "warm/svc"), null), ok -> isToken(ok, "warm"));

        // B looks the new SPIFFE ID up and finds nothing: its index is fresh, so without news of
        // the change a miss would not rebuild it for the next 2 s
        assertRefused(token(b, svid(BASE + "created/svc"), null), "no client of realm");
        createClient(a, "created", Map.of("svid.spiffe.id", BASE + "created/svc"));
        propagated("client created on A, authenticates on B", () -> token(b, svid(BASE + "created/svc"), null),
                ok -> isToken(ok, "created"));
    }

    @Test
    @Order(3)
    void aNewClientNamedByTheSpiffeIdWinsOnB() {
        createClient(a, "named-prefix", Map.of("svid.spiffe.id", BASE + "named/*"));
        settled(() -> token(b, svid(BASE + "named/svc"), null), ok -> isToken(ok, "named-prefix"));

        createClient(a, BASE + "named/svc", Map.of());
        propagated("client named by the SPIFFE ID created on A, chosen on B", () -> token(b, svid(BASE + "named/svc"), null),
                ok -> isToken(ok, BASE + "named/svc"));
    }

    @Test
    @Order(4)
    void aNarrowerExactMappingAddedOnAWinsOnB() {
        createClient(a, "narrow-prefix", Map.of("svid.spiffe.id", BASE + "narrow/*"));
        settled(() -> token(b, svid(BASE + "narrow/svc"), null), ok -> isToken(ok, "narrow-prefix"));

        createClient(a, "narrow-exact", Map.of("svid.spiffe.id", BASE + "narrow/svc"));
        propagated("exact mapping added on A, wins on B", () -> token(b, svid(BASE + "narrow/svc"), null),
                ok -> isToken(ok, "narrow-exact"));
        assertToken(token(b, svid(BASE + "narrow/other"), null), "narrow-prefix");
    }

    @Test
    @Order(5)
    void aSecondEqualMatchAddedOnAMakesBAnswerAmbiguous() {
        createClient(a, "equal-1", Map.of("svid.spiffe.id", BASE + "equal/svc"));
        settled(() -> token(b, svid(BASE + "equal/svc"), null), ok -> isToken(ok, "equal-1"));

        createClient(a, "equal-2", Map.of("svid.spiffe.id", BASE + "equal/svc"));
        propagated("second equal match added on A, ambiguous_client on B", () -> token(b, svid(BASE + "equal/svc"), null),
                r -> isRefusal(r, "accepted by 2 clients"));
        assertToken(token(b, svid(BASE + "equal/svc"), "equal-2"), "equal-2");
        assertThat(lastReason()).isEqualTo("ambiguous_client");
    }

    @Test
    @Order(6)
    void aClientDisabledOrDeletedOnAIsRefusedOnB() {
        String uuid = createClient(a, "doomed", Map.of("svid.spiffe.id", BASE + "doomed/svc"));
        settled(() -> token(b, svid(BASE + "doomed/svc"), null), ok -> isToken(ok, "doomed"));

        JsonNode rep = a.admin().get("/" + REALM + "/clients/" + uuid);
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep).put("enabled", false);
        a.admin().put("/" + REALM + "/clients/" + uuid, rep);
        propagated("client disabled on A, refused on B", () -> token(b, svid(BASE + "doomed/svc"), null),
                r -> isRefusal(r, "is disabled"));

        ((com.fasterxml.jackson.databind.node.ObjectNode) rep).put("enabled", true);
        a.admin().put("/" + REALM + "/clients/" + uuid, rep);
        propagated("client enabled again on A, accepted on B", () -> token(b, svid(BASE + "doomed/svc"), null),
                ok -> isToken(ok, "doomed"));

        a.admin().delete("/" + REALM + "/clients/" + uuid);
        propagated("client deleted on A, refused on B", () -> token(b, svid(BASE + "doomed/svc"), null),
                r -> isRefusal(r, "no client of realm"));
    }

    @Test
    @Order(7)
    void aChangedKeySourceOnAIsUsedOnB() {
        createClient(a, "rekeyed", Map.of("svid.spiffe.id", BASE + "rekeyed/svc"));
        settled(() -> token(b, svid(BASE + "rekeyed/svc"), null), ok -> isToken(ok, "rekeyed"));
        Answer foreign = token(b, otherSpire.svid(BASE + "rekeyed/svc").audience(AUDIENCE).withJti().mint(), null);
        assertThat(foreign.status).as("an SVID of the other key source, before the change: " + foreign).isEqualTo(401);

        a.admin().updateClientAttributes(REALM, "rekeyed", Map.of("svid.jwks.uri", otherSpire.jwksUrl().toString()));
        propagated("svid.jwks.uri changed on A, used on B",
                () -> token(b, otherSpire.svid(BASE + "rekeyed/svc").audience(AUDIENCE).withJti().mint(), null), ok -> isToken(ok, "rekeyed"));
        Answer old = token(b, svid(BASE + "rekeyed/svc"), null);
        assertThat(old.status).as("an SVID of the former key source, after the change: " + old).isEqualTo(401);
    }

    @Test
    @Order(8)
    void aClientPartiallyImportedOnAIsUsedOnB() {
        createClient(a, "imported-prefix", Map.of("svid.spiffe.id", BASE + "imported/*"));
        settled(() -> token(b, svid(BASE + "imported/svc"), null), ok -> isToken(ok, "imported-prefix"));

        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientId", "imported-exact");
        client.put("enabled", true);
        client.put("publicClient", false);
        client.put("serviceAccountsEnabled", true);
        client.put("standardFlowEnabled", false);
        client.put("clientAuthenticatorType", "client-svid-jwt");
        client.put("attributes", Map.of("svid.spiffe.id", BASE + "imported/svc", "svid.jwks.uri", spire.jwksUrl().toString(),
                "svid.audiences", AUDIENCE));
        // a partial import creates no service account by itself: the export format's user for it
        Map<String, Object> serviceAccount = Map.of("username", "service-account-imported-exact", "enabled", true,
                "serviceAccountClientId", "imported-exact");
        a.admin().post("/" + REALM + "/partialImport", Map.of("ifResourceExists", "FAIL", "clients", List.of(client),
                "users", List.of(serviceAccount)));
        propagated("client partially imported on A, wins on B", () -> token(b, svid(BASE + "imported/svc"), null),
                ok -> isToken(ok, "imported-exact"));
    }

    // ---------------------------------------------------------------------------------------
    // Single use, cluster-wide
    // ---------------------------------------------------------------------------------------

    @Test
    @Order(10)
    void aSingleUseSvidUsedOnOneNodeIsReplayedOnTheOther() {
        createClient(a, "once", Map.of("svid.spiffe.id", BASE + "once/svc", "svid.single.use", "true"));

        String first = svid(BASE + "once/svc");
        assertToken(token(a, first, null), "once");
        assertRefused(token(b, first, null), "already used");
        assertThat(lastReason()).isEqualTo("replayed");
        assertRefused(token(a, first, null), "already used");

        String second = svid(BASE + "once/svc");
        assertToken(token(b, second, null), "once");
        assertRefused(token(a, second, null), "already used");
    }

    @Test
    @Order(11)
    void oneSvidIsTrackedPerSingleUseClient() {
        createClient(a, "once-1", Map.of("svid.spiffe.id", BASE + "shared/svc", "svid.single.use", "true"));
        createClient(a, "once-2", Map.of("svid.spiffe.id", BASE + "shared/svc", "svid.single.use", "true"));

        String s = svid(BASE + "shared/svc");
        assertToken(token(a, s, "once-1"), "once-1");
        assertToken(token(b, s, "once-2"), "once-2");
        assertRefused(token(b, s, "once-1"), "already used");
        assertRefused(token(a, s, "once-2"), "already used");
    }

    @Test
    @Order(12)
    void sixteenConcurrentPresentationsOverBothNodesGiveExactlyOneToken() throws Exception {
        createClient(a, "once-race", Map.of("svid.spiffe.id", BASE + "race/svc", "svid.single.use", "true"));
        assertToken(token(a, svid(BASE + "race/svc"), null), "once-race");
        assertToken(token(b, svid(BASE + "race/svc"), null), "once-race");

        int rounds = 5;
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                String s = svid(BASE + "race/svc");
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Answer>> answers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    KeycloakServer node = t % 2 == 0 ? a : b;
                    answers.add(pool.submit(() -> {
                        go.await(10, TimeUnit.SECONDS);
                        return token(node, s, null);
                    }));
                }
                go.countDown();
                int tokens = 0;
                int replayed = 0;
                List<String> other = new ArrayList<>();
                for (Future<Answer> f : answers) {
                    Answer r = f.get(60, TimeUnit.SECONDS);
                    if (isToken(r, "once-race")) {
                        tokens++;
                    } else if (isRefusal(r, "already used")) {
                        replayed++;
                    } else {
                        other.add(r.toString());
                    }
                }
                assertThat(other).as("round " + round + ": answers neither a token nor replayed").isEmpty();
                assertThat(tokens).as("round " + round + ": tokens for one single-use SVID sent 16 times over 2 nodes").isEqualTo(1);
                assertThat(replayed).isEqualTo(threads - 1);
            }
        } finally {
            pool.shutdownNow();
        }
        FIGURES.add(rounds + " rounds of 16 concurrent presentations of one single-use SVID (8 per node): exactly 1 token each");
    }

    // ---------------------------------------------------------------------------------------
    // A node stops under load (last: it stops node A)
    // ---------------------------------------------------------------------------------------

    @Test
    @Order(100)
    void nodeBKeepsIssuingTokensWhileNodeAStops() throws Exception {
        createClient(a, "steady", Map.of("svid.spiffe.id", BASE + "steady/svc"));
        assertToken(token(a, svid(BASE + "steady/svc"), null), "steady");
        assertToken(token(b, svid(BASE + "steady/svc"), null), "steady");
        Map<String, String> fetchesA = keySourceFetches(a);
        Map<String, String> fetchesB = keySourceFetches(b);

        int threads = 4;
        int maxPerThread = 2000;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        AtomicInteger phase = new AtomicInteger();   // 0 before A stops, 1 while it stops, 2 after
        AtomicInteger[] okB = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        AtomicInteger okA = new AtomicInteger();
        AtomicInteger failedA = new AtomicInteger();
        ConcurrentLinkedQueue<String> failuresB = new ConcurrentLinkedQueue<>();
        CountDownLatch running = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread w = new Thread(() -> {
                running.countDown();
                for (int i = 0; i < maxPerThread && System.nanoTime() < deadline; i++) {
                    if (phase.get() == 2 && okB[2].get() >= TOKENS_AFTER_STOP) {
                        return;
                    }
                    boolean toA = thread == 0 && phase.get() == 0;
                    KeycloakServer node = toA ? a : b;
                    int p = phase.get();
                    Answer r;
                    try {
                        r = token(node, svid(BASE + "steady/svc"), null);
                    } catch (RuntimeException e) {
                        r = new Answer(0, e.toString());
                    }
                    if (toA) {
                        (isToken(r, "steady") ? okA : failedA).incrementAndGet();
                    } else if (isToken(r, "steady")) {
                        okB[p].incrementAndGet();
                    } else {
                        failuresB.add("phase " + p + ": " + r);
                    }
                }
            }, "cluster-load-" + t);
            w.setDaemon(true);
            workers.add(w);
        }
        workers.forEach(Thread::start);
        running.await(10, TimeUnit.SECONDS);
        awaitCount(okB[0], 50, deadline);
        phase.set(1);
        long stopStarted = System.nanoTime();
        a.close();   // SIGTERM, waits for the process to exit
        double stopSeconds = (System.nanoTime() - stopStarted) / 1e9;
        phase.set(2);
        for (Thread w : workers) {
            w.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 5000));
        }

        FIGURES.add(String.format("node A stopped (SIGTERM, exited in %.1f s) under load: node B issued %d tokens before,"
                        + " %d while A stopped, %d after; %d requests to B failed; A issued %d before its stop",
                stopSeconds, okB[0].get(), okB[1].get(), okB[2].get(), failuresB.size(), okA.get()));
        FIGURES.add("key-source fetches per node (Server Info, before the stop): A " + fetchesA + ", B " + fetchesB
                + "; emulator /keys requests in all: " + spire.keysRequests());
        assertThat(failuresB).as("requests to node B that got no token").isEmpty();
        assertThat(okB[1].get() + okB[2].get()).as("tokens from B while and after A stopped").isPositive();
        assertThat(okB[2].get()).as("tokens from B after A stopped").isGreaterThanOrEqualTo(TOKENS_AFTER_STOP);
        assertThat(b.isRunning()).isTrue();
    }

    // ---------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------

    /** Polls with {@code request} until {@code expected}, then records and checks how long it took since the call. */
    private static void propagated(String what, Supplier<Answer> request, Predicate<Answer> expected) {
        long changed = System.nanoTime();
        int attempts = 0;
        Answer last;
        while (true) {
            attempts++;
            last = request.get();
            if (expected.test(last)) {
                break;
            }
            if (System.nanoTime() - changed > POLL_LIMIT.toNanos()) {
                throw new AssertionError(what + ": node B did not answer as expected within " + POLL_LIMIT.toSeconds()
                        + " s; last answer " + last);
            }
            pause(Duration.ofMillis(20));
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changed);
        FIGURES.add(String.format("%s: %d ms after the admin call returned (attempt %d)", what, millis, attempts));
        // Keycloak replicates the invalidation synchronously when the change commits, before A
        // answers: the first request to B after A's answer must already see the change.
        assertThat(attempts).as(what + ": requests to B until it answered as expected").isEqualTo(1);
        assertThat(Duration.ofMillis(millis)).as(what).isLessThanOrEqualTo(PROPAGATION_LIMIT);
    }

    /**
     * Before a case: polls node B until it gives the answer a client created on A moments ago
     * should give (B may learn of that client by the case's own mechanism or, without it, by a
     * miss rebuild at most every 2 s), so that the case's check tests only the change after it.
     */
    private static void settled(Supplier<Answer> request, Predicate<Answer> expected) {
        long deadline = System.nanoTime() + POLL_LIMIT.toNanos();
        Answer last = request.get();
        while (!expected.test(last)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("node B did not reach the case's starting point within " + POLL_LIMIT.toSeconds()
                        + " s; last answer " + last);
            }
            pause(Duration.ofMillis(100));
            last = request.get();
        }
    }

    private static void awaitCount(AtomicInteger counter, int atLeast, long deadlineNanos) {
        while (counter.get() < atLeast && System.nanoTime() < deadlineNanos) {
            pause(Duration.ofMillis(20));
        }
        assertThat(counter.get()).isGreaterThanOrEqualTo(atLeast);
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates a client-svid-jwt client through node's admin REST API; its internal id. */
    private static String createClient(KeycloakServer node, String clientId, Map<String, String> attrs) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("svid.jwks.uri", spire.jwksUrl().toString());
        attributes.put("svid.audiences", AUDIENCE);
        attributes.putAll(attrs);
        return node.admin().post("/" + REALM + "/clients", SvidRealm.svidClient(clientId, attributes)).path("id").asText();
    }

    private static String svid(String spiffeId) {
        // a jti each: two SVIDs with equal claims minted in the same second are one SVID to single use
        return spire.svid(spiffeId).audience(AUDIENCE).withJti().mint();
    }

    private static Answer token(KeycloakServer node, String assertion, String clientId) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_assertion_type", SvidRealm.JWT_SPIFFE);
        form.put("client_assertion", assertion);
        if (clientId != null) {
            form.put("client_id", clientId);
        }
        return FormPost.post(HTTP, node.tokenEndpoint(REALM), form, null);
    }

    private static boolean isToken(Answer r, String azp) {
        return r.status == 200 && r.json != null && r.json.hasNonNull("access_token")
                && azp.equals(FormPost.payload(r.json.get("access_token").asText()).path("azp").asText());
    }

    private static boolean isRefusal(Answer r, String descriptionPart) {
        return r.status == 401 && "invalid_client".equals(r.error()) && r.description() != null
                && r.description().contains(descriptionPart);
    }

    private static void assertToken(Answer r, String azp) {
        assertThat(isToken(r, azp)).as("a token for " + azp + ": " + r).isTrue();
    }

    private static void assertRefused(Answer r, String descriptionPart) {
        assertThat(isRefusal(r, descriptionPart)).as("401 invalid_client '" + descriptionPart + "': " + r).isTrue();
    }

    /** The reason of the realm's newest CLIENT_LOGIN_ERROR event (events are stored in the shared database). */
    private static String lastReason() {
        List<JsonNode> events = b.admin().events(REALM, "CLIENT_LOGIN_ERROR", 1);
        return events.isEmpty() ? null : events.get(0).path("details").path("reason").asText(null);
    }

    /** The "key-source <url>" entries of client-svid-jwt's Server Info on one node. */
    private static Map<String, String> keySourceFetches(KeycloakServer node) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/admin/serverinfo"))
                .header("Authorization", "Bearer " + node.admin().accessToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonNode info = JSON.readTree(r.body()).path("providers").path("client-authenticator").path("providers")
                .path("client-svid-jwt").path("operationalInfo");
        Map<String, String> out = new TreeMap<>();
        info.fields().forEachRemaining(e -> {
            if (e.getKey().startsWith("key-source ")) {
                out.put(e.getKey().substring("key-source ".length()), e.getValue().asText());
            }
        });
        return out;
    }

    private static String required(String name) {
        return Objects.requireNonNull(System.getProperty(name), "system property " + name + " is not set (run through ./mvnw verify)");
    }
}
