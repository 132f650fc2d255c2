package dev.svidauth.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.X509Svid;
import dev.svidauth.testkit.FormPost;
import dev.svidauth.testkit.FormPost.Answer;
import dev.svidauth.testkit.KeycloakAdmin;
import dev.svidauth.testkit.LocalDatabase;
import dev.svidauth.testkit.RunningKeycloak;

import javax.net.ssl.SSLContext;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The realm {@value #REALM} on the shared test environment (one SPIRE emulator, one Keycloak that
 * imported the shipped realm-export) and the calls tests make against it. Started once per test run
 * by {@link SvidEnvironment}, which injects it into test constructors and methods.
 */
public final class SvidRealm implements AutoCloseable {

    public static final String REALM = "svid";
    /** The trust domain of the shared SPIRE emulator and of the realm-export's clients. */
    public static final String TRUST_DOMAIN = "example.org";
    public static final String JWT_SPIFFE = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe";
    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    public static final String LEGACY_SECRET = "legacy-secret-for-tests";
    public static final String WORKLOAD_API_SECRET = "workload-api-secret-for-tests";

    public static final String PAYMENTS = "spiffe://example.org/ns/apps/sa/payments";
    public static final String INVENTORY = "spiffe://example.org/ns/apps/sa/inventory";
    public static final String REPORTING = "spiffe://example.org/ns/apps/sa/reporting";
    public static final String AGENT = "spiffe://example.org/ns/agents/planner";
    /** The realm-export's X.509-SVID client ({@code client-svid-x509}) and the SPIFFE ID it accepts. */
    public static final String WAREHOUSE_CLIENT = "warehouse-api";
    public static final String WAREHOUSE = "spiffe://example.org/ns/apps/sa/warehouse";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final SpireEmulator spire;
    private final RunningKeycloak keycloak;
    /** The container runtime under -Ptestcontainers, else null (Keycloak runs on this machine). */
    private final ContainerRuntime container;
    /** The run's database server under -Dkeycloak.db=postgres or mariadb, else null (Keycloak's dev-file H2). */
    private final LocalDatabase database;
    /** CIBA's authentication device that Keycloak's HTTP authentication channel posts to; null in a container. */
    private final AuthenticationDevice device;

    /**
     * The realm on {@code keycloak}, which imported the shipped realm-export pointing at
     * {@code spire}; {@code container}, {@code database} and {@code device} may be null. Closing
     * stops the server, the emulator, the database and the device.
     */
    public SvidRealm(SpireEmulator spire, RunningKeycloak keycloak, ContainerRuntime container, LocalDatabase database,
                     AuthenticationDevice device) {
        this.spire = spire;
        this.keycloak = keycloak;
        this.container = container;
        this.database = database;
        this.device = device;
    }

    /**
     * The environment the shipped realm-export's placeholders ({@code ${SVID_ISSUER:…}} etc.) read,
     * for a Keycloak whose SPIRE is {@code spire}, with the test secrets.
     */
    public static Map<String, String> realmExportEnvironment(SpireEmulator spire) {
        return realmExportEnvironment(spire.issuer(), spire.jwksUrl().toString(), spire.bundleUrl().toString());
    }

    /** As {@link #realmExportEnvironment(SpireEmulator)}, for SPIRE's URLs as Keycloak must be told them. */
    public static Map<String, String> realmExportEnvironment(String issuer, String jwksUri, String bundleUri) {
        return Map.of("SVID_ISSUER", issuer, "SVID_JWKS_URI", jwksUri, "SVID_BUNDLE_URI", bundleUri,
                "LEGACY_SERVICE_SECRET", LEGACY_SECRET, "WORKLOAD_API_SECRET", WORKLOAD_API_SECRET);
    }

    /** CIBA's authentication device, or null where Keycloak cannot reach it (container runtime). */
    public AuthenticationDevice authenticationDevice() {
        return device;
    }

    /**
     * A URL of a service in this JVM (an emulator) as Keycloak must be told it: unchanged when
     * Keycloak runs on this machine, rewritten to the container's host alias (and the port
     * exposed) under {@code -Ptestcontainers}.
     */
    public String forKeycloak(URI local) {
        if (container == null) {
            return local.toString();
        }
        container.exposeHostPort(local.getPort());
        return local.toString().replaceFirst("//(127\\.0\\.0\\.1|localhost)", "//" + container.hostAlias());
    }

    public SpireEmulator spire() {
        return spire;
    }

    public RunningKeycloak keycloak() {
        return keycloak;
    }

    /** The run's database server (-Dkeycloak.db=postgres or mariadb), or null on Keycloak's dev-file H2. */
    public LocalDatabase database() {
        return database;
    }

    public KeycloakAdmin admin() {
        return keycloak.admin();
    }

    /** The realm's issuer URL: the audience SPIRE workloads put in SVIDs for this realm. */
    public String audience() {
        return keycloak.realmUrl(REALM).toString();
    }

    public URI tokenEndpoint() {
        return keycloak.tokenEndpoint(REALM);
    }

    /** An SVID from the shared emulator for {@code spiffeId}, audience this realm. */
    public String svid(String spiffeId) {
        return spire.mint(spiffeId, List.of(audience()));
    }

    /** client_credentials with an SVID as client_assertion; clientId may be null. */
    public Answer token(String assertionType, String assertion, String clientId) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_assertion_type", assertionType);
        form.put("client_assertion", assertion);
        if (clientId != null) {
            form.put("client_id", clientId);
        }
        return post(tokenEndpoint(), form, null);
    }

    public Answer token(String assertion) {
        return token(JWT_SPIFFE, assertion, null);
    }

    /**
     * client_credentials over mutual TLS at the HTTPS token endpoint, presenting {@code svid} as
     * client certificate (null: none); clientId may be null.
     */
    public Answer x509Token(X509Svid svid, String clientId) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        if (clientId != null) {
            form.put("client_id", clientId);
        }
        return postTls(svid, keycloak.httpsTokenEndpoint(REALM), form);
    }

    /** POSTs a form over HTTPS, presenting {@code svid} as TLS client certificate (null: none). */
    public Answer postTls(X509Svid svid, URI uri, Map<String, String> form) {
        return FormPost.post(tlsClient(svid), uri, form, null);
    }

    /** An HTTP client for the HTTPS listener, presenting {@code svid} (null: no client certificate). */
    public HttpClient tlsClient(X509Svid svid) {
        SSLContext context = svid == null ? keycloak.serverTls().clientContext()
                : keycloak.serverTls().clientContext(svid.chain(), svid.privateKey());
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(context).build();
    }

    /** POSTs a form, optionally with HTTP Basic credentials ("id:secret"). */
    public Answer post(URI uri, Map<String, String> form, String basic) {
        return FormPost.post(HTTP, uri, form, basic);
    }

    public JsonNode getJson(URI uri) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Creates (once per server) a client-svid-jwt client of the realm with service accounts on,
     * {@code svid.spiffe.id} = {@code spiffeId} and the given extra {@code svid.*} attributes.
     */
    public void createSvidClient(String clientId, String spiffeId, Map<String, String> attrs, boolean enabled) {
        if (admin().send("GET", "/" + REALM + "/clients?clientId=" + enc(clientId), null).body().contains(clientId)) {
            return;
        }
        Map<String, String> attributes = new LinkedHashMap<>(attrs);
        attributes.put("svid.spiffe.id", spiffeId);
        Map<String, Object> rep = svidClient(clientId, attributes);
        rep.put("enabled", enabled);
        admin().post("/" + REALM + "/clients", rep);
    }

    /** The representation of an enabled client-svid-jwt service-account client with these attributes. */
    public static Map<String, Object> svidClient(String clientId, Map<String, String> attributes) {
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("clientId", clientId);
        rep.put("enabled", true);
        rep.put("publicClient", false);
        rep.put("standardFlowEnabled", false);
        rep.put("serviceAccountsEnabled", true);
        rep.put("clientAuthenticatorType", "client-svid-jwt");
        rep.put("attributes", new LinkedHashMap<>(attributes));
        return rep;
    }

    /**
     * OpenID Connect dynamic client registration metadata of a {@code spiffe_jwt} client for
     * client_credentials, with {@code spiffe_id} and one key-source member ({@code jwks_uri} or
     * {@code spiffe_bundle_endpoint}) unless null.
     */
    public static Map<String, Object> registrationMetadata(String name, String spiffeId, String keyMember, String keyUrl) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("client_name", name);
        m.put("token_endpoint_auth_method", "spiffe_jwt");
        m.put("grant_types", List.of("client_credentials"));
        if (spiffeId != null) {
            m.put("spiffe_id", spiffeId);
        }
        if (keyMember != null) {
            m.put(keyMember, keyUrl);
        }
        return m;
    }

    /** Registers a client at the registration endpoint of the realm at {@code realmUrl}, with an initial access token. */
    public static HttpResponse<String> register(URI realmUrl, String initialAccessToken, Map<String, Object> metadata) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(realmUrl + "/clients-registrations/openid-connect"))
                    .header("Authorization", "Bearer " + initialAccessToken)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(metadata)))
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stores a client (once per server) the way a realm import or a client saved by an earlier
     * version lands: through partial import, which does not run the save-time validation.
     */
    public void importClient(Map<String, Object> rep) {
        String clientId = (String) rep.get("clientId");
        if (admin().send("GET", "/" + REALM + "/clients?clientId=" + enc(clientId), null).body().contains(clientId)) {
            return;
        }
        JsonNode imported = admin().post("/" + REALM + "/partialImport", Map.of("ifResourceExists", "FAIL", "clients", List.of(rep)));
        if (imported.path("added").asInt() != 1) {
            throw new IllegalStateException("partial import of " + clientId + " added nothing: " + imported);
        }
    }

    /**
     * Creates (once per server) a person with every profile field set, so a login needs no further
     * action, with the realm-management client role {@code role} (none if null).
     */
    public void createUser(String username, String password, String role) {
        if (admin().get("/" + REALM + "/users?exact=true&username=" + enc(username)).size() > 0) {
            return;
        }
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("username", username);
        user.put("enabled", true);
        user.put("email", username + "@example.org");
        user.put("emailVerified", true);
        user.put("firstName", "Test");
        user.put("lastName", "User");
        user.put("credentials", List.of(Map.of("type", "password", "value", password, "temporary", false)));
        String userId = admin().post("/" + REALM + "/users", user).path("id").asText();
        if (role != null) {
            String management = admin().clientUuid(REALM, "realm-management");
            JsonNode roleRep = admin().get("/" + REALM + "/clients/" + management + "/roles/" + role);
            admin().post("/" + REALM + "/users/" + userId + "/role-mappings/clients/" + management, List.of(roleRep));
        }
    }

    /** GET /admin/serverinfo as the bootstrap admin. */
    public JsonNode serverInfo() {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(keycloak.baseUrl() + "/admin/serverinfo"))
                    .header("Authorization", "Bearer " + admin().accessToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET /admin/serverinfo failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The newest CLIENT_LOGIN_ERROR event of the realm. */
    public JsonNode lastLoginError() {
        List<JsonNode> events = admin().events(REALM, "CLIENT_LOGIN_ERROR", 1);
        return events.isEmpty() ? null : events.get(0);
    }

    /** The {@code Implementation-Version} in the manifest of the drop-in JAR the server runs. */
    public static String providerJarVersion() throws IOException {
        try (JarFile jar = new JarFile(Path.of(System.getProperty("svid.provider.jar")).toFile())) {
            Manifest manifest = jar.getManifest();
            if (manifest == null) {
                throw new IllegalStateException("the drop-in JAR has no manifest");
            }
            return manifest.getMainAttributes().getValue("Implementation-Version");
        }
    }

    public static String enc(String s) {
        return FormPost.encode(s);
    }

    /** Decodes a JWT's payload without verifying it (the token came straight from Keycloak). */
    public static JsonNode payload(String jwt) {
        return FormPost.payload(jwt);
    }

    @Override
    public void close() {
        keycloak.close();
        spire.close();
        if (database != null) {
            database.close();
        }
        if (device != null) {
            device.close();
        }
    }

    /** Where the server's log ends now: what later steps write is read from here on ({@link #logSince}). */
    public int logMark() {
        return keycloak.logText().length();
    }

    /** What the server logged since {@code mark}. */
    public String logSince(int mark) {
        String text = keycloak.logText();
        return text.substring(Math.min(mark, text.length()));
    }

    /**
     * Log lines written since {@code mark} that contain every fragment; polls for up to 5 s, since
     * the log is another process's output.
     */
    public List<String> logLines(int mark, String... fragments) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<String> found;
        do {
            found = java.util.Arrays.stream(logSince(mark).split("\\R"))
                    .filter(l -> java.util.Arrays.stream(fragments).allMatch(l::contains))
                    .collect(java.util.stream.Collectors.toList());
            if (!found.isEmpty()) {
                return found;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return found;
            }
        } while (System.nanoTime() < deadline);
        return found;
    }
}
