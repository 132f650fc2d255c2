package dev.svidauth.it.keysource;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.HostileKeySource;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.FormPost;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Key-source starvation on the real server: key sources that drip their headers, hang, or drip
 * their body, all named by clients of one realm, cannot starve the key fetch of another realm.
 * The genuine request of the other realm, whose healthy key source is not cached yet, answers 200
 * in its normal time; the hostile requests answer {@code key_source_unavailable} at the fetch
 * deadline; and the server closes every hostile connection at that deadline.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeySourceStarvationIT {

    /** The provider default of key-source-fetch-timeout: the total time of one fetch. */
    static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
    /** Margin for a loaded machine; still well below the 8 s a request waited on the original code. */
    private static final Duration MARGIN = Duration.ofMillis(2500);
    /** Time a first fetch of a healthy local key source and a token take, with room for a loaded machine. */
    private static final Duration NORMAL = Duration.ofSeconds(3);
    static final String OTHER_REALM = "svid-fair";
    private static final String FAIR_CLIENT = "fair-app";
    private static final String FAIR_ID = "spiffe://fair.test/ns/apps/sa/app";

    private final SvidRealm env;
    private final List<HostileKeySource> hostile = new ArrayList<>();
    private final List<String> hostileClients = new ArrayList<>();
    private SpireEmulator healthy;
    private ECKey forger;

    KeySourceStarvationIT(SvidRealm env) {
        this.env = env;
    }

    @BeforeAll
    void setUp() throws JOSEException, IOException {
        forger = new ECKeyGenerator(Curve.P_256).generate();
        int i = 0;
        // the four dripping sources of the finding first, then a hanging and a slow-body one
        for (HostileKeySource.Mode mode : List.of(HostileKeySource.Mode.DRIP_HEADERS, HostileKeySource.Mode.DRIP_HEADERS,
                HostileKeySource.Mode.DRIP_HEADERS, HostileKeySource.Mode.DRIP_HEADERS, HostileKeySource.Mode.HANG,
                HostileKeySource.Mode.SLOW_BODY)) {
            HostileKeySource source = HostileKeySource.start(mode);
            hostile.add(source);
            String clientId = "starve-" + (i++) + "-" + mode.name().toLowerCase();
            hostileClients.add(clientId);
            OwnKeySource.createClient(env, clientId, Map.of("svid.spiffe.id", hostileId(clientId),
                    "svid.jwks.uri", env.forKeycloak(source.url())));
        }
        healthy = SpireEmulator.builder().trustDomain("fair.test").start();
        createOtherRealm(env, OTHER_REALM);
        env.admin().post("/" + OTHER_REALM + "/clients", SvidRealm.svidClient(FAIR_CLIENT,
                Map.of("svid.spiffe.id", FAIR_ID, "svid.jwks.uri", env.forKeycloak(healthy.jwksUrl()))));
    }

    @AfterAll
    void tearDown() {
        hostile.forEach(HostileKeySource::close);
        hostileClients.forEach(c -> OwnKeySource.deleteClient(env, c));
        if (healthy != null) {
            healthy.close();
        }
        env.admin().send("DELETE", "/" + OTHER_REALM, null);
    }

    /**
     * A realm of its own with the shipped client authentication flow (copied from realm-export),
     * events on, and nothing else: created through the admin API, replacing one left over.
     */
    static void createOtherRealm(SvidRealm env, String name) throws IOException {
        env.admin().send("DELETE", "/" + name, null);
        JsonNode export = new ObjectMapper().readTree(Files.readString(Path.of(System.getProperty("svid.realm.file"))));
        Map<String, Object> realm = new LinkedHashMap<>();
        realm.put("realm", name);
        realm.put("enabled", true);
        realm.put("sslRequired", "external");
        realm.put("eventsEnabled", true);
        realm.put("enabledEventTypes", List.of("CLIENT_LOGIN", "CLIENT_LOGIN_ERROR"));
        realm.put("clientAuthenticationFlow", export.path("clientAuthenticationFlow").asText());
        realm.put("authenticationFlows", export.path("authenticationFlows"));
        var created = env.admin().send("POST", "", realm);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    private static String hostileId(String clientId) {
        return "spiffe://starve.test/ns/hostile/sa/" + clientId;
    }

    private String forged(String clientId) {
        return Forge.sign(forger, "ES256", Forge.header("ES256", "k-" + clientId),
                Forge.claims(hostileId(clientId), env.audience(), null));
    }

    private record Timed(FormPost.Answer answer, long millis) {
    }

    private static Timed timed(java.util.function.Supplier<FormPost.Answer> call) {
        long start = System.nanoTime();
        FormPost.Answer a = call.get();
        return new Timed(a, (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    void hostileKeySourcesOfOneRealmDoNotStarveTheFirstFetchOfAnotherRealm() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(hostileClients.size());
        try {
            List<CompletableFuture<Timed>> attacks = new ArrayList<>();
            for (int i = 0; i < hostileClients.size(); i++) {
                String clientId = hostileClients.get(i);
                attacks.add(CompletableFuture.supplyAsync(() -> timed(() -> env.token(SvidRealm.JWT_SPIFFE, forged(clientId),
                        clientId)), pool));
                if (i == 3) {
                    // the dripping sources' fetches have started (as many as the server runs at once for one realm)
                    long waitUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (hostile.stream().mapToInt(HostileKeySource::connections).sum() < 2 && System.nanoTime() < waitUntil) {
                        OwnKeySource.sleep(Duration.ofMillis(100));
                    }
                    assertThat(hostile.stream().mapToInt(HostileKeySource::connections).sum()).as("hostile fetches started")
                            .isGreaterThanOrEqualTo(2);
                }
            }
            OwnKeySource.sleep(Duration.ofMillis(1000));

            URI realmUrl = env.keycloak().realmUrl(OTHER_REALM);
            String svid = healthy.mint(FAIR_ID, List.of(realmUrl.toString()));
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "client_credentials");
            form.put("client_assertion_type", SvidRealm.JWT_SPIFFE);
            form.put("client_assertion", svid);
            Timed genuine = timed(() -> env.post(env.keycloak().tokenEndpoint(OTHER_REALM), form, null));
            System.out.printf("[starvation] genuine request of realm %s during the attack: %d after %d ms%n", OTHER_REALM,
                    genuine.answer.status, genuine.millis);
            assertThat(genuine.answer.status).as(genuine.answer.toString()).isEqualTo(200);
            assertThat(genuine.millis).as("ms for the genuine request of the other realm").isLessThan(NORMAL.toMillis());

            for (int i = 0; i < attacks.size(); i++) {
                Timed t = attacks.get(i).get();
                System.out.printf("[starvation] %s: %d after %d ms%n", hostileClients.get(i), t.answer.status, t.millis);
                assertThat(t.answer.status).as(t.answer.toString()).isEqualTo(401);
                assertThat(t.answer.error()).isEqualTo("invalid_client");
                assertThat(t.millis).as("ms until " + hostileClients.get(i) + " was answered")
                        .isLessThan(FETCH_TIMEOUT.plus(MARGIN).toMillis());
            }
        } finally {
            pool.shutdownNow();
        }
        List<JsonNode> events = env.admin().events(SvidRealm.REALM, "CLIENT_LOGIN_ERROR", 200);
        for (String clientId : hostileClients) {
            assertThat(events.stream().filter(e -> hostileId(clientId).equals(e.path("details").path("client_assertion_sub").asText()))
                    .findFirst()).as("event of " + clientId)
                    .hasValueSatisfying(e -> assertThat(e.path("details").path("reason").asText()).isEqualTo("key_source_unavailable"));
        }
        // the server closed every hostile connection at its deadline, not when the source gave up
        long closeBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (hostile.stream().anyMatch(h -> h.heldMillis().size() < h.connections()) && System.nanoTime() < closeBy) {
            OwnKeySource.sleep(Duration.ofMillis(200));
        }
        for (HostileKeySource h : hostile) {
            System.out.printf("[starvation] %s: %d connection(s), held %s ms%n", h.url(), h.connections(), h.heldMillis());
            assertThat(h.heldMillis()).as("connections to " + h.url() + " closed (ms open)").hasSize(h.connections())
                    .allSatisfy(ms -> assertThat(ms).isLessThan(FETCH_TIMEOUT.plus(MARGIN).toMillis()));
        }
    }
}
