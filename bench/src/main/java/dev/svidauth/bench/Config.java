package dev.svidauth.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

import static dev.svidauth.testkit.SystemProperties.required;

/** Run settings: system properties set by the bench profile, and the full or quick sizes. */
final class Config {

    final boolean quick;
    final Set<String> phases;
    final Path distZip;
    final Path providerJar;
    final Path realmFile;
    final Path workDir;
    final Path report;
    final String serverJavaOpts;
    /** {@code -Dbench.server.heap}: the Keycloak heap options; empty for the testkit's default. */
    final String serverHeap;
    /** {@code -Dbench.server.java.home}: the JDK Keycloak runs on; empty for the generator's own. */
    final String serverJavaHome;
    /** {@code -Dbench.server.options}: extra {@code kc.sh start} options, whitespace separated; empty for none. */
    final String serverOptions;
    final String keycloakVersion;
    /** {@code -Dbench.cluster=true}: two Keycloak nodes of one cluster instead of the phases (ClusterPhase). */
    final boolean cluster;

    final int[] concurrencies = {1, 4, 16};
    /** Interleaved rounds per concurrency (each round runs every kind once, in rotated order). */
    final int rounds;
    final double segmentSeconds;
    final int warmupPerKind;
    final int[] scaleSizes;
    final int scaleRounds;
    final double scaleSegmentSeconds;
    final int scaleWarmupPerRealm;
    final long memoryAuthentications;

    final int jmhVerifyRounds;
    final int jmhWarmupIterations;
    final int jmhMeasurementIterations;
    final int jmhIterationMillis;

    private Config(boolean quick) {
        this.quick = quick;
        String p = System.getProperty("bench.phases", "all");
        this.phases = new LinkedHashSet<>(Arrays.asList(p.split("\\s*,\\s*")));
        this.distZip = Path.of(required("bench.dist.zip"));
        this.providerJar = Path.of(required("bench.provider.jar"));
        this.realmFile = Path.of(required("bench.realm.file"));
        this.workDir = Path.of(required("bench.work.dir"));
        this.report = Path.of(required("bench.report"));
        this.serverJavaOpts = System.getProperty("bench.server.java.opts", "").trim();
        this.serverHeap = System.getProperty("bench.server.heap", "").trim();
        this.serverOptions = System.getProperty("bench.server.options", "").trim();
        this.serverJavaHome = System.getProperty("bench.server.java.home", "").trim();
        this.keycloakVersion = System.getProperty("bench.keycloak.version", "?");
        this.cluster = Boolean.parseBoolean(System.getProperty("bench.cluster", "false"));
        if (quick) {
            scaleSizes = new int[] {10, 1_000};
            rounds = 2;
            segmentSeconds = 1;
            warmupPerKind = 750;
            scaleRounds = 2;
            scaleSegmentSeconds = 1;
            scaleWarmupPerRealm = 300;
            memoryAuthentications = 5_000;
            jmhVerifyRounds = 1;
            jmhWarmupIterations = 1;
            jmhMeasurementIterations = 2;
            jmhIterationMillis = 300;
        } else {
            scaleSizes = new int[] {10, 1_000, 10_000};
            // 5 × 3 s per kind and concurrency: enough requests that the CPU-per-request ratios, whose
            // targets are 3 % apart, move less between runs than the targets' margins
            rounds = 5;
            segmentSeconds = 3;
            warmupPerKind = 5_000;
            scaleRounds = 5;
            scaleSegmentSeconds = 3;
            scaleWarmupPerRealm = 1_000;
            memoryAuthentications = 100_000;
            jmhVerifyRounds = 2;
            jmhWarmupIterations = 2;
            jmhMeasurementIterations = 2;
            jmhIterationMillis = 1000;
        }
    }

    static Config fromSystemProperties() {
        return new Config(Boolean.parseBoolean(System.getProperty("bench.quick", "false")));
    }

    boolean phase(String name) {
        return phases.contains("all") || phases.contains(name);
    }

    /** The JDK Keycloak runs on: {@code -Dbench.server.java.home}, else the generator's. */
    Path serverJavaHome() {
        return Path.of(serverJavaHome.isEmpty() ? System.getProperty("java.home") : serverJavaHome);
    }
}
