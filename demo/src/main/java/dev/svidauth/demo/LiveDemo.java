package dev.svidauth.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.WitSvid;
import dev.svidauth.spire.X509Svid;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.FormPost.Answer;
import dev.svidauth.testkit.KeycloakServer;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.testkit.SystemProperties.required;

/**
 * The live demo: SPIFFE workloads exchange their SVIDs for Keycloak access tokens, a JWT-SVID as
 * client assertion, an X.509-SVID as TLS client certificate and a WIT-SVID with its proof of
 * possession.
 *
 * <ol>
 *   <li>starts a SPIRE emulator for the trust domain {@code example.org} (OIDC Discovery Provider,
 *       SPIFFE bundle endpoint with the JWT keys and the X.509 CA, and the X.509 bundle as a PEM
 *       file, as spiffe-helper writes it),</li>
 *   <li>starts a real Keycloak from the {@code keycloak-quarkus-dist} zip with the drop-in JAR,
 *       importing the shipped realm-export with its key-source placeholders pointing at the
 *       emulator; HTTPS next to HTTP, asking for client certificates
 *       ({@code --https-client-auth=request}) and trusting the bundle PEM file
 *       ({@code --https-trust-store-file}),</li>
 *   <li>the workload {@code spiffe://example.org/ns/agents/planner} gets a JWT-SVID with
 *       {@code client_type: ai-agent} and sends it as {@code client_assertion} (client_credentials,
 *       jwt-spiffe); the demo prints the request and the decoded access token,</li>
 *   <li>shows one rejection: an SVID minted for another audience,</li>
 *   <li>the workload {@code spiffe://example.org/ns/apps/sa/warehouse} gets an X.509-SVID and
 *       calls the HTTPS token endpoint with it as client certificate (client-svid-x509, client
 *       {@code warehouse-api}); the demo prints the decoded access token, whose
 *       {@code cnf.x5t#S256} binds it to the certificate,</li>
 *   <li>the workload {@code spiffe://example.org/ns/apps/sa/ledger} gets a WIT-SVID and its key
 *       pair, signs a proof of possession for the realm and sends both in the
 *       {@code OAuth-Client-Attestation} headers (client-svid-wit, client {@code ledger-wit},
 *       created through the admin API); the demo prints the decoded access token, then sends the
 *       same proof again, which is refused ({@code pop_replayed}),</li>
 *   <li>stops everything it started.</li>
 * </ol>
 *
 * <p>Run it with {@code ./demo.sh} (or {@code ./mvnw -Pdemo -pl demo -am -DskipTests verify}),
 * which passes the system properties {@code keycloak.dist.zip}, {@code keycloak.work.dir},
 * {@code svid.provider.jar} and {@code svid.realm.file}. Exits 1 if Keycloak does not answer as
 * shown, so the demo doubles as a smoke test.
 */
public final class LiveDemo {

    static final String TRUST_DOMAIN = "example.org";
    static final String REALM = "svid";
    static final String WORKLOAD = "spiffe://example.org/ns/agents/planner";
    static final String X509_WORKLOAD = "spiffe://example.org/ns/apps/sa/warehouse";
    static final String X509_CLIENT = "warehouse-api";
    static final String JWT_SPIFFE = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe";
    static final String FOREIGN_AUDIENCE = "https://payments.example.org";
    static final String WIT_WORKLOAD = "spiffe://example.org/ns/apps/sa/ledger";
    static final String WIT_CLIENT = "ledger-wit";
    static final String ATTESTATION_HEADER = "OAuth-Client-Attestation";
    static final String POP_HEADER = "OAuth-Client-Attestation-PoP";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final PrintStream out;

    LiveDemo(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        long started = System.nanoTime();
        PrintStream out = System.out;
        int status;
        try {
            status = new LiveDemo(out).run();
        } catch (RuntimeException e) {
            out.println();
            out.println("DEMO FAILED: " + e.getMessage());
            e.printStackTrace(out);
            status = 1;
        }
        out.printf("%nTotal %d s.%n", Duration.ofNanos(System.nanoTime() - started).toSeconds());
        out.flush();
        System.exit(status);
    }

    int run() {
        Path zip = Path.of(required("keycloak.dist.zip"));
        Path jar = Path.of(required("svid.provider.jar"));
        Path realm = Path.of(required("svid.realm.file"));
        Path workDir = Path.of(required("keycloak.work.dir"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("drop-in JAR " + jar + " is missing: build provider-jar first");
        }

        title("svid-auth live demo: SPIFFE workloads get Keycloak access tokens with their JWT-SVID, X.509-SVID and WIT-SVID");

        step(1, "SPIRE (emulated SPIRE 1.15 server + OIDC Discovery Provider, trust domain " + TRUST_DOMAIN + ")");
        try (SpireEmulator spire = SpireEmulator.builder().trustDomain(TRUST_DOMAIN).issuer(SpireEmulator.SELF)
                .x509Authority(true).witSvids(true).start()) {
            kv("jwt_issuer", spire.issuer());
            kv("OIDC discovery", spire.discoveryUrl().toString());
            kv("JWKS (/keys)", spire.jwksUrl().toString());
            kv("bundle endpoint", spire.bundleUrl().toString() + " (JWT keys, X.509 CA and WIT-SVID keys)");
            // the trust domain's X.509 bundle as PEM, kept current as spiffe-helper's svid_bundle_file_name
            Path bundlePem = workDir.resolveSibling("x509-bundle").resolve(TRUST_DOMAIN + "-bundle.pem");
            createDirectories(bundlePem.getParent());
            spire.keepX509BundlePemUpdated(bundlePem);
            kv("X.509 CA", spire.x509Authority().certificate().getSubjectX500Principal().toString());
            kv("bundle PEM file", bundlePem.toString());

            step(2, "Keycloak " + System.getProperty("keycloak.server.version", "") + " with the drop-in JAR and the realm-export");
            kv("provider", jar.toString());
            kv("realm file", realm.toString());
            kv("work dir", workDir.toString());
            try (KeycloakServer keycloak = KeycloakServer.builder()
                    .distZip(zip)
                    .workDir(workDir)
                    .providerJar(jar)
                    .importRealm(realm)
                    .env("SVID_ISSUER", spire.issuer())
                    .env("SVID_JWKS_URI", spire.jwksUrl().toString())
                    .env("SVID_BUNDLE_URI", spire.bundleUrl().toString())
                    .env("LEGACY_SERVICE_SECRET", "demo-legacy-secret")
                    // HTTPS next to HTTP: client certificates requested and trusted through the bundle PEM file
                    .httpsTrustStore(bundlePem)
                    .startTimeout(Duration.ofMinutes(5))
                    .progress(line -> out.println("   [keycloak] " + line))
                    .start()) {
                URI realmUrl = keycloak.realmUrl(REALM);
                kv("realm issuer", realmUrl.toString());
                kv("HTTPS", keycloak.httpsBaseUrl() + " (--https-client-auth=request, --https-trust-store-file=" + bundlePem.getFileName() + ")");
                kv("admin console", keycloak.baseUrl() + "/admin/master/console/ (admin / admin)");

                // every step runs, whatever an earlier one shows
                boolean ok = exchange(spire, keycloak, realmUrl) & rejection(spire, keycloak) & x509Exchange(spire, keycloak)
                        & witExchange(spire, keycloak, realmUrl);

                step(11, "Stopping Keycloak and the SPIRE emulator");
                return ok ? 0 : 1;
            }
        } finally {
            out.println("   stopped.");
        }
    }

    /** Steps 3 and 4: mint, send, decode. */
    private boolean exchange(SpireEmulator spire, KeycloakServer keycloak, URI realmUrl) {
        step(3, "The workload " + WORKLOAD + " fetches a JWT-SVID (audience: the realm's issuer URL)");
        String svid = spire.svid(WORKLOAD).audience(realmUrl.toString()).claim("client_type", "ai-agent").mint();
        kv("header", compact(part(svid, 0)));
        kv("claims", compact(part(svid, 1)));

        step(4, "It sends the SVID as its client credential (client_credentials, jwt-spiffe)");
        Answer answer = tokenRequest(keycloak.tokenEndpoint(REALM), svid);
        if (answer.status != 200) {
            out.println("   expected HTTP 200, got " + answer.status + " " + answer.body);
            return false;
        }
        JsonNode token = part(answer.json.path("access_token").asText(), 1);
        out.println("   access token (decoded payload):");
        long exp = token.path("exp").asLong();
        kv("  azp", token.path("azp").asText());
        kv("  spiffe_id", token.path("spiffe_id").asText());
        kv("  is_agent", token.path("is_agent").toString());
        kv("  client_type", token.path("client_type").asText());
        kv("  trust_domain", token.path("trust_domain").asText());
        kv("  iss", token.path("iss").asText());
        kv("  exp", exp + " (" + Instant.ofEpochSecond(exp) + ", in " + (exp - Instant.now().getEpochSecond()) + " s)");
        boolean ok = "ai-agents".equals(token.path("azp").asText())
                && WORKLOAD.equals(token.path("spiffe_id").asText())
                && token.path("is_agent").isBoolean() && token.path("is_agent").asBoolean();
        if (!ok) {
            out.println("   unexpected access token: " + token);
        }
        return ok;
    }

    /** Step 5: an SVID for somebody else is refused with 401 invalid_client. */
    private boolean rejection(SpireEmulator spire, KeycloakServer keycloak) {
        step(5, "A rejection: the same workload presents an SVID minted for another audience (" + FOREIGN_AUDIENCE + ")");
        String foreign = spire.svid(WORKLOAD).audience(FOREIGN_AUDIENCE).claim("client_type", "ai-agent").mint();
        kv("claims", compact(part(foreign, 1)));
        Answer answer = tokenRequest(keycloak.tokenEndpoint(REALM), foreign);
        List<JsonNode> events = keycloak.admin().events(REALM, "CLIENT_LOGIN_ERROR", 1);
        if (!events.isEmpty()) {
            JsonNode details = events.get(0).path("details");
            kv("event", "CLIENT_LOGIN_ERROR reason=" + details.path("reason").asText()
                    + " client_assertion_sub=" + details.path("client_assertion_sub").asText());
        }
        boolean ok = answer.status == 401 && answer.json != null && "invalid_client".equals(answer.json.path("error").asText());
        if (!ok) {
            out.println("   expected HTTP 401 invalid_client, got " + answer.status + " " + answer.body);
        }
        return ok;
    }

    /**
     * Steps 6 and 7: an X.509-SVID as TLS client certificate at the HTTPS token endpoint; the
     * access token is bound to the certificate (RFC 8705 {@code cnf.x5t#S256}).
     */
    private boolean x509Exchange(SpireEmulator spire, KeycloakServer keycloak) {
        step(6, "The workload " + X509_WORKLOAD + " fetches an X.509-SVID");
        X509Svid svid = spire.mintX509Svid(X509_WORKLOAD);
        X509Certificate leaf = svid.leaf();
        kv("URI SAN", svid.spiffeId());
        kv("subject", leaf.getSubjectX500Principal().toString());
        kv("issuer", leaf.getIssuerX500Principal().toString());
        kv("valid", leaf.getNotBefore().toInstant() + " .. " + svid.notAfter());
        kv("key", leaf.getPublicKey().getAlgorithm() + ", chain of " + svid.chain().size());
        kv("x5t#S256", svid.thumbprintS256());

        step(7, "It calls the HTTPS token endpoint with the X.509-SVID as TLS client certificate (client_credentials, client-svid-x509)");
        HttpClient mtls = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .sslContext(keycloak.serverTls().clientContext(svid.chain(), svid.privateKey())).build();
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        Answer answer = post(mtls, keycloak.httpsTokenEndpoint(REALM), form,
                "mutual TLS: the client certificate is the X.509-SVID; the form names no client, Keycloak finds " + X509_CLIENT
                        + " by the certificate's SPIFFE ID");
        if (answer.status != 200) {
            out.println("   expected HTTP 200, got " + answer.status + " " + answer.body);
            return false;
        }
        JsonNode token = answer.accessToken();
        String bound = token.path("cnf").path("x5t#S256").asText();
        boolean sameCertificate = svid.thumbprintS256().equals(bound);
        out.println("   access token (decoded payload):");
        kv("  azp", token.path("azp").asText());
        kv("  spiffe_id", token.path("spiffe_id").asText());
        kv("  cnf.x5t#S256", bound + (sameCertificate ? " (= the client certificate's SHA-256 thumbprint)"
                : " (NOT the client certificate's thumbprint " + svid.thumbprintS256() + ")"));
        boolean ok = X509_CLIENT.equals(token.path("azp").asText()) && X509_WORKLOAD.equals(token.path("spiffe_id").asText())
                && sameCertificate;
        if (!ok) {
            out.println("   unexpected access token: " + token);
        }
        return ok;
    }

    /**
     * Steps 8 to 10: a WIT-SVID and a proof of possession signed by the workload's own key, in the
     * attestation headers; then the same proof again, refused as a replay.
     */
    private boolean witExchange(SpireEmulator spire, KeycloakServer keycloak, URI realmUrl) {
        step(8, "The workload " + WIT_WORKLOAD + " fetches a WIT-SVID: a token bound to a key pair that never leaves the workload");
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientId", WIT_CLIENT);
        client.put("enabled", true);
        client.put("publicClient", false);
        client.put("standardFlowEnabled", false);
        client.put("serviceAccountsEnabled", true);
        client.put("clientAuthenticatorType", "client-svid-wit");
        client.put("attributes", Map.of("svid.spiffe.id", WIT_WORKLOAD));
        client.put("protocolMappers", List.of(Map.of("name", "SPIFFE ID", "protocol", "openid-connect",
                "protocolMapper", "oidc-svid-claim-mapper", "config", Map.of("svid.claim", "spiffe_id", "claim.name", "spiffe_id",
                        "jsonType.label", "String", "access.token.claim", "true", "id.token.claim", "false",
                        "userinfo.token.claim", "false", "introspection.token.claim", "true"))));
        keycloak.admin().post("/" + REALM + "/clients", client);
        kv("client", WIT_CLIENT + " (client-svid-wit, svid.spiffe.id " + WIT_WORKLOAD + ", created through the admin API; no key"
                + " source of its own: the realm's trust-domain entry for " + TRUST_DOMAIN + " names the bundle, whose wit-svid keys"
                + " verify the WIT-SVID)");
        WitSvid wit = spire.mintWitSvid(WIT_WORKLOAD);
        kv("header", compact(part(wit.token(), 0)));
        kv("claims", compact(part(wit.token(), 1)));

        step(9, "It signs a proof of possession for this realm with its own key and sends both (client_credentials, client-svid-wit)");
        String pop = wit.pop(realmUrl.toString());
        kv("PoP header", compact(part(pop, 0)));
        kv("PoP claims", compact(part(pop, 1)));
        Answer answer = attestationRequest(keycloak.tokenEndpoint(REALM), wit.token(), pop);
        boolean ok = answer.status == 200;
        if (!ok) {
            out.println("   expected HTTP 200, got " + answer.status + " " + answer.body);
        } else {
            JsonNode token = answer.accessToken();
            out.println("   access token (decoded payload):");
            kv("  azp", token.path("azp").asText());
            kv("  spiffe_id", token.path("spiffe_id").asText());
            kv("  iss", token.path("iss").asText());
            if (token.has("cnf")) {
                kv("  cnf", compact(token.path("cnf")));
            }
            ok = WIT_CLIENT.equals(token.path("azp").asText()) && WIT_WORKLOAD.equals(token.path("spiffe_id").asText());
            if (!ok) {
                out.println("   unexpected access token: " + token);
            }
        }

        step(10, "A replay: somebody who copied both headers sends them again");
        Answer replay = attestationRequest(keycloak.tokenEndpoint(REALM), wit.token(), pop);
        List<JsonNode> events = keycloak.admin().events(REALM, "CLIENT_LOGIN_ERROR", 1);
        String reason = events.isEmpty() ? "" : events.get(0).path("details").path("reason").asText();
        kv("event", "CLIENT_LOGIN_ERROR reason=" + reason);
        boolean refused = replay.status == 401 && replay.json != null && "invalid_client".equals(replay.json.path("error").asText())
                && "pop_replayed".equals(reason);
        if (!refused) {
            out.println("   expected HTTP 401 invalid_client with reason pop_replayed, got " + replay.status + " " + replay.body
                    + " (reason '" + reason + "')");
        }
        return ok && refused;
    }

    /** POSTs client_credentials with the WIT-SVID and its PoP in the attestation headers, printing request and answer. */
    private Answer attestationRequest(URI tokenEndpoint, String wit, String pop) {
        out.println();
        out.println("   > POST " + tokenEndpoint.getRawPath() + " HTTP/1.1");
        out.println("   > Host: " + tokenEndpoint.getAuthority());
        out.println("   > Content-Type: application/x-www-form-urlencoded");
        out.println("   > " + ATTESTATION_HEADER + ": " + abbreviate(wit));
        out.println("   > " + POP_HEADER + ": " + abbreviate(pop));
        out.println("   >");
        out.println("   > grant_type=client_credentials");
        HttpRequest request = HttpRequest.newBuilder(tokenEndpoint).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(ATTESTATION_HEADER, wit)
                .header(POP_HEADER, pop)
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
        Answer answer;
        try {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            answer = new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException("POST " + tokenEndpoint + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("POST " + tokenEndpoint + " interrupted", e);
        }
        out.println();
        out.println("   < HTTP " + answer.status);
        out.println("   < " + abbreviateTokens(answer));
        out.println();
        return answer;
    }

    private static String abbreviate(String token) {
        return token.substring(0, Math.min(24, token.length())) + "…(" + token.length() + " chars)";
    }

    /** POSTs the JWT-SVID token request, printing it and the answer's status line and body. */
    private Answer tokenRequest(URI tokenEndpoint, String svid) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_assertion_type", JWT_SPIFFE);
        form.put("client_assertion", svid);
        return post(HTTP, tokenEndpoint, form, null);
    }

    /** POSTs {@code form} with {@code http}, printing the request ({@code tls}: how it travels, or null) and the answer. */
    private Answer post(HttpClient http, URI tokenEndpoint, Map<String, String> form, String tls) {
        out.println();
        if (tls != null) {
            out.println("   (" + tls + ")");
        }
        out.println("   > POST " + tokenEndpoint.getRawPath() + " HTTP/1.1");
        out.println("   > Host: " + tokenEndpoint.getAuthority());
        out.println("   > Content-Type: application/x-www-form-urlencoded");
        out.println("   >");
        String sep = "   > ";
        for (Map.Entry<String, String> e : form.entrySet()) {
            out.println(sep + enc(e.getKey()) + "=" + enc(e.getValue()));
            sep = "   > &";
        }
        Answer answer = FormPost.post(http, tokenEndpoint, form, null);
        out.println();
        out.println("   < HTTP " + answer.status);
        out.println("   < " + abbreviateTokens(answer));
        out.println();
        return answer;
    }

    /** The answer body with the (long) tokens shortened; their payload is printed decoded. */
    private static String abbreviateTokens(Answer answer) {
        if (answer.json == null || !answer.json.isObject()) {
            return answer.body;
        }
        JsonNode copy = answer.json.deepCopy();
        for (String field : List.of("access_token", "refresh_token", "id_token")) {
            if (copy.hasNonNull(field)) {
                String t = copy.path(field).asText();
                ((com.fasterxml.jackson.databind.node.ObjectNode) copy).put(field,
                        t.substring(0, Math.min(24, t.length())) + "…(" + t.length() + " chars)");
            }
        }
        return copy.toString();
    }

    private void title(String text) {
        out.println();
        out.println(text);
        out.println("=".repeat(text.length()));
    }

    private void step(int n, String text) {
        out.println();
        out.println(n + ". " + text);
    }

    private void kv(String key, String value) {
        out.printf("   %-16s %s%n", key, value);
    }

    private static JsonNode part(String jwt, int index) {
        String[] parts = jwt.split("\\.");
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(parts[index]));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("not a JWT: " + jwt, e);
        }
    }

    private static String compact(JsonNode node) {
        return node.toString();
    }

    private static String enc(String s) {
        return FormPost.encode(s);
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dir, e);
        }
    }
}
