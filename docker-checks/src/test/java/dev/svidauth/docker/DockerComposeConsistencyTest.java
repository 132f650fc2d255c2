package dev.svidauth.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The docker/ demo can't run on machines without a Docker engine, so this test keeps it honest by
 * reading its files: docker/compose.yaml (with the Keycloak node of docker/keycloak.yaml it
 * extends, as {@link ComposeModel} resolves it), the SPIRE server, agent and OIDC Discovery Provider
 * configurations, the spiffe-helper configurations, spire/register.sh, the Dockerfile and the shipped
 * realm-export. Issuer, key sources, audience, trust domain, sockets, the workloads' identities,
 * Keycloak's HTTPS listener and its trust store must agree across all of them, the way SPIRE,
 * Keycloak and svid-auth will compare them at run time. Where a piece is a script, it runs here:
 * the workload script's refusals, and the certificate script (with the machine's openssl).
 */
class DockerComposeConsistencyTest {

    static final String REALM_NAME = "svid";
    /** Every key spiffe-helper's configuration accepts; it refuses to start on any other. */
    static final Set<String> SPIFFE_HELPER_KEYS = Set.of("add_intermediates_to_bundle", "agent_address", "cmd",
            "cmd_args", "pid_file_name", "cert_dir", "cert_file_mode", "key_file_mode", "jwt_bundle_file_mode",
            "jwt_svid_file_mode", "include_federated_domains", "omit_expired", "renew_signal", "daemon_mode",
            "health_checks", "hint", "svid_file_name", "svid_key_file_name", "svid_bundle_file_name", "jwt_svids",
            "jwt_bundle_file_name");
    /** spiffe-helper writes an X.509-SVID, its key and the bundle together: all three names or none. */
    static final List<String> SPIFFE_HELPER_X509_KEYS = List.of("svid_file_name", "svid_key_file_name", "svid_bundle_file_name");
    /** The spiffe-helper services and their configuration files (docker/spiffe-helper/...). */
    static final Map<String, String> SPIFFE_HELPERS = Map.of("spiffe-helper", "helper.conf",
            "spiffe-helper-warehouse", "warehouse.conf", "spiffe-helper-keycloak", "keycloak.conf");
    static final Set<String> SPIFFE_HELPER_JWT_KEYS = Set.of("jwt_audience", "jwt_extra_audiences", "jwt_svid_file_name");
    static final String TLS_CERTS = "tls-certs";
    static final String X509_WORKLOAD = "workload-warehouse";
    /** The one-shot registration (entries, join token) and its script. */
    static final String REGISTER = "spire-register";
    static final String REGISTER_SCRIPT = "spire/register.sh";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+):([^}]*)}");

    private static Path repo;
    private static Path docker;
    private static ComposeModel compose;
    private static Map<String, Object> server;
    private static Map<String, Object> agent;
    private static Map<String, Object> oidc;
    private static Map<String, Object> helper;
    private static Map<String, Map<String, Object>> helpers;
    private static String registerScript;
    private static String realmText;
    private static JsonNode realm;

    @BeforeAll
    static void readFiles() throws IOException {
        repo = Path.of(System.getProperty("svid.repo.dir", "..")).toAbsolutePath().normalize();
        docker = repo.resolve("docker");
        compose = ComposeModel.load(docker, "compose.yaml");
        server = hcl("spire/server/server.conf");
        agent = hcl("spire/agent/agent.conf");
        oidc = hcl("spire/oidc-discovery-provider/oidc-discovery-provider.conf");
        helpers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : SPIFFE_HELPERS.entrySet()) {
            helpers.put(h.getKey(), hcl("spiffe-helper/" + h.getValue()));
            assertThat(service(h.getKey()).path("volumes").toString())
                    .as("%s reads %s", h.getKey(), h.getValue()).contains("./spiffe-helper/" + h.getValue() + ":");
        }
        helper = helpers.get("spiffe-helper");
        registerScript = Files.readString(docker.resolve(REGISTER_SCRIPT));
        realmText = Files.readString(repo.resolve("realm-export/svid-auth-realm.json"));
        realm = new ObjectMapper().readTree(realmText);
    }

    @Test
    void keycloakIssuerIsSpireJwtIssuerIsTheDiscoveryProvidersIssuer() {
        String svidIssuer = keycloakEnv("SVID_ISSUER");
        String jwtIssuer = Hcl.string(server, "server", "jwt_issuer");

        assertThat(jwtIssuer).as("SPIRE server jwt_issuer (iss of every JWT-SVID)").isNotBlank();
        assertThat(svidIssuer).as("Keycloak SVID_ISSUER (the issuer payments-api pins)").isEqualTo(jwtIssuer);
        assertThat(oidcDiscoveryIssuer(svidIssuer))
                .as("issuer of the OIDC Discovery Provider's document when Keycloak fetches <SVID_ISSUER>/.well-known/openid-configuration")
                .isEqualTo(svidIssuer);
        assertThat(realm.path("realm").asText()).isEqualTo(REALM_NAME);
    }

    @Test
    void jwksUriIsTheDiscoveryProvidersKeysEndpoint() {
        // the OIDC Discovery Provider serves its key set at /keys, next to the discovery document
        assertThat(keycloakEnv("SVID_JWKS_URI")).isEqualTo(keycloakEnv("SVID_ISSUER") + "/keys");
    }

    @Test
    void bundleUriIsSpireServersHttpsBundleEndpointWithACertificateKeycloakTrusts() throws IOException {
        URI bundle = URI.create(keycloakEnv("SVID_BUNDLE_URI"));
        String serverService = "spire-server";
        Object profile = Hcl.get(server, "server", "federation", "bundle_endpoint", "profile", "https_web");

        assertThat(compose.root().path("services").has(serverService)).isTrue();
        assertThat(bundle.getHost()).as("bundle endpoint host = SPIRE server service").isEqualTo(serverService);
        assertThat(bundle.getScheme()).as("SPIRE serves its bundle endpoint over TLS only").isEqualTo("https");
        assertThat(profile).as("bundle_endpoint profile \"https_web\" (a certificate Keycloak can trust)").isNotNull();
        assertThat(String.valueOf(bundle.getPort()))
                .isEqualTo(Hcl.string(server, "server", "federation", "bundle_endpoint", "port"));

        // KC_TRUSTSTORE_PATHS names, through a shared volume, the very file the bundle endpoint serves
        String certPath = Hcl.string(server, "server", "federation", "bundle_endpoint", "profile", "https_web",
                "serving_cert_file", "cert_file_path");
        String truststore = keycloakEnv("KC_TRUSTSTORE_PATHS");
        assertThat(volumeFileOf("keycloak", truststore)).isNotNull()
                .isEqualTo(volumeFileOf(serverService, certPath));
        // ... which tls-certs makes for the host Keycloak connects to
        assertThat(madeCertificate(serverService, certPath, Hcl.string(server, "server", "federation", "bundle_endpoint",
                "profile", "https_web", "serving_cert_file", "key_file_path")))
                .as("DNS names of the bundle endpoint's certificate").containsExactly(bundle.getHost());
    }

    @Test
    void keycloakServesHttpsAndTrustsTheBundleItsSpiffeHelperWrites() throws IOException {
        Map<String, Object> kcHelper = helpers.get("spiffe-helper-keycloak");
        String trustStore = keycloakEnv("KC_HTTPS_TRUST_STORE_FILE");

        // the trust store is the X.509 bundle spiffe-helper-keycloak keeps current, through one volume
        assertThat(trustStore).as("Keycloak reads a trust store ending .pem as PEM").endsWith(".pem");
        assertThat(volumeFileOf("keycloak", trustStore)).isNotNull().isEqualTo(volumeFileOf("spiffe-helper-keycloak",
                Hcl.string(kcHelper, "cert_dir") + "/" + Hcl.string(kcHelper, "svid_bundle_file_name")));
        assertThat(Hcl.get(kcHelper, "include_federated_domains")).as("own trust domain only").isNotEqualTo(Boolean.TRUE);
        assertThat(Integer.parseInt(Hcl.string(kcHelper, "cert_file_mode"), 8) & 04).as("Keycloak (uid 1000) reads the bundle").isNotZero();
        assertThat(seconds(keycloakEnv("KC_HTTPS_CERTIFICATES_RELOAD_PERIOD"))).as("bundle re-read period")
                .isBetween(1L, 300L);
        // Keycloak starts once that file exists (a missing trust store fails the start), then runs the image's command
        JsonNode keycloak = service("keycloak");
        assertThat(keycloak.path("entrypoint").toString()).contains("$$KC_HTTPS_TRUST_STORE_FILE", "exec /opt/keycloak/bin/kc.sh");
        assertThat(keycloak.path("command").toString()).isEqualTo("[\"start\",\"--optimized\",\"--import-realm\"]");

        // client certificates requested (a build option, so in the image), HTTPS published, health over plain HTTP
        assertThat(Files.readString(docker.resolve("Dockerfile"))).contains("KC_HTTPS_CLIENT_AUTH=request");
        assertThat(keycloak.path("ports").toString()).contains("\"" + keycloakEnv("KC_HTTPS_PORT") + ":" + keycloakEnv("KC_HTTPS_PORT") + "\"");
        assertThat(keycloakEnv("KC_HTTP_MANAGEMENT_SCHEME")).as("the healthcheck talks plain HTTP to port 9000").isEqualTo("http");
        assertThat(keycloak.path("healthcheck").path("test").toString()).contains("/dev/tcp/127.0.0.1/9000");

        // the server certificate and key are those tls-certs makes for the name the workloads use
        String certificate = keycloakEnv("KC_HTTPS_CERTIFICATE_FILE");
        assertThat(madeCertificate("keycloak", certificate, keycloakEnv("KC_HTTPS_CERTIFICATE_KEY_FILE")))
                .as("DNS names of Keycloak's HTTPS certificate").containsExactly(URI.create(env(X509_WORKLOAD, "TOKEN_ENDPOINT")).getHost());

        // Keycloak's own entry, so that its spiffe-helper receives an X.509 context (SVID + bundle)
        assertRegisteredFor("KEYCLOAK_ID", "KEYCLOAK_SELECTOR", "spiffe-helper-keycloak");
    }

    @Test
    void x509WorkloadPresentsTheSvidItsSpiffeHelperWritesAtTheHttpsTokenEndpoint() throws IOException {
        Map<String, Object> whHelper = helpers.get("spiffe-helper-warehouse");
        URI tokenEndpoint = URI.create(env(X509_WORKLOAD, "TOKEN_ENDPOINT"));
        String warehouseId = shellVar("WAREHOUSE_ID");

        // Keycloak's HTTPS listener, on the host name of the realm issuer, token endpoint of realm svid
        assertThat(tokenEndpoint.getScheme()).isEqualTo("https");
        assertThat(tokenEndpoint.getHost()).isEqualTo(URI.create(keycloakEnv("KC_HOSTNAME")).getHost());
        assertThat(String.valueOf(tokenEndpoint.getPort())).isEqualTo(keycloakEnv("KC_HTTPS_PORT"));
        assertThat(tokenEndpoint.getPath()).isEqualTo("/realms/" + REALM_NAME + "/protocol/openid-connect/token");
        // its server certificate is the one Keycloak serves
        assertThat(volumeFileOf(X509_WORKLOAD, env(X509_WORKLOAD, "KEYCLOAK_CA_FILE"))).isNotNull()
                .isEqualTo(volumeFileOf("keycloak", keycloakEnv("KC_HTTPS_CERTIFICATE_FILE")));

        // certificate and key are the X.509-SVID spiffe-helper-warehouse writes, readable by curl_user
        String certDir = Hcl.string(whHelper, "cert_dir");
        assertThat(volumeFileOf(X509_WORKLOAD, env(X509_WORKLOAD, "SVID_CERT_FILE"))).isNotNull()
                .isEqualTo(volumeFileOf("spiffe-helper-warehouse", certDir + "/" + Hcl.string(whHelper, "svid_file_name")));
        assertThat(volumeFileOf(X509_WORKLOAD, env(X509_WORKLOAD, "SVID_KEY_FILE"))).isNotNull()
                .isEqualTo(volumeFileOf("spiffe-helper-warehouse", certDir + "/" + Hcl.string(whHelper, "svid_key_file_name")));
        assertThat(Integer.parseInt(Hcl.string(whHelper, "key_file_mode"), 8) & 04).as("the workload reads the key").isNotZero();
        assertThat(Integer.parseInt(Hcl.string(whHelper, "cert_file_mode"), 8) & 04).as("the workload reads the SVID").isNotZero();
        assertThat(service(X509_WORKLOAD).path("entrypoint").toString()).contains("/workload/get-token.sh");

        // the SPIFFE ID registered for spiffe-helper-warehouse is the one warehouse-api accepts, a client-svid-x509
        // client verifying the chain against the bundle endpoint, and the client_id the workload sends
        assertRegisteredFor("WAREHOUSE_ID", "WAREHOUSE_SELECTOR", "spiffe-helper-warehouse");
        String client = clientBySpiffeId(warehouseId);
        assertThat(env(X509_WORKLOAD, "CLIENT_ID")).isEqualTo(client);
        assertThat(clientField(client, "clientAuthenticatorType")).isEqualTo("client-svid-x509");
        assertThat(clientAttribute(client, "svid.bundle.uri")).startsWith("${SVID_BUNDLE_URI:");

        // an SVID file older than SPIRE's X.509-SVID lifetime counts as expired, never older
        String maxAge = env(X509_WORKLOAD, "SVID_MAX_AGE");
        if (maxAge == null) {
            Matcher m = Pattern.compile("SVID_MAX_AGE=\\$\\{SVID_MAX_AGE:-(\\d+)}").matcher(Files.readString(docker.resolve("workload/get-token.sh")));
            assertThat(m.find()).isTrue();
            maxAge = m.group(1);
        }
        assertThat(Long.parseLong(maxAge)).isLessThanOrEqualTo(seconds(Hcl.string(server, "server", "default_x509_svid_ttl")));

        // the X.509 workload runs once Keycloak is ready and its spiffe-helper runs
        assertThat(service(X509_WORKLOAD).path("depends_on").path("keycloak").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(service(X509_WORKLOAD).path("depends_on").path("spiffe-helper-warehouse").path("condition").asText())
                .isEqualTo("service_started");
    }

    @Test
    void spiffeHelperAudienceAndWorkloadTokenEndpointAreThoseOfTheRealmKeycloakServes() {
        String realmIssuer = keycloakEnv("KC_HOSTNAME") + "/realms/" + REALM_NAME;
        List<?> jwtSvids = (List<?>) Hcl.get(helper, "jwt_svids");

        assertThat(jwtSvids).hasSize(1);
        Map<?, ?> jwtSvid = (Map<?, ?>) jwtSvids.get(0);
        assertThat(jwtSvid.get("jwt_audience")).as("spiffe-helper jwt_audience = the realm issuer URL").isEqualTo(realmIssuer);
        assertThat(env("workload", "TOKEN_ENDPOINT")).isEqualTo(realmIssuer + "/protocol/openid-connect/token");
        assertThat(URI.create(realmIssuer).getHost()).as("Keycloak reachable under KC_HOSTNAME's host").isEqualTo("keycloak");
        assertThat(service("keycloak").path("ports").toString()).contains(":" + URI.create(realmIssuer).getPort());

        // the workload reads the file spiffe-helper writes, through the same volume
        String svidFile = Hcl.string(helper, "cert_dir") + "/" + jwtSvid.get("jwt_svid_file_name");
        assertThat(volumeFileOf("workload", env("workload", "SVID_FILE"))).isNotNull()
                .isEqualTo(volumeFileOf("spiffe-helper", svidFile));
    }

    @Test
    void realmPlaceholdersAreSetForKeycloakAndDefaultToTheComposeValues() {
        Matcher m = PLACEHOLDER.matcher(realmText);
        Map<String, String> defaults = new LinkedHashMap<>();
        while (m.find()) {
            defaults.put(m.group(1), m.group(2));
        }

        assertThat(defaults).containsKeys("SVID_ISSUER", "SVID_JWKS_URI", "SVID_BUNDLE_URI");
        defaults.forEach((name, defaultValue) -> {
            assertThat(keycloakEnv(name)).as("keycloak environment %s", name).isNotNull();
            if (name.startsWith("SVID_")) {
                assertThat(defaultValue).as("realm-export default of %s", name).isEqualTo(keycloakEnv(name));
            }
        });
    }

    @Test
    void trustDomainAgentServerAndWorkloadIdentityAgree() {
        String trustDomain = Hcl.string(server, "server", "trust_domain");
        String workloadId = shellVar("WORKLOAD_ID");
        String selector = shellVar("WORKLOAD_SELECTOR");

        assertThat(Hcl.string(agent, "agent", "trust_domain")).isEqualTo(trustDomain);
        assertThat(shellVar("TRUST_DOMAIN")).isEqualTo(trustDomain);
        assertThat(Hcl.string(agent, "agent", "server_address")).isEqualTo("spire-server");
        assertThat(Hcl.string(agent, "agent", "server_port")).isEqualTo(Hcl.string(server, "server", "bind_port"));
        assertThat(Hcl.get(server, "plugins", "NodeAttestor", "join_token")).as("server join_token attestor").isNotNull();
        assertThat(Hcl.get(agent, "plugins", "NodeAttestor", "join_token")).as("agent join_token attestor").isNotNull();
        assertThat(service("spire-agent").path("command").toString()).as("join token from a file, never on the command line")
                .contains("-joinTokenFile").doesNotContain("\"-joinToken\"");
        // spire-register writes the token where the agent reads it, through one volume
        String tokenFile = commandArgument("spire-agent", "-joinTokenFile");
        assertThat(volumeFileOf("spire-agent", tokenFile)).isNotNull()
                .isEqualTo(volumeFileOf(REGISTER, shellDefault("JOIN_TOKEN_FILE")));

        // the workload's SPIFFE ID is the one a client of the realm accepts
        assertThat(workloadId).startsWith("spiffe://" + trustDomain + "/");
        assertThat(clientBySpiffeId(workloadId)).as("realm client with svid.spiffe.id %s", workloadId).isEqualTo("payments-api");

        // docker:label:<key>:<value> selects the spiffe-helper container by its label
        assertThat(Hcl.get(agent, "plugins", "WorkloadAttestor", "docker")).isNotNull();
        assertThat(selector).isNotNull();
        assertRegisteredFor("WORKLOAD_ID", "WORKLOAD_SELECTOR", "spiffe-helper");
    }

    @Test
    void jwtSvidLifetimeFitsTheClientsMaximum() {
        long maxLifetime = Long.parseLong(clientAttribute("payments-api", "svid.max.lifetime"));

        assertThat(seconds(Hcl.string(server, "server", "default_jwt_svid_ttl"))).isLessThanOrEqualTo(maxLifetime);
        assertThat(Long.parseLong(shellVar("JWT_SVID_TTL"))).isLessThanOrEqualTo(maxLifetime);
    }

    @Test
    void socketsAreSharedThroughVolumes() {
        String serverSocket = Hcl.string(server, "server", "socket_path");
        assertThat(Hcl.string(oidc, "server_api", "address")).isEqualTo("unix://" + serverSocket);
        assertThat(volumeFileOf("spire-oidc-discovery-provider", serverSocket)).isNotNull()
                .isEqualTo(volumeFileOf("spire-server", serverSocket));

        String agentSocket = Hcl.string(agent, "agent", "socket_path");
        helpers.forEach((service, config) -> {
            assertThat(Hcl.string(config, "agent_address")).as("%s agent_address", service).isEqualTo(agentSocket);
            assertThat(volumeFileOf(service, agentSocket)).as("%s sees the agent's socket", service).isNotNull()
                    .isEqualTo(volumeFileOf("spire-agent", agentSocket));
        });
    }

    @Test
    void longRunningServicesRestartAndImagesArePinnedToTheTestedReleases() {
        for (String name : List.of("spire-server", "spire-oidc-discovery-provider", "keycloak", "spire-agent", "spiffe-helper",
                "spiffe-helper-warehouse", "spiffe-helper-keycloak")) {
            assertThat(service(name).path("restart").asText()).as("restart policy of " + name).isEqualTo("unless-stopped");
        }
        for (String name : List.of("workload", X509_WORKLOAD, TLS_CERTS, REGISTER)) {
            assertThat(service(name).path("restart").asText("no")).as(name + " runs once").isEqualTo("no");
        }
        assertThat(service("spire-server").path("image").asText()).endsWith(":1.15.3");
        assertThat(service("spire-agent").path("image").asText()).endsWith(":1.15.3");
        // built from SPIRE's own images of the same release (spire/Dockerfile)
        assertThat(service("spire-oidc-discovery-provider").path("image").asText()).endsWith(":1.15.3");
        assertThat(service(REGISTER).path("image").asText()).endsWith(":1.15.3");
        for (String name : SPIFFE_HELPERS.keySet()) {
            assertThat(service(name).path("image").asText()).as(name).isEqualTo("ghcr.io/spiffe/spiffe-helper:0.11.0");
        }
        assertThat(service(X509_WORKLOAD).path("image").asText()).isEqualTo(service("workload").path("image").asText());
    }

    /** The workload script never presents an expired SVID: it waits for a fresh one, then gives up naming the file. */
    @Test
    void workloadRefusesAnExpiredSvid() throws Exception {
        Path svidFile = Files.createTempFile("jwt_svid", ".token");
        try {
            java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
            long expired = java.time.Instant.now().getEpochSecond() - 60;
            Files.writeString(svidFile, b64.encodeToString("{\"alg\":\"ES256\"}".getBytes()) + "."
                    + b64.encodeToString(("{\"sub\":\"spiffe://example.org/ns/apps/sa/payments\",\"exp\":" + expired + "}").getBytes())
                    + ".c2ln");
            String out = runWorkloadScriptExpectingRefusal(Map.of("SVID_FILE", svidFile.toString()));
            assertThat(out).contains("the JWT-SVID in " + svidFile + " has expired");
        } finally {
            Files.deleteIfExists(svidFile);
        }
    }

    /** Nor an X.509-SVID file that is missing, or older than the SVID lifetime (spiffe-helper down). */
    @Test
    void workloadRefusesAMissingOrExpiredX509Svid() throws Exception {
        Path dir = Files.createTempDirectory("x509-svid");
        try {
            Path cert = dir.resolve("svid.pem");
            Path key = dir.resolve("svid_key.pem");
            Map<String, String> env = Map.of("SVID_CERT_FILE", cert.toString(), "SVID_KEY_FILE", key.toString(),
                    "SVID_MAX_AGE", "3600");
            assertThat(runWorkloadScriptExpectingRefusal(env)).contains("no readable X.509-SVID file " + cert);

            Files.writeString(cert, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
            Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
            Files.setLastModifiedTime(cert, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(3700)));
            assertThat(runWorkloadScriptExpectingRefusal(env)).contains("the X.509-SVID in " + cert + " was written")
                    .contains("has expired");
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    /** Runs docker/workload/get-token.sh with {@code env} and no waiting; it must exit 1 before sending anything. */
    private static String runWorkloadScriptExpectingRefusal(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", docker.resolve("workload/get-token.sh").toString()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("SVID_WAIT", "0");
        pb.environment().put("TOKEN_ENDPOINT", "http://127.0.0.1:9/never-called");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isEqualTo(1);
        assertThat(out).doesNotContain("POST ");
        return out;
    }

    /** The checks spiffe-helper 0.11.0 makes before it starts (cmd/spiffe-helper/config/config.go, ValidateConfig). */
    @Test
    void spiffeHelperConfigsUseOnlyKeysItKnowsAndPassItsChecks() {
        helpers.forEach((service, config) -> {
            assertThat(config.keySet()).as(service).isSubsetOf(SPIFFE_HELPER_KEYS);
            List<?> jwtSvids = Hcl.get(config, "jwt_svids") == null ? List.of() : (List<?>) Hcl.get(config, "jwt_svids");
            for (Object jwt : jwtSvids) {
                List<String> keys = ((Map<?, ?>) jwt).keySet().stream().map(Object::toString).toList();
                assertThat(keys).as(service).isSubsetOf(SPIFFE_HELPER_JWT_KEYS).contains("jwt_audience", "jwt_svid_file_name");
            }
            long x509Names = SPIFFE_HELPER_X509_KEYS.stream().filter(config::containsKey).count();
            assertThat(x509Names).as("%s: all or none of %s", service, SPIFFE_HELPER_X509_KEYS).isIn(0L, 3L);
            assertThat(x509Names == 3 || !jwtSvids.isEmpty() || config.containsKey("jwt_bundle_file_name"))
                    .as("%s writes something", service).isTrue();
            assertThat(Hcl.get(config, "daemon_mode")).as(service).isEqualTo(Boolean.TRUE);
        });
    }

    /** tls-certs' script, run here with the machine's openssl: the certificates and keys, once. */
    @Test
    void tlsCertificatesAreMadeOnceWithKeysOnlyTheirOwnerReads() throws Exception {
        Path dir = madeCertificates();
        Path keycloakCert = dir.resolve("keycloak/keycloak.crt");
        byte[] first = Files.readAllBytes(keycloakCert);
        run(Map.of("CERTS_DIR", dir.toString()), "sh", docker.resolve("tls/make-certs.sh").toString());
        assertThat(Files.readAllBytes(keycloakCert)).as("kept across restarts").isEqualTo(first);
        for (String key : List.of("keycloak/keycloak.key", "bundle-endpoint/bundle-endpoint.key")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(key))))
                    .as(key).isEqualTo("rw-------");
            assertThat(Files.readString(dir.resolve(key))).startsWith("-----BEGIN PRIVATE KEY-----");
        }
        assertThat(service(TLS_CERTS).path("environment").path("CERTS_DIR").asText()).isEqualTo("/certs");
        assertThat(service(TLS_CERTS).path("command").toString()).contains("/tls/make-certs.sh");
        for (String name : List.of("spire-server", "keycloak")) {
            assertThat(service(name).path("depends_on").path(TLS_CERTS).path("condition").asText())
                    .isEqualTo("service_completed_successfully");
        }
    }

    @Test
    void dockerfileBuildsTheConfiguredKeycloakWithTheJarAndImportsTheRealm() throws IOException {
        String dockerfile = Files.readString(docker.resolve("Dockerfile"));
        String parentPom = Files.readString(repo.resolve("pom.xml"));
        Matcher version = Pattern.compile("<keycloak.version>([^<]+)</keycloak.version>").matcher(parentPom);
        assertThat(version.find()).isTrue();

        assertThat(dockerfile).contains("ARG KEYCLOAK_VERSION=" + version.group(1));
        assertThat(dockerfile).contains("FROM quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}");
        assertThat(dockerfile).contains("provider-jar/target/svid-auth.jar /opt/keycloak/providers/");
        assertThat(dockerfile).contains("RUN /opt/keycloak/bin/kc.sh build");
        assertThat(dockerfile).contains("realm-export/svid-auth-realm.json /opt/keycloak/data/import/" + REALM_NAME + "-realm.json");
        assertThat(dockerfile).contains("\"--optimized\"", "\"--import-realm\"");
        assertThat(service("keycloak").path("build").path("dockerfile").asText()).isEqualTo("docker/Dockerfile");
    }

    // ------------------------------------------------------------------------------------------

    /**
     * {@code <ID var>} and {@code <selector var>} of register.sh: an entry created by
     * {@code create_entry}, a SPIFFE ID of the server's trust domain, and a docker label selector
     * ({@code docker:label:<key>:<value>}) that the {@code helperService} container carries.
     */
    private static void assertRegisteredFor(String idVar, String selectorVar, String helperService) {
        String id = shellVar(idVar);
        String selector = shellVar(selectorVar);
        assertThat(id).startsWith("spiffe://" + Hcl.string(server, "server", "trust_domain") + "/");
        assertThat(registerScript).as("register.sh creates the entry of %s", idVar)
                .containsPattern("(?m)^create_entry \"\\$" + idVar + "\" \"\\$" + selectorVar + "\"");
        assertThat(selector).startsWith("docker:label:");
        String[] label = selector.substring("docker:label:".length()).split(":", 2);
        assertThat(service(helperService).path("labels").path(label[0]).asText()).as("label of %s", helperService)
                .isEqualTo(label[1]);
    }

    /**
     * What tls-certs writes to the file {@code certificate} of {@code service} (with its key at
     * {@code key} in the same volume): the DNS names of the certificate that the script, run here,
     * makes there.
     */
    private static List<String> madeCertificate(String service, String certificate, String key) throws IOException {
        String volumeFile = volumeFileOf(service, certificate);
        assertThat(volumeFile).as("%s mounts a volume at %s", service, certificate).isNotNull();
        assertThat(volumeFileOf(service, key)).as("key next to the certificate").isNotNull()
                .isEqualTo(volumeFile.substring(0, volumeFile.lastIndexOf('/') + 1) + key.substring(key.lastIndexOf('/') + 1));
        String inTlsCerts = null;
        for (JsonNode v : service(TLS_CERTS).path("volumes")) {
            String[] parts = v.asText().split(":");
            if (volumeFile.startsWith(parts[0] + ":")) {
                inTlsCerts = parts[1] + volumeFile.substring(parts[0].length() + 1);
            }
        }
        assertThat(inTlsCerts).as("tls-certs writes into the volume of %s", certificate).isNotNull();
        Path made = madeCertificates().resolve(inTlsCerts.replaceFirst("^/certs/", ""));
        assertThat(made).as("tls-certs makes %s", inTlsCerts).isRegularFile();
        assertThat(made.resolveSibling(key.substring(key.lastIndexOf('/') + 1))).isRegularFile();
        try (var in = Files.newInputStream(made)) {
            java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate)
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            List<String> dns = new ArrayList<>();
            for (List<?> san : cert.getSubjectAlternativeNames()) {
                if (Integer.valueOf(2).equals(san.get(0))) {
                    dns.add((String) san.get(1));
                }
            }
            return dns;
        } catch (java.security.cert.CertificateException e) {
            throw new AssertionError("not a certificate: " + made, e);
        }
    }

    private static Path madeCertificatesDir;

    /** Runs docker/tls/make-certs.sh once into a temporary CERTS_DIR (needs openssl; skipped without it). */
    private static synchronized Path madeCertificates() throws IOException {
        if (madeCertificatesDir == null) {
            Assumptions.assumeTrue(commandExists("openssl"), "no openssl on this machine to run tls/make-certs.sh");
            Path dir = Files.createTempDirectory("compose-certs");
            run(Map.of("CERTS_DIR", dir.toString()), "sh", docker.resolve("tls/make-certs.sh").toString());
            madeCertificatesDir = dir;
        }
        return madeCertificatesDir;
    }

    private static boolean commandExists(String command) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void run(Map<String, String> env, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** The issuer the OIDC Discovery Provider puts in its document for a request to {@code url}. */
    private static String oidcDiscoveryIssuer(String url) {
        String fixed = Hcl.string(oidc, "jwt_issuer");
        if (fixed != null) {
            return fixed;
        }
        // no jwt_issuer: scheme + Host of the request; http only with allow_insecure_scheme on insecure_addr
        URI uri = URI.create(url);
        String service = "spire-oidc-discovery-provider";
        assertThat(compose.root().path("services").has(service)).isTrue();
        assertThat(uri.getHost()).as("issuer host = the OIDC Discovery Provider's service name").isEqualTo(service);
        @SuppressWarnings("unchecked")
        List<Object> domains = (List<Object>) Hcl.get(oidc, "domains");
        assertThat(domains).as("OIDC Discovery Provider domains (Host check)").contains(uri.getHost());
        String insecureAddr = Hcl.string(oidc, "insecure_addr");
        boolean http = insecureAddr != null && Boolean.TRUE.equals(Hcl.get(oidc, "allow_insecure_scheme"));
        String port = insecureAddr == null ? "443" : insecureAddr.substring(insecureAddr.lastIndexOf(':') + 1);
        String scheme = http ? "http" : "https";
        boolean defaultPort = (http && port.equals("80")) || (!http && port.equals("443"));
        return scheme + "://" + uri.getHost() + (defaultPort ? "" : ":" + port);
    }

    /**
     * Which named volume, and which file in it, a service sees at {@code path}: "volume:/sub/path",
     * or null if no named volume is mounted above it.
     */
    static String volumeFileOf(String service, String path) {
        String best = null;
        int bestLength = -1;
        for (JsonNode v : service(service).path("volumes")) {
            String[] parts = v.asText().split(":");
            String source = parts[0];
            String target = parts[1];
            if (source.startsWith(".") || source.startsWith("/")) {
                continue; // a bind mount
            }
            if ((path.equals(target) || path.startsWith(target + "/")) && target.length() > bestLength) {
                best = source + ":" + path.substring(target.length());
                bestLength = target.length();
            }
        }
        return best;
    }

    static JsonNode service(String name) {
        return compose.service(name);
    }

    private static String env(String service, String name) {
        return compose.env(service, name);
    }

    private static String keycloakEnv(String name) {
        return env("keycloak", name);
    }

    /** The value after {@code option} in a service's command. */
    static String commandArgument(String service, String option) {
        List<String> command = new ArrayList<>();
        service(service).path("command").forEach(c -> command.add(c.asText()));
        int at = command.indexOf(option);
        assertThat(at).as("%s in the command of %s", option, service).isNotNegative().isLessThan(command.size() - 1);
        return command.get(at + 1);
    }

    /** {@code NAME=${NAME:-default}} in register.sh: the default. */
    static String shellDefault(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "=\\$\\{" + name + ":-([^}]+)}$").matcher(registerScript);
        assertThat(m.find()).as("%s=${%s:-...} in %s", name, name, REGISTER_SCRIPT).isTrue();
        return m.group(1);
    }

    /** {@code NAME=value} in register.sh, with $OTHER variables of the script expanded. */
    private static String shellVar(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "=(\\S+)$").matcher(registerScript);
        assertThat(m.find()).as("%s= in register.sh", name).isTrue();
        String value = m.group(1);
        Matcher ref = Pattern.compile("\\$\\{?([A-Z_]+)}?").matcher(value);
        StringBuilder sb = new StringBuilder();
        while (ref.find()) {
            ref.appendReplacement(sb, Matcher.quoteReplacement(shellVar(ref.group(1))));
        }
        ref.appendTail(sb);
        return sb.toString();
    }

    private static String clientBySpiffeId(String spiffeId) {
        List<String> matches = new ArrayList<>();
        for (JsonNode client : realm.path("clients")) {
            if (spiffeId.equals(client.path("attributes").path("svid.spiffe.id").asText())) {
                matches.add(client.path("clientId").asText());
            }
        }
        assertThat(matches).as("clients with svid.spiffe.id %s", spiffeId).hasSize(1);
        return matches.get(0);
    }

    private static String clientAttribute(String clientId, String attribute) {
        return client(clientId).path("attributes").path(attribute).asText();
    }

    private static String clientField(String clientId, String field) {
        return client(clientId).path(field).asText();
    }

    private static JsonNode client(String clientId) {
        for (JsonNode client : realm.path("clients")) {
            if (clientId.equals(client.path("clientId").asText())) {
                return client;
            }
        }
        throw new AssertionError("no client " + clientId + " in the realm-export");
    }

    /** SPIRE durations: 300s, 5m, 1h. */
    private static long seconds(String duration) {
        Matcher m = Pattern.compile("(\\d+)([smh])").matcher(duration);
        assertThat(m.matches()).as("duration %s", duration).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "h" -> n * 3600;
            case "m" -> n * 60;
            default -> n;
        };
    }

    private static Map<String, Object> hcl(String file) throws IOException {
        return Hcl.parse(Files.readString(docker.resolve(file)));
    }
}
