package dev.svidauth.docker;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manifests of docs/kubernetes.md, kept as files under docs/kubernetes/, read without a
 * cluster: they parse, each appears on the page as in its file, each object's apiVersion is its
 * kind's, the Keycloak CR and the ClusterSPIFFEID use only fields of their CRDs, every image is
 * pinned, the svid-auth options named exist in the code ({@code SvidAuthOptions}), and the names
 * that must agree between Keycloak, ingress-nginx, SPIRE and spiffe-helper do.
 */
class KubernetesManifestsTest {

    static final Map<String, String> API_VERSIONS = Map.of(
            "Keycloak", "k8s.keycloak.org/v2alpha1",
            "KeycloakRealmImport", "k8s.keycloak.org/v2alpha1",
            "ClusterSPIFFEID", "spire.spiffe.io/v1alpha1",
            "Ingress", "networking.k8s.io/v1",
            "NetworkPolicy", "networking.k8s.io/v1",
            "Deployment", "apps/v1",
            "ConfigMap", "v1",
            "ServiceAccount", "v1",
            "Secret", "v1");
    /**
     * The Keycloak CR fields these manifests may use, as the Operator's CRD
     * (keycloaks.k8s.keycloak.org, v2alpha1, release 26.0.0) declares them; lists as {@code []}.
     */
    static final Set<String> KEYCLOAK_CR_FIELDS = Set.of("spec.instances", "spec.image", "spec.startOptimized",
            "spec.db.vendor", "spec.db.host", "spec.db.port", "spec.db.database", "spec.db.usernameSecret.name",
            "spec.db.usernameSecret.key", "spec.db.passwordSecret.name", "spec.db.passwordSecret.key",
            "spec.hostname.hostname", "spec.hostname.admin", "spec.hostname.strict", "spec.hostname.backchannelDynamic",
            "spec.http.httpEnabled", "spec.http.httpPort", "spec.http.httpsPort", "spec.http.tlsSecret",
            "spec.httpManagement.port", "spec.proxy.headers", "spec.ingress.enabled", "spec.ingress.className",
            "spec.additionalOptions[].name", "spec.additionalOptions[].value", "spec.additionalOptions[].secret.name",
            "spec.additionalOptions[].secret.key", "spec.imagePullSecrets[].name");
    /** The spec fields of ClusterSPIFFEID (spire-controller-manager, api/v1alpha1/clusterspiffeid_types.go). */
    static final Set<String> CLUSTER_SPIFFE_ID_FIELDS = Set.of("spiffeIDTemplate", "ttl", "jwtTtl", "dnsNameTemplates",
            "workloadSelectorTemplates", "federatesWith", "namespaceSelector", "podSelector", "admin", "downstream",
            "autoPopulateDNSNames", "className", "fallback", "hint");
    static final String SVID_OPTION_PREFIX = "spi-client-authenticator--client-svid-jwt--";
    static final String REALM = "svid";

    private static Path repo;
    private static Path dir;
    private static String page;
    private static Map<String, List<Map<String, Object>>> files;

    @BeforeAll
    static void readFiles() throws IOException {
        repo = Path.of(System.getProperty("svid.repo.dir", "..")).toAbsolutePath().normalize();
        dir = repo.resolve("docs/kubernetes");
        page = Files.readString(repo.resolve("docs/kubernetes.md"));
        files = new LinkedHashMap<>();
        try (var list = Files.list(dir)) {
            for (Path f : list.sorted().toList()) {
                if (f.getFileName().toString().endsWith(".yaml")) {
                    files.put(f.getFileName().toString(), documents(Files.readString(f)));
                }
            }
        }
    }

    @Test
    void everyFileIsOnThePageAsItIsAndTheDirectoryHoldsThem() throws IOException {
        assertThat(files).containsKeys("keycloak.yaml", "ingress.yaml", "clusterspiffeid.yaml", "workload.yaml",
                "spire-values.yaml");
        try (var list = Files.list(dir)) {
            for (Path f : list.toList()) {
                String text = Files.readString(f).stripTrailing();
                String fence = f.getFileName().toString().equals("Dockerfile") ? "```dockerfile\n" : "```yaml\n";
                assertThat(page).as("docs/kubernetes.md shows %s as it is", f.getFileName()).contains(fence + text + "\n```");
                assertThat(page).as("and says how to use it").contains("docs/kubernetes/" + f.getFileName());
            }
        }
    }

    @Test
    void eachObjectHasItsKindsApiVersion() {
        files.forEach((file, docs) -> {
            if (file.equals("spire-values.yaml")) {
                return; // Helm values, no object
            }
            assertThat(docs).as(file).isNotEmpty();
            for (Map<String, Object> doc : docs) {
                String kind = String.valueOf(doc.get("kind"));
                assertThat(API_VERSIONS).as("%s: known kind %s", file, kind).containsKey(kind);
                assertThat(doc.get("apiVersion")).as("%s: apiVersion of %s", file, kind).isEqualTo(API_VERSIONS.get(kind));
                assertThat(at(doc, "metadata.name")).as("%s: %s has a name", file, kind).isNotNull();
            }
        });
    }

    @Test
    void theCustomResourcesUseOnlyFieldsOfTheirCrds() {
        Map<String, Object> keycloak = only("Keycloak");
        List<String> paths = new ArrayList<>();
        leafPaths("spec", keycloak.get("spec"), paths);
        assertThat(paths).as("Keycloak CR fields").isNotEmpty().allSatisfy(p -> assertThat(KEYCLOAK_CR_FIELDS).contains(p));

        Map<?, ?> spiffeId = (Map<?, ?>) only("ClusterSPIFFEID").get("spec");
        assertThat(spiffeId.keySet()).as("ClusterSPIFFEID spec").allSatisfy(k -> assertThat(CLUSTER_SPIFFE_ID_FIELDS).contains(String.valueOf(k)));
    }

    @Test
    void everyImageIsPinned() throws IOException {
        List<String> images = new ArrayList<>();
        files.values().forEach(docs -> docs.forEach(d -> collect(d, "image", images)));
        DockerComposeStartupTest.Dockerfile dockerfile = DockerComposeStartupTest.Dockerfile.read(dir.resolve("Dockerfile"));
        images.addAll(dockerfile.baseImages());
        assertThat(images).contains("quay.io/keycloak/keycloak:26.7.3", "ghcr.io/spiffe/spiffe-helper:0.11.0");
        images.forEach(DockerComposeStartupTest::assertPinned);
    }

    @Test
    void theImageIsKeycloakWithTheJarBuiltForTheOperator() throws IOException {
        String dockerfile = Files.readString(dir.resolve("Dockerfile"));
        String parentPom = Files.readString(repo.resolve("pom.xml"));
        Matcher version = Pattern.compile("<keycloak.version>([^<]+)</keycloak.version>").matcher(parentPom);
        assertThat(version.find()).isTrue();
        assertThat(dockerfile).contains("FROM quay.io/keycloak/keycloak:" + version.group(1) + " AS builder");
        assertThat(dockerfile).contains("svid-auth.jar /opt/keycloak/providers/");
        assertThat(dockerfile).contains("KC_HEALTH_ENABLED=true", "KC_METRICS_ENABLED=true");
        assertThat(dockerfile).contains("RUN /opt/keycloak/bin/kc.sh build --spi-x509cert-lookup--provider=nginx");

        Map<String, Object> keycloak = only("Keycloak");
        assertThat(at(keycloak, "spec.startOptimized")).isEqualTo(Boolean.TRUE);
        assertThat(String.valueOf(at(keycloak, "spec.image"))).endsWith(":" + version.group(1) + "-0.1.0");
        assertThat(String.valueOf(at(keycloak, "spec.db.vendor"))).as("the vendor the image is built for")
                .isEqualTo(envOf(dockerfile, "KC_DB"));
        assertThat(at(keycloak, "spec.ingress.enabled")).as("the Ingress with mutual TLS instead of the Operator's").isEqualTo(Boolean.FALSE);
    }

    @Test
    void theSvidAuthOptionsNamedExistInTheCode() throws IOException {
        Set<String> declared = declaredOptions();
        assertThat(declared).contains("key-source-allowed-hosts", "detailed-errors", "ecdsa-provider");
        List<String> named = new ArrayList<>();
        additionalOptions().keySet().stream().filter(n -> n.startsWith(SVID_OPTION_PREFIX))
                .forEach(n -> named.add(n.substring(SVID_OPTION_PREFIX.length())));
        Matcher onPage = Pattern.compile("spi-client-authenticator--client-svid-jwt--([a-z0-9-]+)").matcher(page);
        while (onPage.find()) {
            named.add(onPage.group(1));
        }
        assertThat(named).as("svid-auth options named in docs/kubernetes").isNotEmpty();
        named.stream().filter(n -> !n.equals("name")) // the placeholder "--<name>" of the page's text
                .forEach(n -> assertThat(declared).as("svid-auth option %s", n).contains(n));
    }

    /**
     * Keycloak's own options in the CR and the Dockerfile are those with which the proxy tests
     * (X509ProxyIT through NginxKeycloak) start a real Keycloak behind nginx: a misspelt name would
     * not be found there.
     */
    @Test
    void theKeycloakOptionsNamedAreThoseTheProxyTestsStartARealKeycloakWith() throws IOException {
        String proxyServer = Files.readString(repo.resolve("integration-tests/src/test/java/dev/svidauth/it/support/NginxKeycloak.java"));
        String nginx = Files.readString(repo.resolve("keycloak-testkit/src/main/java/dev/svidauth/testkit/LocalNginx.java"));
        List<String> keycloakOptions = new ArrayList<>(additionalOptions().keySet().stream()
                .filter(n -> !n.startsWith(SVID_OPTION_PREFIX)).toList());
        keycloakOptions.add("proxy-headers=" + at(only("Keycloak"), "spec.proxy.headers"));
        Matcher build = Pattern.compile("kc\\.sh build (--\\S+)").matcher(Files.readString(dir.resolve("Dockerfile")));
        assertThat(build.find()).isTrue();
        keycloakOptions.add(build.group(1).substring(2));
        assertThat(keycloakOptions).hasSizeGreaterThanOrEqualTo(4);
        for (String option : keycloakOptions) {
            String name = option.contains("=") ? option : option + "=";
            assertThat(proxyServer).as("NginxKeycloak starts Keycloak with --%s", option).contains("\"--" + name);
        }
        // and the header is the one the tests' nginx forwards the certificate in
        Matcher header = Pattern.compile("CERT_HEADER = \"([^\"]+)\"").matcher(nginx);
        assertThat(header.find()).isTrue();
        assertThat(additionalOptions().get("spi-x509cert-lookup--nginx--ssl-client-cert")).isEqualTo(header.group(1));
    }

    @Test
    void ingressNginxForwardsTheCertificateInTheHeaderKeycloakReadsFromTrustedAddressesOnly() {
        Map<String, Object> ingress = only("Ingress");
        Map<String, String> options = additionalOptions();
        assertThat(at(ingress, "metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/auth-tls-verify-client"))
                .as("a certificate asked for, judged by svid-auth against the bundle").isEqualTo("optional_no_ca");
        assertThat(at(ingress, "metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/auth-tls-pass-certificate-to-upstream"))
                .isEqualTo("true");
        assertThat(at(ingress, "metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/auth-tls-secret")).isNotNull();
        // ingress-nginx passes the certificate in ssl-client-cert
        assertThat(options.get("spi-x509cert-lookup--nginx--ssl-client-cert")).isEqualTo("ssl-client-cert");
        assertThat(options.get("proxy-trusted-addresses")).as("forwarded certificates are used only with proxy trust").isNotBlank();
        assertThat(at(only("Keycloak"), "spec.proxy.headers")).isEqualTo("xforwarded");

        // the Ingress serves the CR's hostname and sends to the Operator's Service of the CR, on its HTTP port
        String host = URI.create(String.valueOf(at(only("Keycloak"), "spec.hostname.hostname"))).getHost();
        Map<?, ?> rule = (Map<?, ?>) ((List<?>) at(ingress, "spec.rules")).get(0);
        assertThat(rule.get("host")).isEqualTo(host);
        assertThat(String.valueOf(at(ingress, "spec.rules")))
                .contains("name=" + at(only("Keycloak"), "metadata.name") + "-service", "number=8080");
        assertThat(at(only("Keycloak"), "spec.http.httpEnabled")).isEqualTo(Boolean.TRUE);

        // only ingress-nginx reaches that port
        Map<String, Object> policy = only("NetworkPolicy");
        assertThat(String.valueOf(at(policy, "spec.ingress"))).contains("kubernetes.io/metadata.name=ingress-nginx", "port=8080");
    }

    @Test
    void spiffeHelperAsksForTheRealmIssuerAndTheWorkloadIsAClusterSpiffeIdClient() {
        String hostname = String.valueOf(at(only("Keycloak"), "spec.hostname.hostname"));
        Map<String, Object> config = Hcl.parse(String.valueOf(at(only("ConfigMap"), "data.helper\\.conf")));
        assertThat(config.keySet()).isSubsetOf(DockerComposeConsistencyTest.SPIFFE_HELPER_KEYS);
        assertThat(DockerComposeConsistencyTest.SPIFFE_HELPER_X509_KEYS.stream().filter(config::containsKey).count()).isIn(0L, 3L);
        Map<?, ?> jwt = (Map<?, ?>) ((List<?>) config.get("jwt_svids")).get(0);
        assertThat(jwt.get("jwt_audience")).as("the realm issuer").isEqualTo(hostname + "/realms/" + REALM);

        // the helper's socket is on the CSI driver's volume; the workload reads the helper's directory
        Map<String, Object> deployment = only("Deployment");
        String pod = String.valueOf(at(deployment, "spec.template.spec"));
        assertThat(pod).contains("driver=csi.spiffe.io");
        Map<?, ?> helper = (Map<?, ?>) ((List<?>) at(deployment, "spec.template.spec.initContainers")).get(0);
        assertThat(helper.get("restartPolicy")).as("a native sidecar").isEqualTo("Always");
        assertThat(String.valueOf(helper.get("volumeMounts"))).contains("mountPath=/spiffe-workload-api");
        assertThat(String.valueOf(config.get("agent_address"))).startsWith("/spiffe-workload-api/");
        Map<?, ?> workload = (Map<?, ?>) ((List<?>) at(deployment, "spec.template.spec.containers")).get(0);
        assertThat(String.valueOf(workload.get("volumeMounts"))).contains("mountPath=" + config.get("cert_dir"));
        assertThat(String.valueOf(workload.get("command"))).contains(hostname + "/realms/" + REALM + "/protocol/openid-connect/token",
                config.get("cert_dir") + "/" + jwt.get("jwt_svid_file_name"));

        // the pod carries the ClusterSPIFFEID's label; its SPIFFE ID is the template's for its namespace and account
        Map<String, Object> spiffeId = only("ClusterSPIFFEID");
        Map<?, ?> selector = (Map<?, ?>) at(spiffeId, "spec.podSelector.matchLabels");
        Map<?, ?> labels = (Map<?, ?>) at(deployment, "spec.template.metadata.labels");
        selector.forEach((k, v) -> assertThat(labels.get(k)).as("pod label %s", k).isEqualTo(v));
        String id = String.valueOf(at(spiffeId, "spec.spiffeIDTemplate"))
                .replace("{{ .TrustDomain }}", String.valueOf(at(files.get("spire-values.yaml").get(0), "global.spire.trustDomain")))
                .replace("{{ .PodMeta.Namespace }}", String.valueOf(at(deployment, "metadata.namespace")))
                .replace("{{ .PodSpec.ServiceAccountName }}", String.valueOf(at(deployment, "spec.template.spec.serviceAccountName")));
        assertThat(id).isEqualTo("spiffe://example.org/ns/apps/sa/payments");
        assertThat(page).contains("`" + id + "`");
        assertThat(String.valueOf(at(spiffeId, "spec.jwtTtl"))).as("JWT-SVID lifetime below svid.max.lifetime's default").matches("[1-9][0-9]?m");
    }

    @Test
    void keySourcesAreSpiresIssuerAndBundleEndpoint() {
        Map<String, Object> values = files.get("spire-values.yaml").get(0);
        String issuer = String.valueOf(at(values, "global.spire.jwtIssuer"));
        String trustDomain = String.valueOf(at(values, "global.spire.trustDomain"));
        assertThat(issuer).startsWith("https://");
        assertThat(URI.create(issuer).getHost()).isEqualTo(at(values, "spiffe-oidc-discovery-provider.ingress.host") + "." + trustDomain);
        assertThat(at(values, "spire-server.federation.enabled")).isEqualTo(Boolean.TRUE);
        String bundleHost = at(values, "spire-server.federation.ingress.host") + "." + trustDomain;
        String allowed = additionalOptions().get(SVID_OPTION_PREFIX + "key-source-allowed-hosts");
        assertThat(allowed).as("the Keycloak CR sets key-source-allowed-hosts").isNotNull();
        assertThat(List.of(allowed.split(",")))
                .containsExactlyInAnyOrder(URI.create(issuer).getHost(), bundleHost);
        assertThat(page).contains("`" + issuer + "`", "`https://" + bundleHost + "`");
    }

    // ------------------------------------------------------------------------------------------

    /** The option names {@code SvidAuthOptions} declares: its {@code String} constants, with those it takes from {@code KeySourceAddressGuard}. */
    static Set<String> declaredOptions() throws IOException {
        String options = Files.readString(repo.resolve(
                "spi-client-authenticator/src/main/java/dev/svidauth/keycloak/runtime/SvidAuthOptions.java"));
        String guard = Files.readString(repo.resolve("svid-core/src/main/java/dev/svidauth/keys/KeySourceAddressGuard.java"));
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("public static final String ([A-Z_]+) = (?:\"([^\"]+)\"|KeySourceAddressGuard\\.([A-Z_]+));")
                .matcher(options);
        while (m.find()) {
            if (m.group(2) != null) {
                names.add(m.group(2));
            } else {
                Matcher g = Pattern.compile("static final String " + m.group(3) + " = \"([^\"]+)\";").matcher(guard);
                assertThat(g.find()).as("KeySourceAddressGuard.%s", m.group(3)).isTrue();
                names.add(g.group(1));
            }
        }
        return names;
    }

    private static Map<String, String> additionalOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        for (Object o : (List<?>) at(only("Keycloak"), "spec.additionalOptions")) {
            Map<?, ?> option = (Map<?, ?>) o;
            options.put(String.valueOf(option.get("name")), option.containsKey("value") ? String.valueOf(option.get("value")) : null);
        }
        return options;
    }

    private static String envOf(String dockerfile, String name) {
        Matcher m = Pattern.compile(name + "=(\\S+)").matcher(dockerfile);
        assertThat(m.find()).as("%s in the Dockerfile", name).isTrue();
        return m.group(1);
    }

    /** The one object of this kind in docs/kubernetes/. */
    private static Map<String, Object> only(String kind) {
        List<Map<String, Object>> found = new ArrayList<>();
        files.forEach((file, docs) -> docs.stream().filter(d -> kind.equals(d.get("kind"))).forEach(found::add));
        assertThat(found).as("objects of kind %s", kind).hasSize(1);
        return found.get(0);
    }

    /** The value at a dotted path ({@code \.} for a dot inside a key), or null. */
    static Object at(Map<String, Object> doc, String path) {
        Object node = doc;
        for (String key : path.split("(?<!\\\\)\\.")) {
            if (!(node instanceof Map<?, ?> map)) {
                return null;
            }
            node = map.get(key.replace("\\.", "."));
        }
        return node;
    }

    private static void leafPaths(String prefix, Object node, List<String> out) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> leafPaths(prefix + "." + k, v, out));
        } else if (node instanceof List<?> list) {
            list.forEach(v -> leafPaths(prefix + "[]", v, out));
        } else {
            out.add(prefix);
        }
    }

    private static void collect(Object node, String key, List<String> out) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                if (key.equals(k) && v instanceof String s) {
                    out.add(s);
                } else {
                    collect(v, key, out);
                }
            });
        } else if (node instanceof List<?> list) {
            list.forEach(v -> collect(v, key, out));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> documents(String text) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
            if (doc != null) {
                assertThat(doc).as("a YAML mapping").isInstanceOf(Map.class);
                docs.add((Map<String, Object>) doc);
            }
        }
        return docs;
    }
}
