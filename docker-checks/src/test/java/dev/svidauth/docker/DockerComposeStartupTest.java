package dev.svidauth.docker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docker compose up} alone must reach a token, with no Docker engine here to try it: this
 * reads docker/compose.yaml (alone and with compose.cluster.yaml, as {@link ComposeModel} merges
 * them), the Dockerfiles and the registration script, and checks what the one command relies on.
 * <ul>
 *   <li>every service starts without a profile, and the start order is a graph of depends_on
 *       conditions without a cycle: one-shots ({@code restart} absent or {@code "no"}) are waited for
 *       with {@code service_completed_successfully}, others with {@code service_healthy} (if they
 *       have a health check) or {@code service_started};</li>
 *   <li>the one-shot registration {@code spire-register} runs SPIRE's own CLI (spire/Dockerfile,
 *       the spire-server image of the compose file's release) against the server's socket, after the
 *       server is healthy, and everything that needs an SVID starts after it; its script runs here
 *       against a stand-in CLI;</li>
 *   <li>the OIDC Discovery Provider has a health check on its {@code /ready} endpoint, and Keycloak
 *       waits for it;</li>
 *   <li>every image (compose files and Dockerfiles) is pinned to an exact release;</li>
 *   <li>docker/README.md states the host requirements: rootful Docker on Linux for the agent's
 *       {@code pid: host} and Docker socket, every published host port, memory.</li>
 * </ul>
 */
class DockerComposeStartupTest {

    static final String REGISTER = DockerComposeConsistencyTest.REGISTER;
    static final String DISCOVERY = "spire-oidc-discovery-provider";
    /** The services that need the agent, and so the registration, before they can do their job. */
    static final List<String> NEED_REGISTRATION = List.of("spire-agent", "spiffe-helper", "spiffe-helper-warehouse",
            "spiffe-helper-keycloak", "keycloak", "workload", "workload-warehouse");
    /**
     * Images whose exact releases have two version numbers (PostgreSQL: major.minor); every other
     * image needs three (major.minor.patch).
     */
    static final Map<String, Integer> VERSION_PARTS = Map.of("postgres", 2);
    private static final Pattern FROM = Pattern.compile("(?m)^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?", Pattern.CASE_INSENSITIVE);
    private static final Pattern ARG = Pattern.compile("(?m)^ARG\\s+([A-Za-z_][A-Za-z0-9_]*)=(\\S+)");

    private static Path repo;
    private static Path docker;
    private static ComposeModel single;
    private static ComposeModel cluster;
    private static Map<String, Object> server;
    private static Map<String, Object> oidc;
    private static String registerScript;

    @BeforeAll
    static void readFiles() throws IOException {
        repo = Path.of(System.getProperty("svid.repo.dir", "..")).toAbsolutePath().normalize();
        docker = repo.resolve("docker");
        single = ComposeModel.load(docker, "compose.yaml");
        cluster = ComposeModel.load(docker, "compose.yaml", "compose.cluster.yaml");
        server = Hcl.parse(Files.readString(docker.resolve("spire/server/server.conf")));
        oidc = Hcl.parse(Files.readString(docker.resolve("spire/oidc-discovery-provider/oidc-discovery-provider.conf")));
        registerScript = Files.readString(docker.resolve(DockerComposeConsistencyTest.REGISTER_SCRIPT));
    }

    @Test
    void everyServiceStartsWithDockerComposeUpInAnOrderOfConditions() {
        for (ComposeModel project : List.of(single, cluster)) {
            for (String name : project.services()) {
                JsonNode service = project.service(name);
                assertThat(service.has("profiles")).as("%s starts with a plain `docker compose up`", name).isFalse();
                service.path("depends_on").fields().forEachRemaining(dep -> {
                    String on = dep.getKey();
                    String condition = dep.getValue().path("condition").asText();
                    JsonNode target = project.service(on);
                    String expected = oneShot(target) ? "service_completed_successfully"
                            : target.has("healthcheck") ? "service_healthy" : "service_started";
                    assertThat(condition).as("%s waits for %s", name, on).isEqualTo(expected);
                });
            }
            assertThat(startOrder(project)).as("a start order exists").containsAll(project.services());
        }
    }

    @Test
    void theRegistrationIsAOneShotOfSpiresCliThatEverySvidUserWaitsFor() throws IOException {
        JsonNode register = single.service(REGISTER);
        assertThat(register.path("restart").asText()).isEqualTo("no");
        assertThat(register.path("depends_on").path("spire-server").path("condition").asText()).isEqualTo("service_healthy");
        for (String name : NEED_REGISTRATION) {
            assertThat(dependencies(single, name)).as("%s starts after %s", name, REGISTER).contains(REGISTER);
            assertThat(dependencies(cluster, name)).as("%s starts after %s (cluster)", name, REGISTER).contains(REGISTER);
        }
        assertThat(dependencies(cluster, "keycloak-2")).contains(REGISTER);
        assertThat(single.service("spire-agent").path("depends_on").path(REGISTER).path("condition").asText())
                .isEqualTo("service_completed_successfully");

        // the image: SPIRE's own spire-server binary, of the release the server runs, with a shell around it
        Dockerfile spire = dockerfile(register);
        String serverImage = single.service("spire-server").path("image").asText();
        assertThat(spire.stage(register.path("build").path("target").asText()).copiesFrom())
                .as("the register stage copies spire-server from the spire-server image").contains(serverImage);
        assertThat(spire.stageBase(register.path("build").path("target").asText())).startsWith("alpine:");

        // the script and the sockets: the server's API socket, through the volume the server creates it in
        assertThat(register.path("volumes").toString()).contains("./" + DockerComposeConsistencyTest.REGISTER_SCRIPT + ":");
        String socket = Hcl.string(server, "server", "socket_path");
        assertThat(DockerComposeConsistencyTest.volumeFileOf(REGISTER, shellDefault("SERVER_SOCKET"))).isNotNull()
                .isEqualTo(DockerComposeConsistencyTest.volumeFileOf("spire-server", socket));
        assertThat(registerScript).contains("-socketPath \"$SERVER_SOCKET\"");
    }

    /** The script itself, against a stand-in for spire-server's CLI that records its calls. */
    @Test
    void theRegistrationScriptCreatesEachEntryOnceAndLeavesAFreshTokenOnlyRootReads() throws Exception {
        Path dir = Files.createTempDirectory("spire-register");
        Path calls = dir.resolve("calls");
        Path entries = dir.resolve("entries");
        Path cli = dir.resolve("spire-server");
        // spire-server <command> [<subcommand>] -socketPath <path> <options>: as register.sh calls it
        Files.writeString(cli, """
                #!/bin/sh
                echo "$*" >> "$CALLS"
                case "$1 $2" in
                  "healthcheck -socketPath") echo "Server is healthy." ;;
                  "entry show") if grep -qx "$6" "$ENTRIES" 2>/dev/null; then echo "SPIFFE ID : $6"; else echo "Found 0 entries"; fi ;;
                  "entry create") echo "$8" >> "$ENTRIES"; echo "Entry ID : x" ;;
                  "token generate") echo "Token: tok-$(wc -l < "$CALLS" | tr -d ' ')" ;;
                  *) echo "unexpected: $*" >&2; exit 2 ;;
                esac
                """);
        Files.setPosixFilePermissions(cli, PosixFilePermissions.fromString("rwx------"));
        Path token = dir.resolve("join-token/token");
        Map<String, String> env = Map.of("SPIRE_SERVER", cli.toString(), "SERVER_SOCKET", "/sock/api.sock",
                "JOIN_TOKEN_FILE", token.toString(), "CALLS", calls.toString(), "ENTRIES", entries.toString());
        try {
            String first = run(env);
            List<String> created = Files.readAllLines(calls).stream().filter(c -> c.startsWith("entry create")).toList();
            assertThat(created).as(first).hasSize(3);
            assertThat(created).allSatisfy(c -> assertThat(c).contains("-socketPath /sock/api.sock", "-parentID spiffe://example.org/node/compose-agent"));
            assertThat(created.get(0)).contains("-spiffeID spiffe://example.org/ns/apps/sa/payments",
                    "-selector docker:label:svid-auth.workload:payments", "-jwtSVIDTTL 300");
            String firstToken = Files.readString(token).strip();
            assertThat(firstToken).startsWith("tok-");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(token))).isEqualTo("rw-------");
            assertThat(Files.readAllLines(calls).stream().filter(c -> c.startsWith("token generate")).toList())
                    .singleElement().asString().contains("-spiffeID spiffe://example.org/node/compose-agent", "-ttl 600");

            // again (the next `docker compose up`): no entry twice, a new token
            String second = run(env);
            assertThat(second).contains("Entry for spiffe://example.org/ns/apps/sa/payments exists.");
            assertThat(Files.readAllLines(calls).stream().filter(c -> c.startsWith("entry create")).toList()).hasSize(3);
            assertThat(Files.readString(token).strip()).isNotEqualTo(firstToken);
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    @Test
    void theDiscoveryProviderHasAHealthCheckOnItsReadyEndpointThatKeycloakWaitsFor() throws IOException {
        JsonNode provider = single.service(DISCOVERY);
        Object healthChecks = Hcl.get(oidc, "health_checks");
        assertThat(healthChecks).as("health_checks {} enables /ready").isNotNull();
        String port = Hcl.string(oidc, "health_checks", "bind_port");
        String ready = Hcl.string(oidc, "health_checks", "ready_path");
        String insecure = Hcl.string(oidc, "insecure_addr");
        assertThat(port).as("its own listener, not the documents' port").isNotNull()
                .isNotEqualTo(insecure.substring(insecure.lastIndexOf(':') + 1));
        assertThat(provider.path("healthcheck").path("test").toString())
                .contains("\"CMD\"", "\"wget\"", "http://127.0.0.1:" + port + (ready == null ? "/ready" : ready));

        // the image has the wget the check runs: SPIRE's binary on Alpine, of the server's release
        Dockerfile spire = dockerfile(provider);
        String target = provider.path("build").path("target").asText();
        assertThat(spire.stageBase(target)).startsWith("alpine:");
        assertThat(spire.stage(target).copiesFrom()).contains("ghcr.io/spiffe/oidc-discovery-provider:"
                + tag(single.service("spire-server").path("image").asText()));
        assertThat(spire.stage(target).text()).contains("USER 1000:1000");

        for (ComposeModel project : List.of(single, cluster)) {
            for (String node : project == single ? List.of("keycloak") : DockerComposeClusterConsistencyTest.NODES) {
                assertThat(project.service(node).path("depends_on").path(DISCOVERY).path("condition").asText())
                        .as("%s waits for the Discovery Provider's keys", node).isEqualTo("service_healthy");
            }
        }
    }

    @Test
    void everyImageIsPinnedToAnExactRelease() throws IOException {
        Set<String> images = new LinkedHashSet<>();
        for (String name : cluster.services()) {
            JsonNode service = cluster.service(name);
            if (service.has("build")) {
                images.addAll(dockerfile(service).baseImages());
            } else {
                images.add(service.path("image").asText());
            }
        }
        try (var files = Files.walk(docker)) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("Dockerfile")).toList()) {
                images.addAll(Dockerfile.read(f).baseImages());
            }
        }
        assertThat(images).contains("quay.io/keycloak/keycloak:26.7.3", "alpine:3.21.3");
        images.forEach(DockerComposeStartupTest::assertPinned);
    }

    /** The guard itself: floating tags fail it. */
    @Test
    void floatingTagsAreRefused() {
        for (String floating : List.of("alpine", "alpine:latest", "alpine:3", "alpine:3.21", "postgres:15-alpine",
                "maven:3.9-eclipse-temurin-17", "ghcr.io/spiffe/spire-server:1", "registry:5000/x:1.2")) {
            assertThat(catching(() -> assertPinned(floating))).as(floating).isNotNull();
        }
        for (String pinned : List.of("alpine:3.21.3", "postgres:15.10-alpine", "maven:3.9.9-eclipse-temurin-17",
                "curlimages/curl:8.11.1", "alpine@sha256:" + "a".repeat(64), "registry:5000/x:1.2.3")) {
            assertPinned(pinned);
        }
    }

    @Test
    void theReadmeStatesTheHostRequirements() throws IOException {
        String readme = Files.readString(docker.resolve("README.md"));
        int at = readme.indexOf("## Host requirements");
        assertThat(at).as("docker/README.md has a section \"## Host requirements\"").isNotNegative();
        int end = readme.indexOf("\n## ", at + 1);
        String section = readme.substring(at, end < 0 ? readme.length() : end);
        for (String needed : List.of("rootful docker", "linux", "pid: host", "/var/run/docker.sock", "memory", "compose v2")) {
            assertThat(section).as("the host requirements name %s", needed).containsIgnoringCase(needed);
        }
        assertThat(single.service("spire-agent").path("pid").asText()).isEqualTo("host");
        for (String name : cluster.services()) {
            for (JsonNode port : cluster.service(name).path("ports")) {
                String hostPort = port.asText().split(":")[0];
                assertThat(section).as("host port %s of %s", hostPort, name).contains("`" + hostPort + "`");
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    static void assertPinned(String image) {
        int digest = image.indexOf("@sha256:");
        if (digest > 0) {
            assertThat(image.substring(digest + 8)).as(image).matches("[0-9a-f]{64}");
            return;
        }
        String tag = tag(image);
        assertThat(tag).as("%s has a tag", image).isNotNull().isNotEqualTo("latest");
        String name = image.substring(0, image.length() - tag.length() - 1);
        String repository = name.substring(name.lastIndexOf('/') + 1);
        int parts = VERSION_PARTS.getOrDefault(repository, 3);
        assertThat(tag).as("%s: an exact release (%d version numbers)", image, parts)
                .matches("v?\\d+(\\.\\d+){" + (parts - 1) + ",}([-_].*)?");
    }

    /** The tag of {@code image} (after the last ':' of its last path segment), or null. */
    static String tag(String image) {
        String last = image.substring(image.lastIndexOf('/') + 1);
        int colon = last.lastIndexOf(':');
        return colon < 0 ? null : last.substring(colon + 1);
    }

    private static Throwable catching(Runnable r) {
        try {
            r.run();
            return null;
        } catch (AssertionError e) {
            return e;
        }
    }

    private static boolean oneShot(JsonNode service) {
        return service.path("restart").asText("no").equals("no") && !service.has("healthcheck");
    }

    /** Every service {@code name} waits for, directly or through others. */
    private static Set<String> dependencies(ComposeModel project, String name) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(name));
        while (!todo.isEmpty()) {
            project.service(todo.pop()).path("depends_on").fieldNames().forEachRemaining(d -> {
                if (seen.add(d)) {
                    todo.push(d);
                }
            });
        }
        return seen;
    }

    /** The services in an order that starts each after what it depends on; fails on a cycle. */
    private static List<String> startOrder(ComposeModel project) {
        Map<String, Integer> waiting = new HashMap<>();
        Map<String, List<String>> dependents = new HashMap<>();
        for (String name : project.services()) {
            List<String> deps = new ArrayList<>();
            project.service(name).path("depends_on").fieldNames().forEachRemaining(deps::add);
            waiting.put(name, deps.size());
            deps.forEach(d -> dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(name));
        }
        List<String> order = new ArrayList<>();
        Deque<String> ready = new ArrayDeque<>();
        waiting.forEach((n, count) -> {
            if (count == 0) {
                ready.add(n);
            }
        });
        while (!ready.isEmpty()) {
            String n = ready.pop();
            order.add(n);
            for (String d : dependents.getOrDefault(n, List.of())) {
                if (waiting.merge(d, -1, Integer::sum) == 0) {
                    ready.add(d);
                }
            }
        }
        assertThat(order).as("depends_on has no cycle").hasSameSizeAs(project.services());
        return order;
    }

    private static String shellDefault(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "=\\$\\{" + name + ":-([^}]+)}$").matcher(registerScript);
        assertThat(m.find()).as("%s=${%s:-...} in register.sh", name, name).isTrue();
        return m.group(1);
    }

    private static Dockerfile dockerfile(JsonNode service) throws IOException {
        JsonNode build = service.path("build");
        Path context = docker.resolve(build.path("context").asText(".")).normalize();
        return Dockerfile.read(context.resolve(build.path("dockerfile").asText("Dockerfile")).normalize());
    }

    private static String run(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", docker.resolve(DockerComposeConsistencyTest.REGISTER_SCRIPT).toString())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    /** A Dockerfile's stages: {@code FROM} lines with their global {@code ARG} defaults resolved. */
    record Dockerfile(String text, Map<String, Stage> stages) {

        record Stage(String base, String text) {
            /** The images of this stage's {@code COPY --from=} (a stage name is resolved to its base image). */
            List<String> copiesFrom() {
                List<String> from = new ArrayList<>();
                Matcher m = Pattern.compile("COPY\\s+--from=(\\S+)").matcher(text);
                while (m.find()) {
                    from.add(m.group(1));
                }
                return from;
            }
        }

        static Dockerfile read(Path file) throws IOException {
            String text = Files.readString(file);
            Map<String, String> args = new HashMap<>();
            Matcher a = ARG.matcher(text);
            while (a.find()) {
                args.putIfAbsent(a.group(1), a.group(2));
            }
            Map<String, Stage> stages = new LinkedHashMap<>();
            Matcher m = FROM.matcher(text);
            List<int[]> bounds = new ArrayList<>();
            List<String[]> heads = new ArrayList<>();
            while (m.find()) {
                String base = m.group(1);
                for (Map.Entry<String, String> arg : args.entrySet()) {
                    base = base.replace("${" + arg.getKey() + "}", arg.getValue());
                }
                heads.add(new String[] {base, m.group(2) == null ? "#" + heads.size() : m.group(2)});
                bounds.add(new int[] {m.start(), 0});
            }
            for (int i = 0; i < heads.size(); i++) {
                int end = i + 1 < bounds.size() ? bounds.get(i + 1)[0] : text.length();
                String stageText = text.substring(bounds.get(i)[0], end);
                stages.put(heads.get(i)[1], new Stage(heads.get(i)[0], stageText));
            }
            // COPY --from=<stage name> means that stage's image
            Map<String, Stage> resolved = new LinkedHashMap<>();
            stages.forEach((name, stage) -> {
                String body = stage.text();
                for (Map.Entry<String, Stage> other : stages.entrySet()) {
                    body = body.replace("--from=" + other.getKey() + " ", "--from=" + other.getValue().base() + " ");
                }
                resolved.put(name, new Stage(stage.base(), body));
            });
            return new Dockerfile(text, resolved);
        }

        Stage stage(String name) {
            Stage s = stages.get(name);
            assertThat(s).as("stage %s", name).isNotNull();
            return s;
        }

        /** The image a stage starts from, through other stages. */
        String stageBase(String name) {
            String base = stage(name).base();
            return stages.containsKey(base) ? stageBase(base) : base;
        }

        /** Every image the file pulls: the stages' bases that are no other stage. */
        Set<String> baseImages() {
            Set<String> images = new LinkedHashSet<>();
            stages.values().forEach(s -> {
                if (!stages.containsKey(s.base())) {
                    images.add(s.base());
                }
            });
            return images;
        }
    }
}
