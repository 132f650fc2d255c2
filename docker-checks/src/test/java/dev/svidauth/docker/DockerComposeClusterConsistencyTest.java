package dev.svidauth.docker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker/compose.cluster.yaml on top of docker/compose.yaml, read the way Docker Compose merges
 * them ({@link ComposeModel}), no Docker engine needed: two Keycloak nodes of one cluster on a
 * shared PostgreSQL. Each node must be the single node's Keycloak (image recipe, realm, issuer, key
 * sources, secrets) on an image built for PostgreSQL, pointed at the postgres service's database
 * and clustered through it; the nodes must be distinct, only one may take the host port, and both
 * must answer under the name the workload sends to and the realm issuer carries.
 * {@link DockerComposeConsistencyTest} checks the single node against SPIRE and the realm-export.
 */
class DockerComposeClusterConsistencyTest {

    static final List<String> NODES = List.of("keycloak", "keycloak-2");
    /** The environment variables in which a cluster node differs from the single node. */
    static final List<String> CLUSTER_SETTINGS = List.of("KC_CACHE", "KC_CACHE_STACK", "KC_DB_URL", "KC_DB_USERNAME", "KC_DB_PASSWORD");

    private static ComposeModel single;
    private static ComposeModel cluster;
    private static String dockerfile;

    @BeforeAll
    static void readFiles() throws IOException {
        Path docker = Path.of(System.getProperty("svid.repo.dir", "..")).toAbsolutePath().normalize().resolve("docker");
        single = ComposeModel.load(docker, "compose.yaml");
        cluster = ComposeModel.load(docker, "compose.yaml", "compose.cluster.yaml");
        dockerfile = Files.readString(docker.resolve("Dockerfile"));
    }

    @Test
    void eachNodeIsTheSingleNodesKeycloakBuiltForPostgres() {
        JsonNode one = single.service("keycloak");
        assertThat(one.path("build").has("args")).as("the single node's image: the Dockerfile's default database").isFalse();
        assertThat(single.env("keycloak", "KC_CACHE")).isEqualTo("local");
        for (String node : NODES) {
            JsonNode n = cluster.service(node);
            assertThat(n.path("build").path("context")).as(node).isEqualTo(one.path("build").path("context"));
            assertThat(n.path("build").path("dockerfile")).as(node).isEqualTo(one.path("build").path("dockerfile"));
            assertThat(n.path("build").path("args").path("KC_DB").asText()).as(node + " build argument KC_DB").isEqualTo("postgres");
            assertThat(n.path("image").asText()).as(node + ": never the single node's dev-file image")
                    .isEqualTo(cluster.service("keycloak").path("image").asText())
                    .isNotEqualTo(one.path("image").asText());
            // the same start: wait for the trust bundle spiffe-helper-keycloak writes, then start --optimized --import-realm
            for (String same : List.of("volumes", "healthcheck", "restart", "entrypoint", "command")) {
                assertThat(n.path(same)).as(node + " " + same).isEqualTo(one.path(same));
            }
            assertThat(withoutClusterSettings(n)).as(node + ": the single node's environment but for the cluster's settings")
                    .isEqualTo(withoutClusterSettings(one));
            // and waits for what the single node waits for, the same way (extends does not carry depends_on)
            one.path("depends_on").fields().forEachRemaining(dep ->
                    assertThat(n.path("depends_on").path(dep.getKey())).as(node + " depends on " + dep.getKey()).isEqualTo(dep.getValue()));
        }
        assertThat(cluster.service("keycloak-2").path("environment")).as("the two nodes' environments")
                .isEqualTo(cluster.service("keycloak").path("environment"));
    }

    @Test
    void theDockerfileBuildsTheDatabaseTheNodesConnectTo() {
        String builder = dockerfile.substring(dockerfile.indexOf("AS builder"), dockerfile.indexOf("RUN /opt/keycloak/bin/kc.sh build"));
        assertThat(builder).as("the builder stage, before kc.sh build").contains("ARG KC_DB=dev-file", "KC_DB=${KC_DB}");
        for (String node : NODES) {
            assertThat(cluster.env(node, "KC_DB_URL")).as(node).startsWith("jdbc:postgresql://");
        }
    }

    @Test
    void theNodesUseThePostgresServicesDatabaseAndFindEachOtherThroughIt() {
        JsonNode postgres = cluster.service("postgres");
        String database = cluster.env("postgres", "POSTGRES_DB");
        String user = cluster.env("postgres", "POSTGRES_USER");
        assertThat(postgres.path("image").asText()).startsWith("postgres:");
        assertThat(postgres.path("healthcheck").path("test").toString()).as("ready means this user can reach this database")
                .contains("pg_isready", "\"" + user + "\"", "\"" + database + "\"");
        String dataVolume = postgres.path("volumes").get(0).asText().split(":")[0];
        assertThat(cluster.root().path("volumes").has(dataVolume)).as("named volume %s", dataVolume).isTrue();

        for (String node : NODES) {
            URI url = URI.create(cluster.env(node, "KC_DB_URL").substring("jdbc:".length()));
            assertThat(url.getHost()).as(node + ": the database host is the postgres service").isEqualTo("postgres");
            assertThat(url.getPort()).as(node).isEqualTo(5432);
            assertThat(url.getPath()).as(node).isEqualTo("/" + database);
            assertThat(cluster.env(node, "KC_DB_USERNAME")).as(node).isEqualTo(user);
            assertThat(cluster.env(node, "KC_DB_PASSWORD")).as(node).isEqualTo(cluster.env("postgres", "POSTGRES_PASSWORD"));
            assertThat(cluster.env(node, "KC_CACHE")).as(node + ": embedded Infinispan, clustered").isEqualTo("ispn");
            assertThat(cluster.env(node, "KC_CACHE_STACK")).as(node + ": discovery through the shared database").isEqualTo("jdbc-ping");
            assertThat(cluster.service(node).path("depends_on").path("postgres").path("condition").asText()).as(node)
                    .isEqualTo("service_healthy");
            assertThat(cluster.service(node).path("depends_on").path("tls-certs").path("condition").asText()).as(node)
                    .isEqualTo("service_completed_successfully");
        }
    }

    @Test
    void theNodesAreDistinctAndOnlyTheFirstTakesTheHostPort() {
        assertThat(cluster.service("keycloak").path("ports")).isEqualTo(single.service("keycloak").path("ports"));
        assertThat(cluster.service("keycloak-2").has("ports")).as("keycloak-2 publishes no host port").isFalse();
        // Infinispan names a node after its host: the containers' own hostnames, unless set alike
        List<String> names = new ArrayList<>();
        for (String node : NODES) {
            JsonNode n = cluster.service(node);
            names.add(n.path("hostname").asText(n.path("container_name").asText(node)));
            assertThat(cluster.env(node, "KC_SPI_CACHE_EMBEDDED__DEFAULT__NODE_NAME")).as(node + ": no node name of its own").isNull();
        }
        assertThat(names).doesNotHaveDuplicates();
        assertThat(cluster.service("keycloak-2").path("depends_on").path("keycloak").path("condition").asText())
                .as("keycloak-2 starts once keycloak has imported the realm").isEqualTo("service_healthy");
    }

    @Test
    void theWorkloadReachesBothNodesUnderTheRealmIssuersName() {
        URI endpoint = URI.create(cluster.env("workload", "TOKEN_ENDPOINT"));
        URI issuer = URI.create(cluster.env("keycloak", "KC_HOSTNAME"));
        assertThat(endpoint.getHost()).isEqualTo(issuer.getHost());
        assertThat(endpoint.getPort()).as("Keycloak's HTTP port").isEqualTo(issuer.getPort()).isEqualTo(8080);
        for (String node : NODES) {
            assertThat(networkNames(node)).as(node + " answers as %s on the compose network", endpoint.getHost()).contains(endpoint.getHost());
            assertThat(cluster.env(node, "KC_HOSTNAME")).as(node + ": one realm issuer, the SVIDs' audience").isEqualTo(issuer.toString());
            assertThat(cluster.service("workload").path("depends_on").path(node).path("condition").asText()).as("workload waits for " + node)
                    .isEqualTo("service_healthy");
        }
    }

    @Test
    void theClusterFileAddsTheDatabaseAndTheSecondNodeAndChangesNothingElse() {
        List<String> added = new ArrayList<>(cluster.services());
        added.removeAll(single.services());
        assertThat(added).containsExactlyInAnyOrder("postgres", "keycloak-2");
        for (String name : single.services()) {
            if (name.equals("keycloak")) {
                continue;
            }
            JsonNode before = single.service(name).deepCopy();
            JsonNode after = cluster.service(name).deepCopy();
            if (name.equals("workload")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) after.path("depends_on")).remove("keycloak-2");
            }
            assertThat(after).as(name).isEqualTo(before);
        }
    }

    /** The names a node answers to on the default network: its service name and its aliases. */
    private static List<String> networkNames(String node) {
        List<String> names = new ArrayList<>(List.of(node));
        cluster.service(node).path("networks").path("default").path("aliases").forEach(a -> names.add(a.asText()));
        return names;
    }

    private static Map<String, String> withoutClusterSettings(JsonNode service) {
        Map<String, String> env = new TreeMap<>();
        service.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        env.keySet().removeAll(CLUSTER_SETTINGS);
        return env;
    }
}
