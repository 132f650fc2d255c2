package dev.svidauth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Several real Keycloak servers of one cluster, from the same {@code keycloak-quarkus-dist} zip:
 * embedded Infinispan ({@code --cache=ispn}) with Keycloak's default {@code jdbc-ping} stack, so
 * the nodes find each other through the JGROUPS_PING table of their shared database, a throwaway
 * {@link LocalPostgres} cluster. JGroups listens on 127.0.0.1 on a port of each node's own; every
 * node has its own free HTTP and management ports and its own work directory
 * ({@code <workDir>/node-<n>}).
 *
 * <p>Node 0 builds the distribution ({@code kc.sh build}); the others start from a copy of its
 * build. The nodes start one after another (each start needs the CPU), and
 * {@link Builder#start()} returns once every node answers {@code /health/ready} and every node's
 * log shows an Infinispan cluster view with all of them (ISPN000094), never by waiting a fixed
 * time.
 *
 * <pre>{@code
 * try (KeycloakCluster cluster = KeycloakCluster.builder().nodes(2).workDir(dir)
 *         .configure((n, b) -> b.distZip(zip).providerJar(jar).importRealm(realm))
 *         .start()) {
 *     KeycloakServer a = cluster.node(0), b = cluster.node(1);
 * }
 * }</pre>
 */
public final class KeycloakCluster implements AutoCloseable {

    /** Heap per node unless told otherwise: two nodes must fit next to the build and the tests. */
    public static final String DEFAULT_NODE_HEAP = "-Xms96m -Xmx512m";
    /** FD_SOCK2 listens at the JGroups port plus this offset in Keycloak's stacks. */
    static final int FD_SOCK_OFFSET = 50000;
    /** {@code ISPN000094: Received new cluster view for channel ISPN: [node-a-123|1] (2) [node-a-123, node-b-456]} */
    static final Pattern CLUSTER_VIEW = Pattern.compile("ISPN000094: Received new cluster view for channel \\S+: \\[[^\\]]*\\] \\((\\d+)\\)");

    private final Builder settings;
    private final List<KeycloakServer> nodes;
    private final LocalPostgres postgres;
    private final List<Integer> jgroupsPorts;

    private KeycloakCluster(Builder settings, List<KeycloakServer> nodes, LocalPostgres postgres, List<Integer> jgroupsPorts) {
        this.settings = settings;
        this.nodes = new CopyOnWriteArrayList<>(nodes);
        this.postgres = postgres;
        this.jgroupsPorts = new CopyOnWriteArrayList<>(jgroupsPorts);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Why a cluster cannot run on this machine (no PostgreSQL server binaries for its shared
     * database), or empty when it can.
     */
    public static Optional<String> unavailableReason() {
        if (LocalPostgres.findBinaries().isEmpty()) {
            return Optional.of("no PostgreSQL server binaries under /usr/lib/postgresql (Debian: apt-get install postgresql):"
                    + " a Keycloak cluster needs the shared database its JDBC-PING discovery runs on");
        }
        return Optional.empty();
    }

    /** Node {@code i} (0-based), running or stopped; after {@link #restart(int)}, the restarted one. */
    public KeycloakServer node(int i) {
        return nodes.get(i);
    }

    public List<KeycloakServer> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** The JGroups (transport) port of node {@code i} on 127.0.0.1. */
    public int jgroupsPort(int i) {
        return jgroupsPorts.get(i);
    }

    public LocalPostgres postgres() {
        return postgres;
    }

    /** The member count of the newest cluster view in {@code node}'s log of this start; 0 before the first. */
    public static int clusterViewSize(KeycloakServer node) {
        return lastViewSize(node.logText());
    }

    static int lastViewSize(String log) {
        Matcher m = CLUSTER_VIEW.matcher(log);
        int size = 0;
        while (m.find()) {
            size = Integer.parseInt(m.group(1));
        }
        return size;
    }

    /**
     * Polls the logs of the running nodes until each shows a cluster view of {@code members}
     * members; fails with the views seen when that does not happen within {@code timeout}.
     */
    public void awaitView(int members, Duration timeout) {
        awaitView(nodes.stream().filter(KeycloakServer::isRunning).toList(), members, timeout);
    }

    static void awaitView(List<KeycloakServer> running, int members, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Integer> views = running.stream().map(KeycloakCluster::clusterViewSize).toList();
            if (views.stream().allMatch(v -> v == members)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the nodes' newest cluster views have " + views + " members, not " + members
                        + " each, after " + timeout.toSeconds() + " s");
            }
            try {
                TimeUnit.MILLISECONDS.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the cluster view", e);
            }
        }
    }

    /**
     * Starts node {@code i} again after it was stopped or killed: its own work directory and
     * build, the configuration the cluster started it with, a new JGroups port. First waits until
     * the running nodes' newest views no longer count it (after a kill that takes Infinispan's
     * failure detection; before it, their old view would pass for the new one), then returns once
     * every running node's newest view has all of them, the restarted node included.
     *
     * @throws IllegalStateException when node {@code i} is running, or a view does not come within
     *                               the builder's view timeout
     */
    public KeycloakServer restart(int i) {
        if (nodes.get(i).isRunning()) {
            throw new IllegalStateException("node " + i + " is running");
        }
        List<KeycloakServer> others = nodes.stream().filter(KeycloakServer::isRunning).toList();
        awaitView(others, others.size(), settings.viewTimeout);
        int jgroupsPort = FreePorts.pickLow(FD_SOCK_OFFSET);
        KeycloakServer node = settings.startNode(i, postgres, jgroupsPort);
        nodes.set(i, node);
        jgroupsPorts.set(i, jgroupsPort);
        awaitView(nodes.stream().filter(KeycloakServer::isRunning).toList(), others.size() + 1, settings.viewTimeout);
        return node;
    }

    /** Stops every node (SIGTERM, last first), then the database. */
    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
        postgres.close();
    }

    /**
     * Gives node n the distribution node 0 unpacked and built, unless node n's own build is
     * already the same: one {@code kc.sh build} for the cluster instead of one per node. Copies
     * everything but node 0's {@code data/}; the node's own start still checks the fingerprint
     * (distribution, build options, provider JARs) and builds again if anything differs.
     */
    static void reuseBuild(Path builtHome, Path home) {
        Path builtPrint = builtHome.resolve(ServerLaunch.FINGERPRINT_FILE);
        Path print = home.resolve(ServerLaunch.FINGERPRINT_FILE);
        try {
            if (!Files.isRegularFile(builtPrint)
                    || Files.isRegularFile(print) && Files.readString(print).equals(Files.readString(builtPrint))) {
                return;
            }
            DistArchive.deleteRecursively(home);
            Path data = builtHome.resolve("data");
            try (Stream<Path> all = Files.walk(builtHome)) {
                for (Path source : (Iterable<Path>) all::iterator) {
                    if (source.startsWith(data) && !source.equals(data)) {
                        continue;
                    }
                    Path target = home.resolve(builtHome.relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the built distribution " + builtHome + " to " + home, e);
        }
    }

    /** Configures and starts a {@link KeycloakCluster}. */
    public static final class Builder {

        private int count = 2;
        private Path workDir;
        private String heap = DEFAULT_NODE_HEAP;
        private Duration viewTimeout = Duration.ofSeconds(60);
        private BiConsumer<Integer, KeycloakServer.Builder> configure = (n, b) -> { };
        private Consumer<String> progress = line -> System.out.println("[cluster] " + line);

        private Builder() {
        }

        /** Number of nodes, 2 by default. */
        public Builder nodes(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("nodes: " + n);
            }
            this.count = n;
            return this;
        }

        /** Parent of the nodes' work directories {@code node-0}, {@code node-1}, … */
        public Builder workDir(Path dir) {
            this.workDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** Heap options of each node; default {@value #DEFAULT_NODE_HEAP}. */
        public Builder heap(String heapOptions) {
            this.heap = Objects.requireNonNull(heapOptions, "heapOptions");
            return this;
        }

        /** How long to wait, once all nodes are ready, for every node to see all of them; default 60 s. */
        public Builder viewTimeout(Duration timeout) {
            this.viewTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Configures node {@code n}'s server builder (distribution, provider JAR, realm, options, …);
         * the cluster then sets its work directory, database, cache and JGroups options.
         */
        public Builder configure(BiConsumer<Integer, KeycloakServer.Builder> configure) {
            this.configure = Objects.requireNonNull(configure, "configure");
            return this;
        }

        public Builder progress(Consumer<String> consumer) {
            this.progress = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        public KeycloakCluster start() {
            if (workDir == null) {
                throw new IllegalStateException("workDir(...) is required");
            }
            unavailableReason().ifPresent(why -> {
                throw new IllegalStateException(why);
            });
            LocalPostgres postgres = LocalPostgres.start();
            progress.accept("database: PostgreSQL " + postgres.version() + " at " + postgres.jdbcUrl());
            List<KeycloakServer> nodes = new ArrayList<>();
            List<Integer> ports = new ArrayList<>();
            try {
                for (int n = 0; n < count; n++) {
                    int jgroupsPort = FreePorts.pickLow(FD_SOCK_OFFSET);
                    ports.add(jgroupsPort);
                    if (n > 0) {
                        reuseBuild(workDir.resolve("node-0").resolve(ServerLaunch.HOME_DIR),
                                workDir.resolve("node-" + n).resolve(ServerLaunch.HOME_DIR));
                    }
                    nodes.add(startNode(n, postgres, jgroupsPort));
                }
                long started = System.nanoTime();
                awaitView(nodes, count, viewTimeout);
                progress.accept(String.format("cluster view of %d members on every node (%.1f s after the last node was ready)",
                        count, (System.nanoTime() - started) / 1e9));
                return new KeycloakCluster(this, nodes, postgres, ports);
            } catch (RuntimeException e) {
                for (int i = nodes.size() - 1; i >= 0; i--) {
                    nodes.get(i).close();
                }
                postgres.close();
                throw e;
            }
        }

        /** Starts node {@code n} in {@code <workDir>/node-<n>}: the caller's configuration, then the cluster's options. */
        private KeycloakServer startNode(int n, LocalPostgres postgres, int jgroupsPort) {
            KeycloakServer.Builder b = KeycloakServer.builder();
            configure.accept(n, b);
            b.workDir(workDir.resolve("node-" + n))
                    .database("postgres", postgres.jdbcUrl(), LocalPostgres.USER, LocalPostgres.PASSWORD)
                    .cache("ispn")
                    .option("--cache-stack=jdbc-ping")
                    .option("--cache-embedded-network-bind-address=127.0.0.1")
                    .option("--cache-embedded-network-bind-port=" + jgroupsPort)
                    .heap(heap)
                    .progress(line -> progress.accept("node " + n + ": " + line));
            progress.accept("node " + n + ": JGroups on 127.0.0.1:" + jgroupsPort);
            return b.start();
        }
    }
}
