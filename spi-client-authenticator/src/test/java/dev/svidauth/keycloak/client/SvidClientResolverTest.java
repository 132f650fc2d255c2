package dev.svidauth.keycloak.client;

import dev.svidauth.keycloak.jwt.JwtSvidClientAuthenticatorFactory;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.InvalidSpiffeIdException;
import dev.svidauth.spiffe.SpiffeId;
import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Step 4, every resolution rule, against in-memory clients and realm. */
class SvidClientResolverTest {

    private static final String SVID = JwtSvidClientAuthenticatorFactory.PROVIDER_ID;
    private static final String KEYS = "https://oidc.example.org/keys";
    private static final SpiffeId PAYMENTS = id("spiffe://example.org/ns/apps/sa/payments");

    private static SpiffeId id(String s) {
        try {
            return SpiffeId.parse(s);
        } catch (InvalidSpiffeIdException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private final Map<String, ClientModel> clients = new LinkedHashMap<>();
    /** getClientByClientId calls, by clientId. */
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    /** getAttributes and getAttribute calls, by clientId. */
    private final Map<String, AtomicInteger> attributeReads = new ConcurrentHashMap<>();
    private final List<SpiffeId> federatedAsked = new ArrayList<>();
    private boolean federatedOwns;
    /** getClientByClientId as MariaDB with utf8mb4_general_ci answers it: ignoring case. */
    private boolean caseInsensitiveDatabase;

    private final RealmModel realm = (RealmModel) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RealmModel.class},
            (proxy, method, args) -> {
                switch (method.getName()) {
                    case "getId":
                        return "realm-id";
                    case "getName":
                        return "svid";
                    case "getClientByClientId":
                        lookups.computeIfAbsent((String) args[0], k -> new AtomicInteger()).incrementAndGet();
                        if (caseInsensitiveDatabase) {
                            return clients.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase((String) args[0]))
                                    .map(Map.Entry::getValue).findFirst().orElse(null);
                        }
                        return clients.get((String) args[0]);
                    case "getClientsStream":
                        return new ArrayList<>(clients.values()).stream();
                    default:
                        throw new UnsupportedOperationException(method.getName());
                }
            });

    private final SvidClientIndex index = new SvidClientIndex(SvidClientIndex.ClientSource.WALK, Clock.systemUTC(),
            Duration.ofMinutes(1), Duration.ofMinutes(1));
    private final SvidClientResolver resolver = new SvidClientResolver(SvidMethod.JWT, index, (r, id) -> {
        federatedAsked.add(id);
        return federatedOwns;
    });

    private ClientModel add(String clientId, String authenticator, String spiffeIds, boolean enabled) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put(SvidClientConfig.JWKS_URI, KEYS);
        if (spiffeIds != null) {
            attrs.put(SvidClientConfig.SPIFFE_ID, spiffeIds);
        }
        ClientModel plain = TestClients.client(clientId, authenticator, attrs, enabled);
        ClientModel counted = (ClientModel) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ClientModel.class},
                (proxy, method, args) -> {
                    if (method.getName().startsWith("getAttribute")) {
                        attributeReads.computeIfAbsent(clientId, k -> new AtomicInteger()).incrementAndGet();
                    }
                    try {
                        return method.invoke(plain, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        clients.put(clientId, counted);
        return counted;
    }

    private ClientModel add(String clientId, String spiffeIds) {
        return add(clientId, SVID, spiffeIds, true);
    }

    private SvidClientResolver.Resolved resolve(SpiffeId id, String clientIdParam) throws SvidRejectedException {
        return resolver.resolve(realm, id, clientIdParam);
    }

    private static void assertRefused(ThrowingCall call, Reason reason, String message) {
        assertThatThrownBy(call::run)
                .isInstanceOf(SvidRejectedException.class)
                .hasMessage(message)
                .satisfies(e -> assertThat(((SvidRejectedException) e).reason()).isEqualTo(reason));
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    // ---- client_id sent ----

    @Test
    void clientIdNamesTheClientWhenItAcceptsTheSpiffeId() throws Exception {
        ClientModel payments = add("payments", "spiffe://example.org/ns/apps/*");
        add("other", PAYMENTS.toString());

        SvidClientResolver.Resolved r = resolve(PAYMENTS, "payments");

        assertThat(r.client()).isSameAs(payments);
        assertThat(r.config().jwksUri()).hasToString(KEYS);
    }

    @Test
    void clientIdOfAClientNamedByTheSpiffeIdNeedsNoSvidSpiffeId() throws Exception {
        ClientModel named = add(PAYMENTS.toString(), null);

        assertThat(resolve(PAYMENTS, PAYMENTS.toString()).client()).isSameAs(named);
    }

    @Test
    void clientIdOfNoClientIsUnknownClient() {
        assertRefused(() -> resolve(PAYMENTS, "nobody\n"), Reason.UNKNOWN_CLIENT,
                "client_id 'nobody\\n' is not a client of realm 'svid'");
    }

    @Test
    void clientIdOfAClientWithAnotherAuthenticatorIsWrongAuthMethod() {
        add("legacy", "client-secret", PAYMENTS.toString(), true);

        assertRefused(() -> resolve(PAYMENTS, "legacy"), Reason.WRONG_AUTH_METHOD,
                "client 'legacy' does not use client-svid-jwt authentication");
    }

    @Test
    void clientIdOfAClientThatDoesNotAcceptTheSpiffeIdIsAMismatch() {
        add("reporting", "spiffe://example.org/ns/apps/sa/reporting##spiffe://example.org/ns/apps/sa/payments/*");

        assertRefused(() -> resolve(PAYMENTS, "reporting"), Reason.SPIFFE_ID_MISMATCH,
                "SPIFFE ID 'spiffe://example.org/ns/apps/sa/payments' is not accepted by client 'reporting' (svid.spiffe.id)");
    }

    @Test
    void anUnparsableSvidSpiffeIdAcceptsNothing() {
        add("broken", PAYMENTS + "##spiffe://x/a*");

        assertRefused(() -> resolve(PAYMENTS, "broken"), Reason.SPIFFE_ID_MISMATCH,
                "SPIFFE ID 'spiffe://example.org/ns/apps/sa/payments' is not accepted by client 'broken' (svid.spiffe.id)");
    }

    @Test
    void clientIdChoosesAmongClientsSharingASpiffeId() throws Exception {
        add("reporting-eu", PAYMENTS.toString());
        ClientModel us = add("reporting-us", PAYMENTS.toString());

        assertThat(resolve(PAYMENTS, "reporting-us").client()).isSameAs(us);
    }

    // ---- no client_id ----

    @Test
    void aClientNamedByTheSpiffeIdComesFirst() throws Exception {
        ClientModel named = add(PAYMENTS.toString(), null);
        add("payments", PAYMENTS.toString());

        assertThat(resolve(PAYMENTS, null).client()).isSameAs(named);
    }

    @Test
    void aClientNamedByTheSpiffeIdWithAnotherAuthenticatorIsPassedOver() throws Exception {
        add(PAYMENTS.toString(), "client-secret", null, true);
        ClientModel payments = add("payments", PAYMENTS.toString());

        assertThat(resolve(PAYMENTS, null).client()).isSameAs(payments);
    }

    @Test
    void theIndexSparesTheLookupByClientIdWhenItProvesAMiss() throws Exception {
        add("payments", PAYMENTS.toString());

        resolve(PAYMENTS, null);

        assertThat(lookups).doesNotContainKey(PAYMENTS.toString()).containsKey("payments");
    }

    @Test
    void exactBeatsPrefix() throws Exception {
        add("all-apps", "spiffe://example.org/ns/apps/*");
        ClientModel exact = add("payments", PAYMENTS.toString());

        assertThat(resolve(PAYMENTS, null).client()).isSameAs(exact);
    }

    // ---- the two methods keep their own clients ----

    private final SvidClientResolver x509 = new SvidClientResolver(SvidMethod.X509, index, SvidClientResolver.NONE);

    @Test
    void anExactClientOfTheOtherMethodDoesNotShadowAPrefixClientOfThisOne() throws Exception {
        ClientModel jwtApps = add("jwt-apps", "spiffe://example.org/ns/apps/*");
        ClientModel x509Payments = add("x509-payments", SvidMethod.X509.providerId(), PAYMENTS.toString(), true);

        assertThat(resolve(PAYMENTS, null).client()).as("JWT-SVID").isSameAs(jwtApps);
        assertThat(x509.resolve(realm, PAYMENTS, null).client()).as("X.509-SVID").isSameAs(x509Payments);
    }

    @Test
    void aClientNamedByTheSpiffeIdServesOnlyItsOwnMethod() throws Exception {
        ClientModel named = add(PAYMENTS.toString(), SvidMethod.X509.providerId(), null, true);
        ClientModel jwt = add("payments", PAYMENTS.toString());

        assertThat(x509.resolve(realm, PAYMENTS, null).client()).isSameAs(named);
        assertThat(resolve(PAYMENTS, null).client()).isSameAs(jwt);
    }

    @Test
    void clientIdOfAJwtClientIsTheWrongMethodForAnX509Svid() {
        add("payments", PAYMENTS.toString());

        assertRefused(() -> x509.resolve(realm, PAYMENTS, "payments"), Reason.WRONG_AUTH_METHOD,
                "client 'payments' does not use client-svid-x509 authentication");
        assertRefused(() -> x509.resolve(realm, PAYMENTS, null), Reason.UNKNOWN_CLIENT,
                "no client of realm 'svid' accepts SPIFFE ID '" + PAYMENTS + "' (set svid.spiffe.id on a client-svid-x509"
                        + " client, or send client_id)");
        assertThat(federatedAsked).as("federated-jwt owns JWT-SVIDs only").isEmpty();
    }

    @Test
    void theLongestPrefixWins() throws Exception {
        add("trust-domain", "spiffe://example.org/*");
        ClientModel apps = add("apps", "spiffe://example.org/ns/apps/*");

        assertThat(resolve(PAYMENTS, null).client()).isSameAs(apps);
    }

    @Test
    void aPrefixMatchesWholeSegmentsOnly() {
        add("pay", "spiffe://example.org/ns/apps/sa/pay/*");

        assertRefused(() -> resolve(PAYMENTS, null), Reason.UNKNOWN_CLIENT,
                "no client of realm 'svid' accepts SPIFFE ID 'spiffe://example.org/ns/apps/sa/payments'"
                        + " (set svid.spiffe.id on a client-svid-jwt client, or send client_id)");
    }

    @Test
    void clientsAcceptingTheSpiffeIdEquallyAreAmbiguous() {
        add("reporting-eu", PAYMENTS.toString());
        add("reporting-us", PAYMENTS.toString());

        assertRefused(() -> resolve(PAYMENTS, null), Reason.AMBIGUOUS_CLIENT,
                "SPIFFE ID 'spiffe://example.org/ns/apps/sa/payments' is accepted by 2 clients [reporting-eu, reporting-us]"
                        + " equally; send client_id to choose one");
    }

    @Test
    void aStaleIndexHitIsRecheckedAgainstTheLiveClientAndNeverGranted() throws Exception {
        add("old", PAYMENTS.toString());
        assertThat(resolve(PAYMENTS, null).client().getClientId()).isEqualTo("old"); // builds the index
        // "old" stops accepting the SPIFFE ID; the index (TTL 1 min) still names it
        clients.put("old", TestClients.client("old", SVID, Map.of(SvidClientConfig.SPIFFE_ID, "spiffe://example.org/elsewhere",
                SvidClientConfig.JWKS_URI, KEYS)));

        assertRefused(() -> resolve(PAYMENTS, null), Reason.UNKNOWN_CLIENT,
                "no client of realm 'svid' accepts SPIFFE ID 'spiffe://example.org/ns/apps/sa/payments'"
                        + " (set svid.spiffe.id on a client-svid-jwt client, or send client_id)");
    }

    @Test
    void withoutAMatchAFederatedJwtClientKeepsTheSvid() throws Exception {
        add("other", "spiffe://example.org/ns/other/*");
        federatedOwns = true;

        assertThat(resolve(PAYMENTS, null)).isNull();
        assertThat(federatedAsked).containsExactly(PAYMENTS);
    }

    @Test
    void withoutAMatchOrAFederatedJwtClientTheClientIsUnknown() {
        assertRefused(() -> resolve(PAYMENTS, null), Reason.UNKNOWN_CLIENT,
                "no client of realm 'svid' accepts SPIFFE ID 'spiffe://example.org/ns/apps/sa/payments'"
                        + " (set svid.spiffe.id on a client-svid-jwt client, or send client_id)");
        assertThat(federatedAsked).containsExactly(PAYMENTS);
    }

    @Test
    void federatedJwtIsAskedOnlyWhenNothingMatches() throws Exception {
        add("payments", PAYMENTS.toString());
        federatedOwns = true;

        assertThat(resolve(PAYMENTS, null)).isNotNull();
        assertThat(federatedAsked).isEmpty();
    }

    // ---- exact comparison, whatever the database's collation ----

    private static final SpiffeId INVENTORY = id("spiffe://example.org/ns/apps/sa/inventory");
    private static final SpiffeId INVENTORY_VARIANT = id("spiffe://example.org/ns/apps/sa/Inventory");

    @Test
    void aClientNamedByACaseVariantOfTheSpiffeIdIsNotThatWorkloadsClient() {
        caseInsensitiveDatabase = true;
        add(INVENTORY.toString(), null);

        assertRefused(() -> resolve(INVENTORY_VARIANT, null), Reason.UNKNOWN_CLIENT,
                "no client of realm 'svid' accepts SPIFFE ID 'spiffe://example.org/ns/apps/sa/Inventory'"
                        + " (set svid.spiffe.id on a client-svid-jwt client, or send client_id)");
        assertThat(lookups).as("the database was asked, and answered with the case variant").containsKey(INVENTORY_VARIANT.toString());
    }

    @Test
    void theCaseVariantGoesToTheClientWhoseSvidSpiffeIdIsItExactly() throws Exception {
        caseInsensitiveDatabase = true;
        ClientModel named = add(INVENTORY.toString(), null);
        ClientModel variant = add("inventory-upper", INVENTORY_VARIANT.toString());

        assertThat(resolve(INVENTORY_VARIANT, null).client()).isSameAs(variant);
        assertThat(resolve(INVENTORY, null).client()).isSameAs(named);
    }

    @Test
    void aClientIdDifferingInCaseNamesNoClient() {
        caseInsensitiveDatabase = true;
        add("payments", PAYMENTS.toString());
        add(INVENTORY.toString(), null);

        assertRefused(() -> resolve(PAYMENTS, "PAYMENTS"), Reason.UNKNOWN_CLIENT,
                "client_id 'PAYMENTS' is not a client of realm 'svid'");
        assertRefused(() -> resolve(INVENTORY, INVENTORY_VARIANT.toString()), Reason.UNKNOWN_CLIENT,
                "client_id 'spiffe://example.org/ns/apps/sa/Inventory' is not a client of realm 'svid'");
    }

    @Test
    void anIndexHitIsTakenOnlyForTheClientIdTheIndexNamed() throws Exception {
        caseInsensitiveDatabase = true;
        add("Reporting", PAYMENTS.toString());
        assertThat(resolve(PAYMENTS, null).client().getClientId()).isEqualTo("Reporting"); // builds the index
        // renamed in case only; the index (TTL 1 min) still names "Reporting", which the database still finds
        clients.remove("Reporting");
        add("reporting", PAYMENTS.toString());

        assertRefused(() -> resolve(PAYMENTS, null), Reason.UNKNOWN_CLIENT,
                "no client of realm 'svid' accepts SPIFFE ID 'spiffe://example.org/ns/apps/sa/payments'"
                        + " (set svid.spiffe.id on a client-svid-jwt client, or send client_id)");
    }

    @Test
    void anX509SvidOfACaseVariantIsNotTheNamedClients() {
        caseInsensitiveDatabase = true;
        add(INVENTORY.toString(), SvidMethod.X509.providerId(), null, true);

        assertRefused(() -> x509.resolve(realm, INVENTORY_VARIANT, null), Reason.UNKNOWN_CLIENT,
                "no client of realm 'svid' accepts SPIFFE ID 'spiffe://example.org/ns/apps/sa/Inventory'"
                        + " (set svid.spiffe.id on a client-svid-x509 client, or send client_id)");
        assertRefused(() -> x509.resolve(realm, INVENTORY, INVENTORY_VARIANT.toString()), Reason.UNKNOWN_CLIENT,
                "client_id 'spiffe://example.org/ns/apps/sa/Inventory' is not a client of realm 'svid'");
    }

    @Test
    void aFederatedJwtClientOwnsOnlyItsExactSubject() {
        String federated = org.keycloak.authentication.authenticators.client.FederatedJWTClientAuthenticator.PROVIDER_ID;
        String subject = org.keycloak.authentication.authenticators.client.FederatedJWTClientAuthenticator.JWT_CREDENTIAL_SUBJECT_KEY;
        ClientModel owner = TestClients.client("native", federated, Map.of(subject, INVENTORY.toString()));
        ClientModel other = TestClients.client("other", "client-jwt", Map.of(subject, INVENTORY_VARIANT.toString()));

        assertThat(SvidClientResolver.ownedByFederatedJwt(java.util.stream.Stream.of(owner), INVENTORY)).isTrue();
        assertThat(SvidClientResolver.ownedByFederatedJwt(java.util.stream.Stream.of(owner), INVENTORY_VARIANT))
                .as("what a case-insensitive database matched").isFalse();
        assertThat(SvidClientResolver.ownedByFederatedJwt(java.util.stream.Stream.of(other), INVENTORY_VARIANT))
                .as("not a federated-jwt client").isFalse();
    }

    // ---- disabled clients, whichever rule found them ----

    @Test
    void aDisabledClientIsRefusedWhenNamedByClientId() {
        add("payments", SVID, PAYMENTS.toString(), false);

        assertRefused(() -> resolve(PAYMENTS, "payments"), Reason.CLIENT_DISABLED, "client 'payments' is disabled");
    }

    @Test
    void aDisabledClientIsRefusedWhenNamedByTheSpiffeId() {
        add(PAYMENTS.toString(), SVID, null, false);

        assertRefused(() -> resolve(PAYMENTS, null), Reason.CLIENT_DISABLED,
                "client 'spiffe://example.org/ns/apps/sa/payments' is disabled");
    }

    @Test
    void aDisabledClientIsRefusedWhenFoundByTheIndex() {
        add("payments", SVID, PAYMENTS.toString(), false);

        assertRefused(() -> resolve(PAYMENTS, null), Reason.CLIENT_DISABLED, "client 'payments' is disabled");
    }

    // ---- settings read once ----

    @Test
    void theResolvedClientsSettingsAreReadOnce() throws Exception {
        add("payments", PAYMENTS.toString());
        assertThatThrownBy(() -> resolve(id("spiffe://example.org/unrelated"), null)) // builds the index
                .isInstanceOf(SvidRejectedException.class);
        attributeReads.clear();

        SvidClientResolver.Resolved byIndex = resolve(PAYMENTS, null);
        assertThat(attributeReads.get("payments")).hasValue(1);
        assertThat(byIndex.config().spiffeIds()).hasSize(1);

        attributeReads.clear();
        SvidClientResolver.Resolved byClientId = resolve(PAYMENTS, "payments");
        assertThat(attributeReads.get("payments")).hasValue(1);
        assertThat(byClientId.config().jwksUri()).hasToString(KEYS);
    }
}
