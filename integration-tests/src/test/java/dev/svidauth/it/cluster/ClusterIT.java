package dev.svidauth.it.cluster;

import dev.svidauth.it.support.ClusterAvailable;
import dev.svidauth.it.support.Load;
import dev.svidauth.it.support.SvidRealm;
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
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static dev.svidauth.testkit.SystemProperties.required;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real Keycloak 26.7.3 nodes in one cluster ({@link KeycloakCluster}: {@code --cache=ispn},
 * JDBC-PING over a shared PostgreSQL, JGroups on 127.0.0.1), both importing the shipped realm:
 * a client change made through node A's admin REST API (or registered there dynamically) is what
 * node B's SVID authentication uses from the first request sent once A has answered (the delay is
 * measured and printed), and a single-use SVID is accepted once across both nodes, also under
 * concurrent requests spread over them. Under load spread over both nodes, node A is killed
 * (SIGKILL), restarted and serves at once, then stopped (SIGTERM): node B answers every request
 * throughout.
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
    /** What "at once" must mean at most for a client change to reach the other node (docs/clustering.md). */
    private static final Duration PROPAGATION_LIMIT = Duration.ofSeconds(1);
    private static final Duration POLL_LIMIT = Duration.ofSeconds(10);
    /** How many tokens B must issue after A has stopped before the load ends. */
    private static final int TOKENS_AFTER_STOP = 100;
    /** Each load thread's pause between requests while the killed node A starts again. */
    private static final Duration RESTART_PACE = Duration.ofMillis(200);
    /** Single-use SVIDs used on A and replayed on B at the moment A is killed. */
    private static final int REPLAYS_AT_KILL = 24;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static SpireEmulator spire;
    private static SpireEmulator otherSpire;
    private static KeycloakCluster cluster;
    /** Node A; replaced by its restart after the kill, which the load threads must see. */
    private static volatile KeycloakServer a;
    private static volatile KeycloakServer b;
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
                            .env(SvidRealm.realmExportEnvironment(spire))
                            .option("--log-level=INFO,dev.svidauth.keycloak.client.ClusterIndexInvalidation:DEBUG")
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
        assertRefused(token(b, svid(BASE + "created/svc"), null), "unknown_client");
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
                r -> isRefusal(r, "ambiguous_client"));
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
                r -> isRefusal(r, "client_disabled"));

        ((com.fasterxml.jackson.databind.node.ObjectNode) rep).put("enabled", true);
        a.admin().put("/" + REALM + "/clients/" + uuid, rep);
        propagated("client enabled again on A, accepted on B", () -> token(b, svid(BASE + "doomed/svc"), null),
                ok -> isToken(ok, "doomed"));

        a.admin().delete("/" + REALM + "/clients/" + uuid);
        propagated("client deleted on A, refused on B", () -> token(b, svid(BASE + "doomed/svc"), null),
                r -> isRefusal(r, "unknown_client"));
    }

    /**
     * A trust domain without a trust-domain entry: where the realm has one (example.org), a client
     * may name only the entry's key sources, so it could not be re-keyed to another one.
     */
    private static final String REKEYED = "spiffe://rekeyed.test/cluster/rekeyed/svc";

    @Test
    @Order(7)
    void aChangedKeySourceOnAIsUsedOnB() {
        createClient(a, "rekeyed", Map.of("svid.spiffe.id", REKEYED));
        settled(() -> token(b, spire.svid(REKEYED).unchecked().audience(AUDIENCE).withJti().mint(), null), ok -> isToken(ok, "rekeyed"));
        Answer foreign = token(b, otherSpire.svid(REKEYED).unchecked().audience(AUDIENCE).withJti().mint(), null);
        assertThat(foreign.status).as("an SVID of the other key source, before the change: " + foreign).isEqualTo(401);

        a.admin().updateClientAttributes(REALM, "rekeyed", Map.of("svid.jwks.uri", otherSpire.jwksUrl().toString()));
        propagated("svid.jwks.uri changed on A, used on B",
                () -> token(b, otherSpire.svid(REKEYED).unchecked().audience(AUDIENCE).withJti().mint(), null), ok -> isToken(ok, "rekeyed"));
        Answer old = token(b, spire.svid(REKEYED).unchecked().audience(AUDIENCE).withJti().mint(), null);
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

    @Test
    @Order(9)
    void aClientRegisteredDynamicallyOnAAuthenticatesOnB() throws Exception {
        String spiffeId = BASE + "registered/svc";
        String initialAccessToken = a.admin().post("/" + REALM + "/clients-initial-access",
                Map.of("count", 1, "expiration", 600)).path("token").asText();
        // B's own issuer: a registered client names no extra audience
        Supplier<Answer> onB = () -> token(b, spire.svid(spiffeId).audience(b.realmUrl(REALM).toString()).withJti().mint(), null);
        assertRefused(onB.get(), "unknown_client");

        HttpResponse<String> registered = SvidRealm.register(a.realmUrl(REALM), initialAccessToken,
                SvidRealm.registrationMetadata("cluster-registered", spiffeId, "jwks_uri", spire.jwksUrl().toString()));
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String clientId = JSON.readTree(registered.body()).path("client_id").asText();
        propagated("client registered dynamically on A, authenticates on B", onB, ok -> isToken(ok, clientId));
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
        assertRefused(token(b, first, null), "replayed");
        assertThat(lastReason()).isEqualTo("replayed");
        assertRefused(token(a, first, null), "replayed");

        String second = svid(BASE + "once/svc");
        assertToken(token(b, second, null), "once");
        assertRefused(token(a, second, null), "replayed");
    }

    @Test
    @Order(11)
    void oneSvidIsTrackedPerSingleUseClient() {
        createClient(a, "once-1", Map.of("svid.spiffe.id", BASE + "shared/svc", "svid.single.use", "true"));
        createClient(a, "once-2", Map.of("svid.spiffe.id", BASE + "shared/svc", "svid.single.use", "true"));

        String s = svid(BASE + "shared/svc");
        assertToken(token(a, s, "once-1"), "once-1");
        assertToken(token(b, s, "once-2"), "once-2");
        assertRefused(token(b, s, "once-1"), "replayed");
        assertRefused(token(a, s, "once-2"), "replayed");
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
                    } else if (isRefusal(r, "replayed")) {
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
    // Node A ends under load: killed and restarted, then stopped for good (last)
    // ---------------------------------------------------------------------------------------

    @Test
    @Order(90)
    void nodeBKeepsIssuingTokensWhileNodeAIsKilledAndARestartedAServesAtOnce() throws Exception {
        createClientServedByBoth("sturdy");
        // a single-use SVID used on A before the kill: its entry must outlive A on B, and come back to A with its restart
        createClient(a, "once-kill", Map.of("svid.spiffe.id", BASE + "once-kill/svc", "svid.single.use", "true"));
        String used = svid(BASE + "once-kill/svc");
        assertToken(token(a, used, null), "once-kill");
        assertThat(a.logText()).as("A records single-use SVIDs with a value of their own (SingleUseStore)")
                .contains("single-use SVIDs are recorded in Keycloak's embedded actionTokens cache, each entry with a value of its own");
        // more of them, replayed on B the moment A dies: for about half of them A was the primary
        // owner of the single-use entry, so B's first attempt goes to the dead A and is retried
        // once B's cluster has noticed; the retry must still find the entry taken
        List<String> usedOnA = new ArrayList<>();
        for (int i = 0; i < REPLAYS_AT_KILL; i++) {
            String s = svid(BASE + "once-kill/svc");
            assertToken(token(a, s, null), "once-kill");
            usedOnA.add(s);
        }
        ExecutorService replayers = Executors.newFixedThreadPool(2 * REPLAYS_AT_KILL + 1);

        double noticed;
        double rejoined;
        double firstMillis;
        try (SpreadLoad load = new SpreadLoad("sturdy")) {
            load.awaitTokens(SpreadLoad.A, SpreadLoad.BEFORE, 25);
            load.awaitTokens(SpreadLoad.B, SpreadLoad.BEFORE, 25);
            load.phase(SpreadLoad.ENDING);
            long killed = System.nanoTime();
            a.kill();   // SIGKILL to kc.sh and the JVM: no goodbye to the cluster
            List<Future<Answer>> replays = new ArrayList<>();
            for (String s : usedOnA) {
                replays.add(replayers.submit(() -> token(b, s, null)));
            }
            cluster.awaitView(1, Duration.ofSeconds(60));
            noticed = (System.nanoTime() - killed) / 1e9;
            // and again the moment B's view has dropped A: B's cache may still name A the primary
            // owner of an entry for a moment, so B's write goes to A, fails at once and is retried
            replays.add(replayers.submit(() -> token(b, used, null)));
            for (String s : usedOnA) {
                replays.add(replayers.submit(() -> token(b, s, null)));
            }
            load.phase(SpreadLoad.DOWN);
            int replayedAtKill = 0;
            List<String> acceptedAtKill = new ArrayList<>();
            for (Future<Answer> f : replays) {
                Answer r = f.get(60, TimeUnit.SECONDS);
                if (isRefusal(r, "replayed")) {
                    replayedAtKill++;
                } else {
                    acceptedAtKill.add(r.toString());
                }
            }
            replayers.shutdownNow();
            assertThat(acceptedAtKill).as("single-use SVIDs used on A, presented again on B while B noticed A's death").isEmpty();
            double refusedBy = (System.nanoTime() - killed) / 1e9;
            assertRefused(token(b, used, null), "replayed");
            // a client created while A is away: A must know it from its first request on
            createClient(b, "latecomer", Map.of("svid.spiffe.id", BASE + "latecomer/svc"));
            // B keeps answering, at a pace that leaves the 2-core machine to A's start
            load.pace(RESTART_PACE);
            a = cluster.restart(0);
            rejoined = (System.nanoTime() - killed) / 1e9;

            long asked = System.nanoTime();
            assertToken(token(a, svid(BASE + "sturdy/svc"), null), "sturdy");
            firstMillis = (System.nanoTime() - asked) / 1e6;
            assertToken(token(a, svid(BASE + "latecomer/svc"), null), "latecomer");
            assertRefused(token(a, used, null), "replayed");
            load.pace(Duration.ZERO);
            load.phase(SpreadLoad.REJOINED);
            load.awaitTokens(SpreadLoad.A, SpreadLoad.REJOINED, 50);
            load.awaitTokens(SpreadLoad.B, SpreadLoad.REJOINED, 50);
            load.stop();

            FIGURES.add(String.format("node A killed (SIGKILL) under load: B's view dropped A %.1f s after the kill; A restarted"
                            + " (ready in %.1f s, the load paced to one request per %d ms and thread meanwhile) and was in a"
                            + " 2-member view on both nodes %.1f s after the kill; its first SVID request took %.0f ms; %s",
                    noticed, a.startupTime().toMillis() / 1000.0, RESTART_PACE.toMillis(), rejoined, firstMillis, load.figures()));
            FIGURES.add(String.format("node A killed: %d single-use SVIDs used on A, sent again to B at the kill and again once"
                    + " B's view had dropped A: %d presentations refused as replayed (the last answer %.1f s after the kill),"
                    + " 0 accepted", REPLAYS_AT_KILL + 1, replayedAtKill, refusedBy));
            assertThat(load.failures()).as("requests to B, or to A after it rejoined, that got no token").isEmpty();
            assertThat(load.tokens(SpreadLoad.B, SpreadLoad.ENDING) + load.tokens(SpreadLoad.B, SpreadLoad.DOWN))
                    .as("tokens from B while A was down").isPositive();
        }
        assertThat(KeycloakCluster.clusterViewSize(a)).isEqualTo(2);
        assertThat(KeycloakCluster.clusterViewSize(b)).isEqualTo(2);
        // the restarted A is a full member: a change on B reaches it at once
        assertRefused(token(a, svid(BASE + "after-rejoin/svc"), null), "unknown_client");
        createClient(b, "after-rejoin", Map.of("svid.spiffe.id", BASE + "after-rejoin/svc"));
        propagated("client created on B, authenticates on the restarted A", () -> token(a, svid(BASE + "after-rejoin/svc"), null),
                ok -> isToken(ok, "after-rejoin"));
    }

    @Test
    @Order(100)
    void nodeBKeepsIssuingTokensWhileNodeAStops() throws Exception {
        createClientServedByBoth("steady");
        Map<String, String> fetchesA = keySourceFetches(a);
        Map<String, String> fetchesB = keySourceFetches(b);

        try (SpreadLoad load = new SpreadLoad("steady")) {
            load.awaitTokens(SpreadLoad.B, SpreadLoad.BEFORE, 50);
            load.phase(SpreadLoad.ENDING);
            long stopStarted = System.nanoTime();
            a.close();   // SIGTERM, waits for the process to exit
            double stopSeconds = (System.nanoTime() - stopStarted) / 1e9;
            load.phase(SpreadLoad.DOWN);
            load.awaitTokens(SpreadLoad.B, SpreadLoad.DOWN, TOKENS_AFTER_STOP);
            load.stop();

            FIGURES.add(String.format("node A stopped (SIGTERM, exited in %.1f s) under load: %s", stopSeconds, load.figures()));
            FIGURES.add("key-source fetches per node (Server Info, before the stop): A " + fetchesA + ", B " + fetchesB
                    + "; emulator /keys requests in all: " + spire.keysRequests());
            assertThat(load.failures()).as("requests to node B that got no token").isEmpty();
            assertThat(load.tokens(SpreadLoad.B, SpreadLoad.ENDING) + load.tokens(SpreadLoad.B, SpreadLoad.DOWN))
                    .as("tokens from B while and after A stopped").isPositive();
        }
        assertThat(b.isRunning()).isTrue();
    }

    /**
     * Token requests for one client on 4 threads, spread over both nodes as a load balancer would:
     * threads 0 and 1 send to A while it serves ({@link #BEFORE}, {@link #REJOINED}) and to B
     * otherwise, threads 2 and 3 always to B; each request a new SVID. A request to B, or to A
     * after it rejoined, that gets no token is a failure; one to A that gets none before then was
     * lost on A's connection (in flight when A ended).
     */
    private static final class SpreadLoad implements AutoCloseable {
        static final int A = 0;
        static final int B = 1;
        static final int BEFORE = 0;
        /** From the stop (or kill) until A has exited (or B's view no longer has it). */
        static final int ENDING = 1;
        static final int DOWN = 2;
        static final int REJOINED = 3;
        private static final String[] PHASES = {"before", "while A ended", "while A was down", "after A rejoined"};
        private static final Duration LIMIT = Duration.ofSeconds(120);

        private final String clientId;
        private final AtomicInteger phase = new AtomicInteger(BEFORE);
        private volatile Duration pace = Duration.ZERO;
        /** [node][phase]: tokens, and requests that got none. */
        private final AtomicInteger[][] tokens = counters();
        private final AtomicInteger[][] missed = counters();
        private final Load load;

        SpreadLoad(String clientId) {
            this.clientId = clientId;
            this.load = Load.start(4, this::request);
        }

        private String request(int thread, long iteration) {
            if (!pace.isZero()) {
                pause(pace);
            }
            int p = phase.get();
            int node = thread < 2 && (p == BEFORE || p == REJOINED) ? A : B;
            Answer r;
            try {
                r = token(node == A ? a : b, svid(BASE + clientId + "/svc"), null);
            } catch (RuntimeException e) {
                r = new Answer(0, e.toString());
            }
            boolean ok = isToken(r, clientId);
            (ok ? tokens : missed)[node][p].incrementAndGet();
            return ok || node == A && p != REJOINED ? null : (node == A ? "A" : "B") + ", " + PHASES[p] + ": " + r;
        }

        void phase(int p) {
            phase.set(p);
        }

        /** Each thread's pause before every request from now on (zero: none). */
        void pace(Duration pause) {
            pace = pause;
        }

        int tokens(int node, int p) {
            return tokens[node][p].get();
        }

        /** Waits until {@code node} has issued {@code atLeast} tokens in phase {@code p}. */
        void awaitTokens(int node, int p, int atLeast) {
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (tokens(node, p) < atLeast && System.nanoTime() < deadline) {
                pause(Duration.ofMillis(20));
            }
            assertThat(tokens(node, p)).as((node == A ? "A" : "B") + "'s tokens " + PHASES[p] + "; failures " + load.failures())
                    .isGreaterThanOrEqualTo(atLeast);
        }

        List<String> failures() {
            return load.failures();
        }

        void stop() {
            load.stop();
        }

        /** Tokens per node and phase, failures, and the requests lost on A's connections. */
        String figures() {
            List<String> parts = new ArrayList<>();
            for (int p = 0; p < PHASES.length; p++) {
                if (tokens(A, p) + missed[A][p].get() + tokens(B, p) + missed[B][p].get() > 0) {
                    parts.add(String.format("%s: A %d, B %d", PHASES[p], tokens(A, p), tokens(B, p)));
                }
            }
            int lost = 0;
            for (int p = BEFORE; p < REJOINED; p++) {
                lost += missed[A][p].get();
            }
            return String.format("tokens %s; %d failed; %d lost on A's connections; %d requests in %.1f s", String.join(", ", parts),
                    load.failures().size(), lost, load.requests(), load.elapsed().toMillis() / 1000.0);
        }

        private static AtomicInteger[][] counters() {
            AtomicInteger[][] c = new AtomicInteger[2][PHASES.length];
            for (AtomicInteger[] row : c) {
                for (int p = 0; p < row.length; p++) {
                    row[p] = new AtomicInteger();
                }
            }
            return c;
        }

        @Override
        public void close() {
            load.stop();
        }
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
                throw new AssertionError(what + ": the other node did not answer as expected within " + POLL_LIMIT.toSeconds()
                        + " s; last answer " + last);
            }
            pause(Duration.ofMillis(20));
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changed);
        FIGURES.add(String.format("%s: %d ms after the admin call returned (attempt %d)", what, millis, attempts));
        // Keycloak replicates the invalidation synchronously when the change commits, before A
        // answers: the first request to B after A's answer must already see the change.
        assertThat(attempts).as(what + ": requests to the other node until it answered as expected").isEqualTo(1);
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

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates client {@code clientId} (SPIFFE ID {@code BASE + clientId + "/svc"}) on A; returns once both nodes give it tokens. */
    private static void createClientServedByBoth(String clientId) {
        createClient(a, clientId, Map.of("svid.spiffe.id", BASE + clientId + "/svc"));
        settled(() -> token(b, svid(BASE + clientId + "/svc"), null), ok -> isToken(ok, clientId));
        assertToken(token(a, svid(BASE + clientId + "/svc"), null), clientId);
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

    /** 401 invalid_client whose description (the failed check and its code) ends with {@code reason}'s code. */
    private static boolean isRefusal(Answer r, String reason) {
        return r.status == 401 && "invalid_client".equals(r.error()) && r.description() != null
                && r.description().endsWith("(" + reason + ")");
    }

    private static void assertToken(Answer r, String azp) {
        assertThat(isToken(r, azp)).as("a token for " + azp + ": " + r).isTrue();
    }

    private static void assertRefused(Answer r, String reason) {
        assertThat(isRefusal(r, reason)).as("401 invalid_client (" + reason + "): " + r).isTrue();
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
}
