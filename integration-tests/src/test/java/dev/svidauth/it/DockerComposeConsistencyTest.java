package dev.svidauth.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * configurations, the spiffe-helper configuration, register.sh, the Dockerfile and the shipped
 * realm-export. Issuer, key sources, audience, trust domain, sockets and the workload's identity
 * must agree across all of them, the way SPIRE, Keycloak and svid-auth will compare them at run
 * time.
 */
class DockerComposeConsistencyTest {

    static final String REALM_NAME = "svid";
    /** Every key spiffe-helper's configuration accepts; it refuses to start on any other. */
    static final Set<String> SPIFFE_HELPER_KEYS = Set.of("add_intermediates_to_bundle", "agent_address", "cmd",
            "cmd_args", "pid_file_name", "cert_dir", "cert_file_mode", "key_file_mode", "jwt_bundle_file_mode",
            "jwt_svid_file_mode", "include_federated_domains", "renew_signal", "daemon_mode", "health_checks", "hint",
            "svid_file_name", "svid_key_file_name", "svid_bundle_file_name", "jwt_svids", "jwt_bundle_file_name");
    static final Set<String> SPIFFE_HELPER_JWT_KEYS = Set.of("jwt_audience", "jwt_extra_audiences", "jwt_svid_file_name");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+):([^}]*)}");

    private static Path repo;
    private static Path docker;
    private static ComposeModel compose;
    private static Map<String, Object> server;
    private static Map<String, Object> agent;
    private static Map<String, Object> oidc;
    private static Map<String, Object> helper;
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
        helper = hcl("spiffe-helper/helper.conf");
        registerScript = Files.readString(docker.resolve("register.sh"));
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
    void bundleUriIsSpireServersHttpsBundleEndpointWithACertificateKeycloakTrusts() {
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
        assertThat(service("bundle-endpoint-cert").path("command").toString())
                .as("certificate subjectAltName covers the host Keycloak connects to")
                .contains("subjectAltName=DNS:" + bundle.getHost());
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
        assertThat(registerScript).contains(".join-token/token");

        // the workload's SPIFFE ID is the one a client of the realm accepts
        assertThat(workloadId).startsWith("spiffe://" + trustDomain + "/");
        assertThat(clientBySpiffeId(workloadId)).as("realm client with svid.spiffe.id %s", workloadId).isEqualTo("payments-api");

        // docker:label:<key>:<value> selects the spiffe-helper container by its label
        assertThat(Hcl.get(agent, "plugins", "WorkloadAttestor", "docker")).isNotNull();
        assertThat(selector).startsWith("docker:label:");
        String[] label = selector.substring("docker:label:".length()).split(":", 2);
        assertThat(service("spiffe-helper").path("labels").path(label[0]).asText()).isEqualTo(label[1]);
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
        assertThat(Hcl.string(helper, "agent_address")).isEqualTo(agentSocket);
        assertThat(volumeFileOf("spiffe-helper", agentSocket)).isNotNull()
                .isEqualTo(volumeFileOf("spire-agent", agentSocket));
    }

    @Test
    void longRunningServicesRestartAndImagesArePinnedToTheTestedReleases() {
        for (String name : List.of("spire-server", "spire-oidc-discovery-provider", "keycloak", "spire-agent", "spiffe-helper")) {
            assertThat(service(name).path("restart").asText()).as("restart policy of " + name).isEqualTo("unless-stopped");
        }
        assertThat(service("workload").has("restart")).as("the workload runs once").isFalse();
        assertThat(service("spire-server").path("image").asText()).endsWith(":1.15.3");
        assertThat(service("spire-agent").path("image").asText()).endsWith(":1.15.3");
        assertThat(service("spire-oidc-discovery-provider").path("image").asText()).endsWith(":1.15.3");
        assertThat(service("spiffe-helper").path("image").asText()).endsWith(":0.11.0");
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
            ProcessBuilder pb = new ProcessBuilder("sh", docker.resolve("workload/get-token.sh").toString())
                    .redirectErrorStream(true);
            pb.environment().put("SVID_FILE", svidFile.toString());
            pb.environment().put("SVID_WAIT", "0");
            pb.environment().put("TOKEN_ENDPOINT", "http://127.0.0.1:9/never-called");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isEqualTo(1);
            assertThat(out).contains("the JWT-SVID in " + svidFile + " has expired").doesNotContain("POST ");
        } finally {
            Files.deleteIfExists(svidFile);
        }
    }

    @Test
    void spiffeHelperConfigUsesOnlyKeysItKnows() {
        assertThat(helper.keySet()).isSubsetOf(SPIFFE_HELPER_KEYS);
        for (Object jwt : (List<?>) Hcl.get(helper, "jwt_svids")) {
            List<String> keys = ((Map<?, ?>) jwt).keySet().stream().map(Object::toString).toList();
            assertThat(keys).isSubsetOf(SPIFFE_HELPER_JWT_KEYS);
        }
        assertThat(Hcl.get(helper, "daemon_mode")).isEqualTo(Boolean.TRUE);
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
    private static String volumeFileOf(String service, String path) {
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

    private static JsonNode service(String name) {
        return compose.service(name);
    }

    private static String env(String service, String name) {
        return compose.env(service, name);
    }

    private static String keycloakEnv(String name) {
        return env("keycloak", name);
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
        for (JsonNode client : realm.path("clients")) {
            if (clientId.equals(client.path("clientId").asText())) {
                return client.path("attributes").path(attribute).asText();
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
