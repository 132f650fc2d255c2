package dev.svidauth.bench;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.KeycloakServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The benchmark: JMH micro-benchmarks, then a real Keycloak with the drop-in JAR and Keycloak's
 * native SPIFFE support, loaded with client_credentials token requests of four kinds over HTTP and
 * of {@code client-svid-x509} next to client-secret over its HTTPS listener, interleaved
 * in short rotating rounds so that every ratio compares figures taken under the same conditions.
 * Run with {@code ./mvnw -pl bench -am verify -Pbench -DskipTests} (BENCHMARKS.md).
 *
 * <p>This class starts what the server phases share ({@link BenchContext}) and runs the phases
 * asked for, one class each: {@link LoadPhase}, {@link ScalePhase}, {@link MemoryPhase},
 * {@link ProfilePhase}.
 */
public final class Bench {

    private final Config cfg;
    private final Report report;

    private Bench(Config cfg, Report report) {
        this.cfg = cfg;
        this.report = report;
    }

    public static void main(String[] args) throws Exception {
        Config cfg = Config.fromSystemProperties();
        Report report = new Report(cfg.report);
        long started = System.nanoTime();
        report.line("# svid-auth benchmark" + (cfg.quick ? " (quick mode: fewer, shorter rounds; figures are indicative only)" : ""));
        report.line("");
        report.line("| | |");
        report.line("|---|---|");
        report.line("| CPU | " + Runtime.getRuntime().availableProcessors() + " × " + Proc.cpuModel() + " |");
        report.line("| memory | " + Proc.meminfoTotal() + " |");
        String generatorJdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        if (cfg.serverJavaHome.isEmpty()) {
            report.line("| JDK (generator, Keycloak, JMH) | " + generatorJdk + " |");
        } else {
            report.line("| JDK (generator, JMH) | " + generatorJdk + " |");
            report.line("| JDK (Keycloak) | " + Proc.jdkRelease(cfg.serverJavaHome()) + " (`" + cfg.serverJavaHome() + "`) |");
        }
        report.line("| Keycloak | " + cfg.keycloakVersion + " (keycloak-quarkus-dist from Maven Central), `--features=spiffe`, "
                + (cfg.cluster ? "two nodes of one cluster: `--cache=ispn` (`jdbc-ping`) on one PostgreSQL" : "dev-file H2, `--cache=local`") + " |");
        if (!cfg.cluster) {
            report.line("| svid-auth classes (JMH) | `" + dev.svidauth.svid.JwtSvidVerifier.class.getProtectionDomain().getCodeSource().getLocation().getPath()
                    .replaceFirst(".*/([^/]+/target/)", "$1") + "` (this checkout) |");
        }
        report.line("| load average at start | " + Proc.loadAverage() + " |");
        report.flush();
        try {
            if (cfg.cluster) {
                new ClusterPhase(cfg, report).run();
            } else {
                if (cfg.phase("jmh")) {
                    Jmh.run(cfg, report);
                    report.flush();
                } else if (cfg.phase("load") || cfg.phase("fleet")) {
                    Jmh.floorOnly(cfg, report);
                    report.flush();
                }
                if (cfg.phase("load") || cfg.phase("fleet") || cfg.phase("scale") || cfg.phase("memory") || cfg.phases.contains("profile")) {
                    new Bench(cfg, report).serverPhases();
                }
            }
        } finally {
            report.targets(cfg.quick);
            report.line(String.format("Total run time %.1f min; load average at the end %s.",
                    (System.nanoTime() - started) / 60e9, Proc.loadAverage()));
            report.flush();
            Report.progress("report written to " + report.file());
        }
    }

    private void serverPhases() throws Exception {
        // x509Authority: the bundle endpoint serves the X.509 CA next to the JWT keys, as real SPIRE's does
        // the WIT-SVID kind's trust domain has an emulator of its own, so that example.org's bundle,
        // which Keycloak's native SPIFFE support reads too, stays as it was
        try (SpireEmulator s = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF).x509Authority(true).start();
             SpireEmulator w = SpireEmulator.builder().trustDomain(Setup.WIT_TRUST_DOMAIN).witSvids(true).x509Authority(true).start();
             JwksServer j = new JwksServer()) {
            // the trust domain's X.509 bundle as PEM, kept current as spiffe-helper's svid_bundle_file_name
            Path bundlePem = Files.createTempDirectory("bench-x509-bundle-").resolve("example.org-bundle.pem");
            s.keepX509BundlePemUpdated(bundlePem);
            KeycloakServer.Builder b = configure(cfg, KeycloakServer.builder())
                    .workDir(cfg.workDir)
                    .heap(heap(cfg))
                    // HTTPS next to HTTP, asking for client certificates that chain to the bundle
                    .httpsTrustStore(bundlePem)
                    .progress(line -> Report.progress("keycloak: " + line));
            try (KeycloakServer server = b.start()) {
                long pid = server.pid();
                report.section("Keycloak");
                report.line("Keycloak JVM pid " + pid + ", " + serverSettings(cfg)
                        + String.format(", ready in %.1f s.", server.startupTime().toMillis() / 1000.0)
                        + " HTTP on port " + server.httpPort() + "; HTTPS on port " + server.httpsPort()
                        + " (`--https-client-auth=request`, trust store `--https-trust-store-file` = the emulator's X.509 bundle PEM,"
                        + " throwaway EC P-256 server certificate).");
                Setup setup = new Setup(server.admin(), cfg.realmFile);
                LoadGenerator gen = new LoadGenerator(16);
                try {
                    BenchContext ctx = new BenchContext(cfg, report, s, w, j, server, pid, setup, gen);
                    String allocation = ctx.allocation.calibrate();
                    report.line("Server heap allocation per request: " + (allocation != null ? allocation + "."
                            : "not measured: the server's `/metrics` lacks `" + ServerAllocation.COUNTER + "` or the eden pool's `"
                            + ServerAllocation.POOL_USED + "`."));
                    if (cfg.phase("load")) {
                        new LoadPhase(ctx).run();
                        report.flush();
                    }
                    if (cfg.phase("fleet")) {
                        new FleetPhase(ctx).run();
                        report.flush();
                    }
                    if (cfg.phase("scale")) {
                        new ScalePhase(ctx).run();
                        report.flush();
                    }
                    if (cfg.phase("memory")) {
                        new MemoryPhase(ctx).run();
                        report.flush();
                    }
                    if (cfg.phases.contains("profile")) {
                        new ProfilePhase(ctx).run();
                    }
                } finally {
                    gen.close();
                }
            }
        }
    }

    /**
     * What every Keycloak of the benchmark gets: the zip, the drop-in JAR, Keycloak's {@code spiffe}
     * feature (for the native SPIFFE peer), INFO logging, and the JVM and {@code kc.sh start}
     * options asked for ({@code -Dbench.server.java.opts}, {@code -Dbench.server.options}).
     */
    static KeycloakServer.Builder configure(Config cfg, KeycloakServer.Builder b) {
        b.distZip(cfg.distZip)
                .providerJar(cfg.providerJar)
                .feature("spiffe")
                .option("--log-level=INFO")
                .startTimeout(Duration.ofMinutes(5));
        if (!cfg.serverJavaOpts.isEmpty()) {
            b.env("JAVA_OPTS_APPEND", cfg.serverJavaOpts);
        }
        if (!cfg.serverJavaHome.isEmpty()) {
            b.env("JAVA_HOME", cfg.serverJavaHome);
        }
        for (String o : cfg.serverOptions.isEmpty() ? new String[0] : cfg.serverOptions.split("\\s+")) {
            b.option(o);
        }
        return b;
    }

    /** Each Keycloak's heap options: {@code -Dbench.server.heap}, else the testkit's default. */
    static String heap(Config cfg) {
        return cfg.serverHeap.isEmpty() ? KeycloakServer.DEFAULT_HEAP : cfg.serverHeap;
    }

    /** The report's words for {@link #heap} and {@link #configure}'s options. */
    static String serverSettings(Config cfg) {
        return "heap `" + heap(cfg) + "`" + (cfg.serverJavaOpts.isEmpty() ? "" : ", `" + cfg.serverJavaOpts + "`")
                + (cfg.serverJavaHome.isEmpty() ? "" : ", JDK `" + cfg.serverJavaHome + "`")
                + (cfg.serverOptions.isEmpty() ? "" : ", options `" + cfg.serverOptions + "`");
    }
}
