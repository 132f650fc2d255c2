package dev.svidauth.bench;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.KeycloakCluster;
import dev.svidauth.testkit.KeycloakServer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.svidauth.bench.BenchContext.HOST;

/**
 * Cluster mode ({@code -Dbench.cluster=true}, instead of the other phases): two Keycloak nodes of
 * one cluster (testkit {@link KeycloakCluster}: {@code --cache=ispn}, JDBC-PING on one throwaway
 * PostgreSQL), (2) client-svid-jwt against (1) client-secret with every load thread sending to the
 * nodes in turn, the two kinds interleaved in rotating rounds as in {@link LoadPhase}; the ratio
 * (2)/(1) per concurrency. The nodes, the database and the load generator share the machine's
 * cores, so this compares the two methods on a cluster; it cannot show a scale-out.
 */
final class ClusterPhase {

    private final Config cfg;
    private final Report report;

    ClusterPhase(Config cfg, Report report) {
        this.cfg = cfg;
        this.report = report;
    }

    void run() throws Exception {
        Path workDir = cfg.workDir.resolveSibling(cfg.workDir.getFileName() + "-cluster");
        try (SpireEmulator spire = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF).start();
             KeycloakCluster cluster = KeycloakCluster.builder().nodes(2).workDir(workDir)
                     .heap(Bench.heap(cfg))
                     .configure((n, b) -> Bench.configure(cfg, b))
                     .progress(line -> Report.progress("cluster: " + line))
                     .start()) {
            List<KeycloakServer> nodes = cluster.nodes();
            long[] pids = nodes.stream().mapToLong(KeycloakServer::pid).toArray();
            report.section("Keycloak cluster");
            for (int n = 0; n < nodes.size(); n++) {
                report.line(String.format("- node %d: JVM pid %d, %s at %s (JGroups on 127.0.0.1:%d), ready in %.1f s.", n, pids[n],
                        Bench.serverSettings(cfg), nodes.get(n).baseUrl(), cluster.jgroupsPort(n), nodes.get(n).startupTime().toMillis() / 1000.0));
            }
            report.line("- database: PostgreSQL " + cluster.postgres().version() + " on 127.0.0.1 (the nodes' clients, events and JGroups discovery).");

            KeycloakServer first = nodes.get(0);
            Setup setup = new Setup(first.admin(), cfg.realmFile);
            setup.createSvidRealm(Setup.REALM);
            setup.createSecretClient(Setup.REALM);
            setup.createSvidClient(Setup.REALM, Setup.SVID_CLIENT, Setup.SVID_ID, spire.jwksUrl());
            int port = first.httpPort();
            Transport http = Transport.http(HOST, port);
            Target secret = Target.secret("(1) client-secret", http, Setup.REALM, Setup.SECRET_CLIENT, Setup.SECRET);
            Target svid = new Target.Svid("(2) client-svid-jwt", http, Setup.REALM, spire, Setup.SVID_ID,
                    first.realmUrl(Setup.REALM).toString());
            List<Target> kinds = List.of(secret, svid);
            for (KeycloakServer node : nodes) {
                for (Target t : kinds) {
                    BenchContext.checkOk(t, node);
                }
            }

            report.section("Token endpoint on two nodes: (2) client-svid-jwt and (1) client-secret interleaved");
            report.line("Realm `" + Setup.REALM + "` as in the load phase, with its (1) `client-secret` and (2) `client-svid-jwt` "
                    + "clients, created through node 0 (node 1 reads them from the shared database). Every load thread keeps a "
                    + "connection to each node and sends its requests to them in turn, so each node gets half of every segment's "
                    + "requests at every concurrency. Every request names node 0 as its Host, as requests through a load balancer "
                    + "with one public name would, so both nodes issue tokens for one realm issuer, which (2)'s SVID has as its audience. "
                    + "Both nodes, PostgreSQL and the load generator share the machine's "
                    + Runtime.getRuntime().availableProcessors() + " cores: the figures compare the two methods on a cluster, "
                    + "they do not measure what a second machine would add.");
            report.line("");
            long[] cpuBefore = cpuNanos(pids);
            try (LoadGenerator gen = new LoadGenerator(16, nodes.stream().mapToInt(KeycloakServer::httpPort).toArray())) {
                LoadPhase.warmUp(gen, kinds, cfg.warmupPerKind, report);
                Map<Integer, Map<Target, Cell>> cells = new LinkedHashMap<>();
                for (int c : cfg.concurrencies) {
                    Map<Target, Cell> row = new LinkedHashMap<>();
                    for (Target t : kinds) {
                        row.put(t, new Cell(t.name, c));
                    }
                    cells.put(c, row);
                    for (int round = 0; round < cfg.rounds; round++) {
                        Report.progress("cluster, concurrency " + c + ", round " + (round + 1) + "/" + cfg.rounds + "…");
                        for (int k = 0; k < kinds.size(); k++) {
                            BenchContext.measure(gen, pids, null, kinds.get((k + round) % kinds.size()), c, cfg.segmentSeconds, row);
                        }
                    }
                    LoadPhase.printConcurrency(report, cfg, c, row);
                }
                long[] cpuAfter = cpuNanos(pids);
                report.line("");
                report.line(String.format("Server CPU over the warm-up and all segments: node 0 %.1f s, node 1 %.1f s. \"Server\" in the "
                        + "tables is both nodes together.", (cpuAfter[0] - cpuBefore[0]) / 1e9, (cpuAfter[1] - cpuBefore[1]) / 1e9));
                printRatios(cells, secret, svid);
            }
        }
    }

    private void printRatios(Map<Integer, Map<Target, Cell>> cells, Target secret, Target svid) {
        report.section("Ratio on two nodes (throughput of (2) client-svid-jwt ÷ (1) client-secret, same run, interleaved)");
        report.line("| concurrency | (2)/(1) | target ≥ 0.90 | (2)/(1) per round | CPU/req (1)÷(2) |");
        report.line("|---:|---:|---|---|---:|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            Cell s = e.getValue().get(secret);
            Cell v = e.getValue().get(svid);
            double ratio = v.throughput() / s.throughput();
            List<Double> perRound = new ArrayList<>();
            for (int i = 0; i < Math.min(v.perRound.size(), s.perRound.size()); i++) {
                perRound.add(v.perRound.get(i) / s.perRound.get(i));
            }
            report.line(String.format("| %d | **%.2f** | %s | %s | %.2f |", e.getKey(), ratio, Report.verdict(ratio >= 0.90),
                    Report.list(perRound, "%.2f"), s.serverCpuPerRequestMicros() / v.serverCpuPerRequestMicros()));
            report.target("(2)/(1) ≥ 0.90 on two nodes at concurrency " + e.getKey(), String.format("%.2f", ratio), ratio >= 0.90);
        }
        report.line("");
    }

    private static long[] cpuNanos(long[] pids) {
        long[] out = new long[pids.length];
        for (int i = 0; i < pids.length; i++) {
            out[i] = Proc.cpuNanos(pids[i]);
        }
        return out;
    }
}
