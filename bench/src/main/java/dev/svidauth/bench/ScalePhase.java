package dev.svidauth.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Phase 3: client-svid-jwt in realms of growing numbers of SVID clients, measured interleaved. */
final class ScalePhase {

    private final BenchContext ctx;

    ScalePhase(BenchContext ctx) {
        this.ctx = ctx;
    }

    void run() throws Exception {
        StringBuilder sizes = new StringBuilder();
        for (int i = 0; i < ctx.cfg.scaleSizes.length; i++) {
            sizes.append(i == 0 ? "" : i == ctx.cfg.scaleSizes.length - 1 ? " and " : ", ").append(String.format("%,d", ctx.cfg.scaleSizes[i]));
        }
        ctx.report.section("Scale: client-svid-jwt in realms of " + sizes + " SVID clients");
        ctx.report.line("Each realm `scale-<n>` has the realm-export's flow and n `client-svid-jwt` clients created by partial import: "
                + "the measured one (exact svid.spiffe.id, in the middle) and decoys of which half carry an exact svid.spiffe.id, "
                + "a quarter use their SPIFFE ID as clientId and a quarter accept a `/*` prefix of their own namespace (decoys carry "
                + "no client scopes, which keeps creating them short). "
                + "Same SVID shape and key source as (2); the realms are measured interleaved.");
        ctx.report.line("");
        List<Target> realms = new ArrayList<>();
        ctx.report.line("| realm | clients | created in |");
        ctx.report.line("|---|---:|---:|");
        for (int size : ctx.cfg.scaleSizes) {
            String realm = "scale-" + size;
            Report.progress("creating realm " + realm + " with " + size + " SVID clients…");
            ctx.setup.createSvidRealm(realm);
            double secs = ctx.setup.createScaleClients(realm, size, ctx.spire.jwksUrl());
            ctx.report.line(String.format("| %s | %,d | %.1f s |", realm, size, secs));
            Target t = new Target.Svid(String.format("%,d clients", size), ctx.http, realm, ctx.spire, ScaleMix.MEASURED_ID,
                    ctx.kc.realmUrl(realm).toString());
            ctx.checkOk(t);
            realms.add(t);
        }
        ctx.report.line("");
        Report.progress("scale warm-up…");
        for (Target t : realms) {
            t.prepare(ctx.cfg.scaleWarmupPerRealm);
            ctx.gen.run(8, Duration.ofMinutes(2), ctx.cfg.scaleWarmupPerRealm, t);
        }
        Map<Integer, Map<Target, Cell>> cells = ctx.interleave(realms, ctx.cfg.scaleRounds, ctx.cfg.scaleSegmentSeconds, "scale: ",
                BenchContext.SegmentObserver.NONE);
        ctx.report.line("| concurrency | realm | req/s | p50 ms | p99 ms | server CPU µs/req | other processes, cores | errors | ÷ 10 clients | per round ÷ 10 clients |");
        ctx.report.line("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            Cell base = e.getValue().get(realms.get(0));
            for (Cell cell : e.getValue().values()) {
                double ratio = cell.throughput() / base.throughput();
                List<Double> perRound = cell.perRoundRatios(base);
                ctx.report.line(String.format("| %d | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %d | **%.2f** | %s |", e.getKey(), cell.name,
                        cell.throughput(), cell.latencyMs(0.5), cell.latencyMs(0.99), cell.serverCpuPerRequestMicros(),
                        cell.otherCores(), cell.errors, ratio, Report.list(perRound, "%.2f")));
                if (cell.firstError != null) {
                    ctx.report.line("|  | first error: " + cell.firstError.replace('|', '/').replace('\n', ' ') + " |||||||||");
                }
            }
            Cell big = e.getValue().get(realms.get(realms.size() - 1));
            double r = big.throughput() / base.throughput();
            ctx.report.target(big.name + " ≥ 0.95 × " + base.name + " at concurrency " + e.getKey(), String.format("%.2f", r), r >= 0.95);
        }
        ctx.report.line("");
    }

}
