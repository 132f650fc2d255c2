package dev.svidauth.it.x509;

import dev.svidauth.it.support.NginxAvailable;
import dev.svidauth.it.support.NginxKeycloak;
import dev.svidauth.it.support.Rejections;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.X509Forge;
import dev.svidauth.spire.X509Forge.Defect;
import dev.svidauth.spire.X509Svid;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.FormPost.Answer;
import dev.svidauth.testkit.KeycloakServer;
import dev.svidauth.testkit.LocalNginx;
import dev.svidauth.testkit.ServerTls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code client-svid-x509} behind a TLS-terminating proxy, as users run Keycloak: Debian's nginx
 * on a loopback port with {@code ssl_verify_client optional_no_ca} (it asks for a client
 * certificate and judges none), forwarding the certificate URL-escaped in a header to a Keycloak
 * of its own (started once for this class) that reads it with Keycloak's {@code nginx}
 * certificate lookup and trusts only nginx's address as proxy ({@code --proxy-trusted-addresses}).
 * Every certificate reaches the authenticator here, so this class holds the X.509 attack catalog:
 * each bad certificate is a 401 {@code invalid_client} naming the failed check and exactly one
 * {@code CLIENT_LOGIN_ERROR} event with its reason. Also: a certificate header sent to Keycloak
 * directly is ignored, and a CA rotation under load from 16 workers loses no request. The same
 * lookup without {@code --proxy-trusted-addresses} ignores every forwarded certificate:
 * {@link X509ProxyTrustIT}.
 */
@ExtendWith(NginxAvailable.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class X509ProxyIT {

    static final String WAREHOUSE = X509SvidIT.WAREHOUSE;
    static final String CLIENT = X509SvidIT.CLIENT;
    static final String TD = "example.org";
    /** The client whose bundle endpoint answers garbage. */
    private static final String GARBAGE = "spiffe://garbage.test/ns/apps/sa/garbage";

    private SpireEmulator spire;
    private KeycloakServer keycloak;
    private LocalNginx nginx;
    private ServerTls tls;
    private NginxKeycloak fixture;

    @BeforeAll
    void start() throws IOException {
        fixture = NginxKeycloak.start(true);
        spire = fixture.spire;
        keycloak = fixture.keycloak;
        nginx = fixture.nginx;
        tls = fixture.tls;
        try {
            createClients();
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** The clients the catalog needs besides the realm-export's warehouse-api. */
    private void createClients() {
        String bundle = spire.bundleUrl().toString();
        x509Client("x509-prefix", Map.of("svid.spiffe.id", "spiffe://example.org/ns/apps/sa/ware/*", "svid.bundle.uri", bundle), true);
        x509Client("x509-disabled", Map.of("svid.spiffe.id", "spiffe://example.org/ns/apps/sa/disabled", "svid.bundle.uri", bundle), false);
        x509Client("x509-twin-a", Map.of("svid.spiffe.id", "spiffe://example.org/ns/apps/sa/twin", "svid.bundle.uri", bundle), true);
        x509Client("x509-twin-b", Map.of("svid.spiffe.id", "spiffe://example.org/ns/apps/sa/twin", "svid.bundle.uri", bundle), true);
        // another trust domain's SPIFFE IDs, but example.org's bundle named as key source
        x509Client("x509-foreign-bundle", Map.of("svid.spiffe.id", "spiffe://other.example/ns/apps/sa/x", "svid.bundle.uri", bundle), true);
        // a bundle endpoint that answers garbage: a URL of its own (the same server by another name,
        // so nothing of it is cached), hence of a trust domain without an entry (a trust domain with
        // an entry takes no key source but the entry's)
        x509Client("x509-garbage", Map.of("svid.spiffe.id", GARBAGE,
                "svid.bundle.uri", bundle.replace("://127.0.0.1:", "://localhost:")), true);
        // no bundle of its own: the realm's trust-domain entry for example.org supplies it
        x509Client("x509-entry", Map.of("svid.spiffe.id", "spiffe://example.org/ns/apps/sa/entry"), true);
    }

    private void x509Client(String clientId, Map<String, String> attributes, boolean enabled) {
        Map<String, Object> rep = SvidRealm.svidClient(clientId, attributes);
        rep.put("clientAuthenticatorType", "client-svid-x509");
        rep.put("enabled", enabled);
        keycloak.admin().post("/" + SvidRealm.REALM + "/clients", rep);
    }

    // ---------------------------------------------------------------------------------------

    private URI tokenEndpoint() {
        return URI.create(nginx.baseUrl() + "/realms/" + SvidRealm.REALM + "/protocol/openid-connect/token");
    }

    private HttpClient client(X509Svid svid) {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(svid == null ? tls.clientContext() : tls.clientContext(svid.chain(), svid.privateKey())).build();
    }

    /** client_credentials through nginx, presenting {@code svid} (null: none). */
    private Answer token(X509Svid svid, String clientId) {
        return token(client(svid), clientId);
    }

    private Answer token(HttpClient http, String clientId) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        if (clientId != null) {
            form.put("client_id", clientId);
        }
        return FormPost.post(http, tokenEndpoint(), form, null);
    }

    private void clearEvents() {
        keycloak.admin().delete("/" + SvidRealm.REALM + "/events");
    }

    // ---------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void aWorkloadGetsATokenBoundToItsCertificateThroughTheProxy() {
        X509Svid svid = spire.mintX509Svid(WAREHOUSE);

        Answer answer = token(svid, null);

        assertThat(answer.status).as(answer.body).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo(CLIENT);
        assertThat(answer.accessToken().path("spiffe_id").asText()).isEqualTo(WAREHOUSE);
        assertThat(answer.accessToken().path("cnf").path("x5t#S256").asText()).isEqualTo(svid.thumbprintS256());
        assertThat(answer.accessToken().path("iss").asText()).as("the issuer as reached through the proxy")
                .isEqualTo(nginx.baseUrl() + "/realms/" + SvidRealm.REALM);
    }

    @Test
    @Order(2)
    void aClientWithoutBundleUsesTheTrustDomainEntry() {
        Answer answer = token(spire.mintX509Svid("spiffe://example.org/ns/apps/sa/entry"), null);

        assertThat(answer.status).as(answer.body).isEqualTo(200);
        assertThat(answer.accessToken().path("azp").asText()).isEqualTo("x509-entry");
    }

    /** The certificate header of a request that did not come from the trusted proxy is ignored. */
    @Test
    @Order(3)
    void aCertificateHeaderSentToKeycloakDirectlyIsIgnored() throws Exception {
        X509Svid genuine = spire.mintX509Svid(WAREHOUSE);
        String header = URLEncoder.encode(genuine.chainPem(), StandardCharsets.UTF_8).replace("+", "%20");
        clearEvents();

        HttpResponse<String> direct = HttpClient.newHttpClient().send(HttpRequest.newBuilder(keycloak.tokenEndpoint(SvidRealm.REALM))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header(LocalNginx.CERT_HEADER, header)
                        .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(Map.of("grant_type", "client_credentials",
                                "client_id", CLIENT)))).build(),
                HttpResponse.BodyHandlers.ofString());

        Answer answer = new Answer(direct.statusCode(), direct.body());
        Rejections.assertTerse(answer, "no_certificate");
        assertThat(Rejections.detail(assertOneLoginError("no_certificate"))).contains("present it as TLS client certificate");
        // and a certificate header a client sends through nginx is replaced by nginx's own (none here)
        HttpResponse<String> through = client(null).send(HttpRequest.newBuilder(tokenEndpoint())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header(LocalNginx.CERT_HEADER, header)
                        .POST(HttpRequest.BodyPublishers.ofString(FormPost.body(Map.of("grant_type", "client_credentials",
                                "client_id", CLIENT)))).build(),
                HttpResponse.BodyHandlers.ofString());
        Rejections.assertTerse(new Answer(through.statusCode(), through.body()), "no_certificate");
    }

    /** With the proxy trust configured, the forwarded certificate is used, and Server Info says from where. */
    @Test
    @Order(3)
    void serverInfoSaysForwardedCertificatesAreUsedFromTheTrustedProxyOnly() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(keycloak.baseUrl() + "/admin/serverinfo"))
                .header("Authorization", "Bearer " + keycloak.admin().accessToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonNode info = dev.svidauth.testkit.KeycloakAdmin.json().readTree(r.body()).path("providers").path("client-authenticator")
                .path("providers").path("client-svid-x509").path("operationalInfo");

        assertThat(info.path("client-certificate-lookup").asText()).isEqualTo("nginx");
        assertThat(info.path("forwarded-client-certificates").asText())
                .isEqualTo("used from proxy-trusted-addresses only (" + LocalNginx.UPSTREAM_SOURCE + ")");
        assertThat(keycloak.logText()).doesNotContain("IGNORES forwarded certificates");
    }

    // ------------------------------------------------------------------------- attack catalog

    /** name, the certificate presented (null: none), client_id, reason, what the description names. */
    Stream<Arguments> catalog() {
        X509Forge forge = spire.x509Forge();
        Function<Defect, X509Svid> bad = d -> forge.defective(d, WAREHOUSE);
        List<Arguments> c = new ArrayList<>();
        c.add(Arguments.of("self-signed leaf with the right SAN", bad.apply(Defect.SELF_SIGNED), CLIENT, "untrusted_certificate",
                "does not verify up to an X.509 authority of trust domain 'example.org'"));
        c.add(Arguments.of("two URI SANs", bad.apply(Defect.TWO_URI_SANS), CLIENT, "bad_certificate", "exactly one URI SAN"));
        c.add(Arguments.of("URI SAN not a SPIFFE ID", bad.apply(Defect.NON_SPIFFE_URI_SAN), CLIENT, "bad_spiffe_id",
                "URI SAN is not a valid SPIFFE ID"));
        c.add(Arguments.of("no URI SAN", bad.apply(Defect.NO_URI_SAN), CLIENT, "bad_certificate", "exactly one URI SAN"));
        c.add(Arguments.of("CA certificate as leaf", bad.apply(Defect.CA_LEAF), CLIENT, "bad_certificate", "is a CA certificate"));
        c.add(Arguments.of("missing digitalSignature", bad.apply(Defect.NO_DIGITAL_SIGNATURE), CLIENT, "bad_certificate",
                "lacks keyUsage digitalSignature"));
        c.add(Arguments.of("keyCertSign on the leaf", bad.apply(Defect.KEY_CERT_SIGN), CLIENT, "bad_certificate",
                "keyCertSign or cRLSign"));
        c.add(Arguments.of("serverAuth only", bad.apply(Defect.NO_CLIENT_AUTH), CLIENT, "bad_certificate", "without clientAuth"));
        // nginx refuses these itself (400, see below); a proxy that forwards them reaches the authenticator
        c.add(Arguments.of(VIA_PROXY_WITHOUT_DATE_CHECK + "expired", bad.apply(Defect.EXPIRED), CLIENT, "certificate_expired", "expired at"));
        c.add(Arguments.of(VIA_PROXY_WITHOUT_DATE_CHECK + "not yet valid", bad.apply(Defect.NOT_YET_VALID), CLIENT, "not_yet_valid",
                "is not valid before"));
        c.add(Arguments.of("weak RSA 1024 key", bad.apply(Defect.WEAK_RSA_1024), CLIENT, "bad_certificate", "1024-bit RSA key"));
        c.add(Arguments.of("EC P-521 key", bad.apply(Defect.EC_P521), CLIENT, "bad_certificate", "only P-256 and P-384"));
        c.add(Arguments.of("another CA of the same trust domain name", bad.apply(Defect.UNRELATED_CA), CLIENT, "untrusted_certificate",
                "does not verify up to an X.509 authority"));
        c.add(Arguments.of("chain with an unrelated intermediate", bad.apply(Defect.UNRELATED_INTERMEDIATE), CLIENT,
                "untrusted_certificate", "does not verify up to an X.509 authority"));
        c.add(Arguments.of("impostor CA copying the CA's name", bad.apply(Defect.IMPOSTOR_CA), CLIENT, "untrusted_certificate",
                "does not verify up to an X.509 authority"));
        c.add(Arguments.of("broken signature", bad.apply(Defect.BAD_SIGNATURE), CLIENT, "untrusted_certificate",
                "does not verify up to an X.509 authority"));
        c.add(Arguments.of("SPIFFE ID of another trust domain signed by this CA", bad.apply(Defect.FOREIGN_SPIFFE_ID), CLIENT,
                "spiffe_id_mismatch", "is not accepted by client 'warehouse-api'"));
        c.add(Arguments.of("certificate from another trust domain's CA", bad.apply(Defect.OTHER_TRUST_DOMAIN), null,
                "unknown_client", "accepts SPIFFE ID 'spiffe://other-example.org/ns/apps/sa/warehouse'"));
        c.add(Arguments.of("another trust domain's SPIFFE ID vouched for by example.org's bundle",
                forge.leaf("spiffe://other.example/ns/apps/sa/x").mint(), null, "trust_domain_mismatch",
                "serves the bundle of trust domain 'example.org', not of the SVID's trust domain 'other.example'"));
        c.add(Arguments.of("client_id of another client", spire.mintX509Svid(WAREHOUSE), "x509-twin-a", "spiffe_id_mismatch",
                "is not accepted by client 'x509-twin-a'"));
        c.add(Arguments.of("client_id of a JWT-SVID client", spire.mintX509Svid(WAREHOUSE), "payments-api", "missing_assertion",
                "authenticates with a JWT-SVID"));
        c.add(Arguments.of("client_id of no client", spire.mintX509Svid(WAREHOUSE), "no-such-client", "unknown_client",
                "client_id 'no-such-client' is not a client of realm 'svid'"));
        c.add(Arguments.of("prefix abuse: /sa/ware/* against /sa/warehouse-evil", spire.mintX509Svid(
                "spiffe://example.org/ns/apps/sa/warehouse-evil"), null, "unknown_client", "warehouse-evil"));
        c.add(Arguments.of("prefix abuse: /sa/ware/* against /sa/ware itself", spire.mintX509Svid(
                "spiffe://example.org/ns/apps/sa/ware"), null, "unknown_client", "spiffe://example.org/ns/apps/sa/ware'"));
        c.add(Arguments.of("two clients accept the SPIFFE ID equally", spire.mintX509Svid("spiffe://example.org/ns/apps/sa/twin"),
                null, "ambiguous_client", "is accepted by 2 clients"));
        c.add(Arguments.of("disabled client", spire.mintX509Svid("spiffe://example.org/ns/apps/sa/disabled"), null, "client_disabled",
                "client 'x509-disabled' is disabled"));
        c.add(Arguments.of("no certificate for an X.509 client", null, CLIENT, "no_certificate",
                "authenticates with an X.509-SVID"));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    @Order(4)
    void attackCatalog(String name, X509Svid presented, String clientId, String reason, String names) throws IOException {
        clearEvents();

        Answer answer = name.startsWith(VIA_PROXY_WITHOUT_DATE_CHECK) ? fromTrustedProxy(presented, clientId) : token(presented, clientId);

        Rejections.assertTerse(answer, reason);
        assertThat(Rejections.detail(assertOneLoginError(reason))).as(name).contains(names);
    }

    /** Catalog cases sent as a proxy that forwards certificates without checking their dates would. */
    static final String VIA_PROXY_WITHOUT_DATE_CHECK = "[proxy without date check] ";

    /** nginx checks validity dates even with optional_no_ca: an expired or future certificate never passes it. */
    @Test
    @Order(5)
    void nginxItselfRefusesCertificatesOutsideTheirValidity() {
        for (Defect d : List.of(Defect.EXPIRED, Defect.NOT_YET_VALID)) {
            clearEvents();
            Answer answer = token(spire.x509Forge().defective(d, WAREHOUSE), CLIENT);
            assertThat(answer.status).as(d + ": " + answer.body).isEqualTo(400);
            assertThat(answer.body).contains("The SSL certificate error");
            assertThat(keycloak.admin().events(SvidRealm.REALM, "CLIENT_LOGIN_ERROR")).as("Keycloak never saw it").isEmpty();
        }
    }

    /**
     * A token request as a trusted proxy forwards it: from {@link LocalNginx#UPSTREAM_SOURCE} (the
     * address Keycloak trusts), the client certificate URL-escaped in the header, whatever its dates.
     */
    private Answer fromTrustedProxy(X509Svid svid, String clientId) throws IOException {
        String body = FormPost.body(Map.of("grant_type", "client_credentials", "client_id", clientId));
        String cert = URLEncoder.encode(svid.leafPem(), StandardCharsets.UTF_8).replace("+", "%20");
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(LocalNginx.UPSTREAM_SOURCE, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", keycloak.httpPort()), 5000);
            socket.setSoTimeout(30_000);
            String request = "POST /realms/" + SvidRealm.REALM + "/protocol/openid-connect/token HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + keycloak.httpPort() + "\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\n"
                    + LocalNginx.CERT_HEADER + ": " + cert + "\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                    + "Connection: close\r\n\r\n" + body;
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            String payload = response.substring(response.indexOf("\r\n\r\n") + 4);
            if (response.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                payload = payload.substring(payload.indexOf("\r\n") + 2, payload.lastIndexOf("}") + 1);
            }
            return new Answer(status, payload);
        }
    }

    /** The bundle endpoint fails: the cached bundle keeps serving; a bundle never fetched is key_source_unavailable. */
    @Test
    @Order(6)
    void bundleEndpointDownOrServingGarbage() {
        X509Svid svid = spire.mintX509Svid(WAREHOUSE);
        assertThat(token(svid, null).status).isEqualTo(200); // bundle cached
        try {
            spire.failWith(503, SpireEmulator.Endpoint.BUNDLE);
            Answer cached = token(spire.mintX509Svid(WAREHOUSE), null);
            assertThat(cached.status).as("last-known-good bundle: " + cached.body).isEqualTo(200);

            spire.serveRaw("<html>not a bundle</html>", "text/html", SpireEmulator.Endpoint.BUNDLE);
            clearEvents();
            Answer garbage = token(spire.x509Svid(GARBAGE).unchecked().mint(), null);
            Rejections.assertTerse(garbage, "key_source_unavailable");
            assertThat(Rejections.detail(assertOneLoginError("key_source_unavailable"))).contains("http://localhost:");
        } finally {
            spire.reset();
        }
    }

    /**
     * SPIRE's X.509 CA rotates while 16 workers authenticate through nginx, each renewing its SVID
     * every 2 s as agents do (from the active CA): the worst case, where the new CA signs at once
     * (SPIRE publishes it hours ahead). The first SVID of the new CA misses the cached bundle and
     * triggers the one rate-limited refetch that every concurrent miss shares.
     */
    @Test
    @Order(7)
    void caRotationUnderLoadLosesNoRequest() throws Exception {
        int workers = 16;
        X509Certificate firstCa = spire.x509Authority().certificate();
        AtomicReference<X509Svid> current = new AtomicReference<>(spire.mintX509Svid(WAREHOUSE));
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger fromNewCa = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(workers + 1);
        try {
            Future<?> renewer = pool.submit(() -> {
                while (System.nanoTime() < end) {
                    sleep(2000);
                    current.set(spire.mintX509Svid(WAREHOUSE));
                }
            });
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                running.add(pool.submit(() -> {
                    X509Svid held = null;
                    HttpClient http = null;
                    while (System.nanoTime() < end) {
                        X509Svid svid = current.get();
                        if (svid != held) {
                            held = svid;
                            http = client(svid);
                        }
                        Answer a = token(http, null);
                        if (a.status == 200) {
                            ok.incrementAndGet();
                            if (!svid.chain().get(0).getIssuerX500Principal().equals(firstCa.getSubjectX500Principal())) {
                                fromNewCa.incrementAndGet();
                            }
                        } else {
                            failed.incrementAndGet();
                            failures.add(a.toString());
                        }
                    }
                }));
            }
            sleep(7000);
            spire.rotateX509Authority();
            current.set(spire.mintX509Svid(WAREHOUSE));
            for (Future<?> f : running) {
                f.get();
            }
            renewer.get();
            System.out.printf("[x509] CA rotated under load: %d workers, 20 s, %d tokens (%d for SVIDs of the new CA), %d failures,"
                    + " %d bundle fetches%n", workers, ok.get(), fromNewCa.get(), failed.get(), spire.requests(SpireEmulator.Endpoint.BUNDLE));
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).as("failures").isEmpty();
        assertThat(fromNewCa.get()).as("tokens for SVIDs of the new CA").isPositive();
        assertThat(ok.get()).isGreaterThan(100);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The one CLIENT_LOGIN_ERROR event since the events were cleared, with its reason; returns it. */
    private JsonNode assertOneLoginError(String reason) {
        List<JsonNode> errors = keycloak.admin().events(SvidRealm.REALM, "CLIENT_LOGIN_ERROR");
        assertThat(errors).as("CLIENT_LOGIN_ERROR events").hasSize(1);
        assertThat(errors.get(0).path("details").path("reason").asText()).isEqualTo(reason);
        return errors.get(0);
    }
}
