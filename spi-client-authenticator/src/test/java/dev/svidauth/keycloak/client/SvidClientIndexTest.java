package dev.svidauth.keycloak.client;

import dev.svidauth.keycloak.jwt.JwtSvidClientAuthenticatorFactory;
import dev.svidauth.spiffe.SpiffeId;
import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class SvidClientIndexTest {

    private final List<ClientModel> clients = new ArrayList<>();
    private final AtomicInteger scans = new AtomicInteger();
    /** When set, a scan waits for it (to hold a rebuild in progress). */
    private volatile CountDownLatch scanGate;
    private final CountDownLatch scanStarted = new CountDownLatch(1);
    private final RealmModel realm = (RealmModel) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RealmModel.class},
            (proxy, method, args) -> {
                switch (method.getName()) {
                    case "getId":
                        return "realm-id";
                    case "getName":
                        return "realm";
                    case "getClientsStream":
                        scans.incrementAndGet();
                        CountDownLatch gate = scanGate;
                        if (gate != null) {
                            scanStarted.countDown();
                            gate.await(10, TimeUnit.SECONDS);
                        }
                        return new ArrayList<>(clients).stream();
                    default:
                        throw new UnsupportedOperationException(method.getName());
                }
            });

    private static final String PAYMENTS = "spiffe://td/ns/a/sa/payments";
    private final AtomicLong millis = new AtomicLong(1_000_000);
    /** A clock the tests move forward. */
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    };
    /** Reads of the detached source (a background refresh), next to {@link #scans} (a request's build). */
    private final AtomicInteger detachedReads = new AtomicInteger();
    private volatile boolean detachedFails;
    /** A source like the server's: reads {@link #clients} detached, or walks them for a request. */
    private final SvidClientIndex.ClientSource detached = new SvidClientIndex.ClientSource() {
        @Override
        public void forEachSvidClient(RealmModel r, SvidClientIndex.ClientSink sink) {
            WALK.forEachSvidClient(r, sink);
        }

        @Override
        public boolean readsDetached() {
            return true;
        }

        @Override
        public boolean forEachSvidClientDetached(String realmId, String realmName, SvidClientIndex.ClientSink sink) {
            detachedReads.incrementAndGet();
            if (detachedFails) {
                return false;
            }
            assertThat(realmId).isEqualTo("realm-id");
            clients.stream().filter(c -> SvidMethod.of(c.getClientAuthenticatorType()) != null)
                    .forEach(c -> sink.accept(SvidMethod.of(c.getClientAuthenticatorType()), c.getClientId(), c.getAttribute("svid.spiffe.id")));
            return true;
        }
    };
    /** Background refreshes queued, run when the test says. */
    private final java.util.Deque<Runnable> refreshes = new java.util.ArrayDeque<>();

    private SvidClientIndex backgroundIndex() {
        return new SvidClientIndex(detached, refreshes::add, clock, Duration.ofSeconds(60), Duration.ofSeconds(2));
    }

    /** A background-refreshing index of one client, built by a request, whose TTL has just run out. */
    private SvidClientIndex paymentsIndexPastTtl() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", PAYMENTS));
        SvidClientIndex index = backgroundIndex();
        index.lookup(realm, SvidMethod.JWT, id(PAYMENTS));
        assertThat(scans).as("the first build is the request's").hasValue(1);
        millis.addAndGet(61_000);
        return index;
    }

    private void client(String clientId, String authenticator, Map<String, String> attributes) {
        clients.add(TestClients.client(clientId, authenticator, attributes));
    }

    private static SpiffeId id(String s) throws Exception {
        return SpiffeId.parse(s);
    }

    private SvidClientIndex index() {
        return new SvidClientIndex(SvidClientIndex.ClientSource.WALK, Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC), Duration.ofSeconds(60), Duration.ofSeconds(2));
    }

    @Test
    void resolvesThroughSvidSpiffeIdOfOurClientsOnly() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/payments"));
        client("agents", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/agents/*"));
        client("other", "client-secret", Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/other"));
        SvidClientIndex index = index();
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments")).clientIds()).containsExactly("payments");
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/agents/planner")).clientIds()).containsExactly("agents");
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/other")).clientIds()).isEmpty();
        assertThat(index.sizes()).containsEntry("realm-id", 2);
    }

    @Test
    void clientIdLookupIsSkippedOnlyWhenTheIndexProvesItWouldMiss() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/payments"));
        client("spiffe://td/ns/a/sa/named", JwtSvidClientAuthenticatorFactory.PROVIDER_ID,
                Map.of("svid.spiffe.id", "spiffe://td/ns/a/*"));
        client("spiffe://td/ns/a/sa/legacy", "client-secret", Map.of());
        SvidClientIndex index = index();
        // accepted through svid.spiffe.id, no client of ours named so: the lookup by clientId would miss
        assertThat(index.mayHaveClientNamed(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments"))).isFalse();
        // a client of ours is named by the SPIFFE ID: it must be looked up (it wins over the index)
        assertThat(index.mayHaveClientNamed(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/named"))).isTrue();
        // the index knows nothing of it: look it up as before (a new client, or one of another type)
        assertThat(index.mayHaveClientNamed(realm, SvidMethod.JWT, id("spiffe://td/ns/b/sa/unknown"))).isTrue();
        // accepted by the prefix, and a client of another authenticator type bears the name: looking
        // it up can only find a client the authenticator then passes over, exactly as without the index
        assertThat(index.mayHaveClientNamed(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/legacy"))).isFalse();
    }

    @Test
    void aClientNamedByACaseVariantDoesNotCountAsNamed() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/A/sa/payments"));
        client("spiffe://td/ns/a/sa/payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of());
        SvidClientIndex index = index();
        // a database comparing clientIds case-insensitively would return the second client, which
        // is another workload's: the lookup could only find a client the resolver refuses
        assertThat(index.mayHaveClientNamed(realm, SvidMethod.JWT, id("spiffe://td/ns/A/sa/payments"))).isFalse();
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/A/sa/payments")).clientIds()).containsExactly("payments");
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments")).clientIds()).isEmpty();
    }

    @Test
    void indexIsBuiltOncePerTtlAndRebuiltAfterInvalidation() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/payments"));
        SvidClientIndex index = index();
        for (int i = 0; i < 5; i++) {
            index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments"));
            index.mayHaveClientNamed(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments"));
        }
        assertThat(scans).hasValue(1);
        index.invalidate("realm-id");
        index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments"));
        assertThat(scans).hasValue(2);
    }

    @Test
    void duringARebuildOtherRequestsKeepUsingThePreviousIndex() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/payments"));
        SvidClientIndex index = new SvidClientIndex(SvidClientIndex.ClientSource.WALK, clock, Duration.ofSeconds(60), Duration.ofSeconds(2));
        SpiffeId payments = id("spiffe://td/ns/a/sa/payments");
        index.lookup(realm, SvidMethod.JWT, payments);
        assertThat(scans).hasValue(1);

        millis.addAndGet(61_000); // the TTL ran out
        client("late", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/late"));
        scanGate = new CountDownLatch(1);
        Thread rebuilder = new Thread(() -> index.lookup(realm, SvidMethod.JWT, payments));
        rebuilder.start();
        assertThat(scanStarted.await(10, TimeUnit.SECONDS)).isTrue();
        // a second request while the first rebuilds: served from the previous index, no second scan
        assertThat(index.lookup(realm, SvidMethod.JWT, payments).clientIds()).containsExactly("payments");
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/late")).clientIds()).isEmpty();
        assertThat(scans).hasValue(2);
        scanGate.countDown();
        rebuilder.join(10_000);
        scanGate = null;
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/late")).clientIds()).containsExactly("late");
        assertThat(scans).hasValue(2);
    }

    @Test
    void aBuildThatRacedWithAClientChangeIsNotKept() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/payments"));
        SvidClientIndex index = index();
        scanGate = new CountDownLatch(1);
        Thread builder = new Thread(() -> {
            try {
                index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        builder.start();
        assertThat(scanStarted.await(10, TimeUnit.SECONDS)).isTrue();
        index.invalidate("realm-id"); // a client changed while the scan ran
        scanGate.countDown();
        builder.join(10_000);
        scanGate = null;
        index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments"));
        assertThat(scans).hasValue(2);
    }

    @Test
    void aTtlRefreshRunsInTheBackgroundAndNoRequestWaitsForIt() throws Exception {
        SvidClientIndex index = paymentsIndexPastTtl();
        SpiffeId payments = id(PAYMENTS);
        client("late", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/late"));
        assertThat(index.lookup(realm, SvidMethod.JWT, payments).clientIds()).containsExactly("payments");
        assertThat(index.lookup(realm, SvidMethod.JWT, payments).clientIds()).containsExactly("payments");
        assertThat(refreshes).as("one refresh queued, however many requests").hasSize(1);
        assertThat(scans).as("no request rebuilt").hasValue(1);
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/late")).clientIds()).as("not yet refreshed").isEmpty();

        refreshes.poll().run();

        assertThat(detachedReads).hasValue(1);
        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/late")).clientIds()).containsExactly("late");
        assertThat(scans).hasValue(1);
        assertThat(refreshes).isEmpty();
    }

    @Test
    void aRefreshThatRacedWithAClientChangeIsNotPublished() throws Exception {
        SvidClientIndex index = paymentsIndexPastTtl();
        SpiffeId payments = id(PAYMENTS);
        index.lookup(realm, SvidMethod.JWT, payments);
        assertThat(refreshes).hasSize(1);

        index.invalidate("realm-id"); // a client changed before the refresh ran
        refreshes.poll().run();
        index.lookup(realm, SvidMethod.JWT, payments);

        assertThat(scans).as("the refresh was dropped; the next request built the index").hasValue(2);
    }

    @Test
    void aFailedBackgroundReadKeepsTheIndexAndTheNextRequestTriesAgain() throws Exception {
        SvidClientIndex index = paymentsIndexPastTtl();
        SpiffeId payments = id(PAYMENTS);
        detachedFails = true;
        index.lookup(realm, SvidMethod.JWT, payments);
        refreshes.poll().run();

        assertThat(index.lookup(realm, SvidMethod.JWT, payments).clientIds()).containsExactly("payments");
        assertThat(refreshes).as("tried again").hasSize(1);
        detachedFails = false;
        refreshes.poll().run();
        assertThat(detachedReads).hasValue(2);
        index.lookup(realm, SvidMethod.JWT, payments);
        assertThat(refreshes).as("fresh again").isEmpty();
    }

    @Test
    void aMissStillRebuildsOnTheRequestSoThatANewClientIsFoundAtOnce() throws Exception {
        client("payments", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/payments"));
        SvidClientIndex index = backgroundIndex();
        index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/payments"));
        millis.addAndGet(3_000); // past the miss interval, within the TTL
        client("late", JwtSvidClientAuthenticatorFactory.PROVIDER_ID, Map.of("svid.spiffe.id", "spiffe://td/ns/a/sa/late"));

        assertThat(index.lookup(realm, SvidMethod.JWT, id("spiffe://td/ns/a/sa/late")).clientIds()).containsExactly("late");
        assertThat(scans).hasValue(2);
        assertThat(refreshes).isEmpty();
    }
}
