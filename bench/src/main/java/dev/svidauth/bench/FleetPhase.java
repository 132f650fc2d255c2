package dev.svidauth.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The realistic case: a fleet of workloads, every request from another one. Realm {@code fleet}
 * has the realm-export's flow, {@value #WORKLOADS} client-secret clients and {@value #WORKLOADS}
 * SVID workloads: half with an exact {@code svid.spiffe.id} client each, half under
 * {@value #PATTERN_CLIENTS} {@code /*} pattern clients. Four kinds, interleaved as the load phase's:
 * (F1) the client-secret fleet, request i from client i mod 1,000; (F2) the SVID fleet, request i
 * from workload i mod 1,000 with an SVID never presented before; (F3) the SVID fleet reusing each
 * workload's SVID (signature cache, 10,000 by default, ten times the fleet); (F4) a fleet of
 * {@value #BIG_FLEET} workloads under the pattern clients, ten times the default signature cache,
 * reusing their SVIDs in turn, so that every presentation finds its SVID evicted.
 */
final class FleetPhase {

    static final String REALM = "fleet";
    static final int WORKLOADS = 1_000;
    static final int PATTERN_CLIENTS = 10;
    static final int BIG_FLEET = 100_000;
    private static final String SECRET = "fleet-secret-value-0123456789";

    private final BenchContext ctx;

    FleetPhase(BenchContext ctx) {
        this.ctx = ctx;
    }

    /** Workload {@code i}'s SPIFFE ID: even ones have a client of their own, odd ones fall under pattern client i mod 10. */
    static String workload(int i) {
        return i % 2 == 0 ? String.format("spiffe://example.org/fleet/x/w-%04d", i)
                : String.format("spiffe://example.org/fleet/p-%02d/w-%04d", i % PATTERN_CLIENTS, i);
    }

    /** Workload {@code i} of the big fleet, under pattern client i mod 10. */
    static String bigFleetWorkload(int i) {
        return String.format("spiffe://example.org/fleet/p-%02d/big-%06d", i % PATTERN_CLIENTS, i);
    }

    void run() throws Exception {
        int workloads = ctx.cfg.quick ? 200 : WORKLOADS;
        int bigFleet = ctx.cfg.quick ? 20_000 : BIG_FLEET;
        ctx.report.section("Fleet: " + String.format("%,d", workloads) + " workloads, each request from another one");
        URI keys = ctx.spire.jwksUrl();
        List<ObjectNode> clients = new ArrayList<>();
        List<String> secretIds = new ArrayList<>();
        List<String> spiffeIds = new ArrayList<>();
        for (int i = 0; i < workloads; i++) {
            String id = String.format("fleet-s-%04d", i);
            secretIds.add(id);
            clients.add(Setup.secretClient(id, SECRET));
            spiffeIds.add(workload(i));
            if (i % 2 == 0) {
                clients.add(Setup.svidClient(String.format("fleet-x-%04d", i), workload(i), keys));
            }
        }
        for (int p = 0; p < PATTERN_CLIENTS; p++) {
            clients.add(Setup.svidClient(String.format("fleet-p-%02d", p), String.format("spiffe://example.org/fleet/p-%02d/*", p), keys));
        }
        List<String> big = new ArrayList<>(bigFleet);
        for (int i = 0; i < bigFleet; i++) {
            big.add(bigFleetWorkload(i));
        }
        Report.progress("fleet: creating realm " + REALM + " with " + clients.size() + " clients…");
        ctx.setup.createSvidRealm(REALM);
        double created = ctx.setup.createClients(REALM, clients);
        String audience = ctx.kc.realmUrl(REALM).toString();
        Target secretFleet = new Target.SecretFleet("(F1) client-secret fleet", ctx.http, REALM, secretIds, SECRET);
        Target fresh = new Target.FreshSvid("(F2) SVID fleet, new SVID every request", ctx.http, REALM, ctx.spire, spiffeIds, audience);
        Target.ReusedSvids reused = new Target.ReusedSvids("(F3) SVID fleet, SVIDs reused", ctx.http, REALM, ctx.spire, spiffeIds, audience);
        Target.ReusedSvids reusedBig = new Target.ReusedSvids(String.format("(F4) %,d workloads, SVIDs reused", bigFleet), ctx.http,
                REALM, ctx.spire, big, audience);
        List<Target> kinds = List.of(secretFleet, fresh, reused, reusedBig);
        Report.progress("fleet: signing " + String.format("%,d", workloads + bigFleet) + " reused SVIDs…");
        for (Target t : kinds) {
            t.prepare(1);
            ctx.checkOk(t);
        }
        ctx.report.line(String.format("Realm `%s` (the realm-export's client authentication flow) holds %,d client-secret clients "
                + "and the SVID clients of %,d workloads: %,d with an exact svid.spiffe.id client each, %,d under %d `/*` pattern "
                + "clients (%d clients in all, created in %.1f s through the clients endpoint). (F1) sends request i as client-secret "
                + "client i mod %,d; (F2) as workload i mod %,d with an SVID signed for that request (pre-signed pool: never one "
                + "the server verified before); (F3) as workload i mod %,d with that workload's one SVID, reused until it is 150 s "
                + "old (the server's signature cache, %s entries by default, holds the whole fleet); (F4) as workload i mod %,d of "
                + "a fleet under the pattern clients, ten times the default signature cache, each workload reusing its SVID, so "
                + "that in this round-robin order every SVID has been evicted before it comes again. Same key source as (2).",
                REALM, workloads, workloads, (workloads + 1) / 2, workloads / 2, PATTERN_CLIENTS, clients.size(), created,
                workloads, workloads, workloads, "10,000", bigFleet));
        ctx.report.line("");

        LoadPhase.warmUp(ctx.gen, kinds, ctx.cfg.quick ? 500 : 2_000, ctx.report);
        Map<Integer, Map<Target, Cell>> cells = ctx.interleave(kinds, ctx.cfg.rounds, ctx.cfg.segmentSeconds, "fleet: ",
                BenchContext.SegmentObserver.NONE);
        cells.forEach((c, row) -> LoadPhase.printConcurrency(ctx.report, ctx.cfg, c, row));
        ctx.report.line("");
        ctx.report.line("**Fleet ratios** (throughput ÷ (F1) client-secret fleet; \"CPU/req (F1)÷\" above 1 means the SVID kind costs "
                + "the server less per request):");
        ctx.report.line("");
        ctx.report.line("| concurrency | (F2)/(F1) | target ≥ 0.90 | (F2)/(F1) per round | CPU/req (F1)÷(F2) | (F3)/(F1) | CPU/req (F1)÷(F3) | (F4)/(F1) | CPU/req (F1)÷(F4) |");
        ctx.report.line("|---:|---:|---|---|---:|---:|---:|---:|---:|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            Cell s = e.getValue().get(secretFleet);
            Cell f = e.getValue().get(fresh);
            Cell r = e.getValue().get(reused);
            Cell b = e.getValue().get(reusedBig);
            double ratio = f.throughput() / s.throughput();
            ctx.report.line(String.format("| %d | **%.2f** | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |", e.getKey(), ratio,
                    Report.verdict(ratio >= 0.90), Report.list(f.perRoundRatios(s), "%.2f"),
                    s.serverCpuPerRequestMicros() / f.serverCpuPerRequestMicros(),
                    r.throughput() / s.throughput(), s.serverCpuPerRequestMicros() / r.serverCpuPerRequestMicros(),
                    b.throughput() / s.throughput(), s.serverCpuPerRequestMicros() / b.serverCpuPerRequestMicros()));
            ctx.report.target("fleet: (F2) SVID fleet ÷ (F1) client-secret fleet ≥ 0.90 at concurrency " + e.getKey(),
                    String.format("%.2f", ratio), ratio >= 0.90);
        }
        ctx.report.line("");
    }
}
