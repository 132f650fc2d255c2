package dev.svidauth.bench;

import java.time.Duration;

/** Phase 6: server RSS around many SVID authentications. */
final class MemoryPhase {

    private final BenchContext ctx;

    MemoryPhase(BenchContext ctx) {
        this.ctx = ctx;
    }

    void run() throws Exception {
        Target svid = ctx.kinds().svid();
        long n = ctx.cfg.memoryAuthentications;
        ctx.report.section("Memory: server RSS around " + String.format("%,d", n) + " SVID authentications");
        Report.progress("memory: " + n + " SVID authentications at concurrency 16…");
        long before = Proc.rssKib(ctx.pid);
        long s0 = Proc.cpuNanos(ctx.pid);
        svid.prepare(n);
        LoadGenerator.Run r = ctx.gen.run(16, Duration.ofMinutes(10), n, svid);
        long s1 = Proc.cpuNanos(ctx.pid);
        long after = Proc.rssKib(ctx.pid);
        ctx.report.line("Client `" + Setup.SVID_CLIENT + "` of realm `" + Setup.REALM + "`, concurrency 16, nothing forced (no GC request).");
        ctx.report.line("");
        ctx.report.line("| RSS before | RSS after | difference | authentications | errors | req/s | server CPU µs/req |");
        ctx.report.line("|---:|---:|---:|---:|---:|---:|---:|");
        ctx.report.line(String.format("| %,d KiB | %,d KiB | %+,d KiB | %,d | %d | %.0f | %.0f |", before, after, after - before, r.ok, r.errors,
                r.throughput(), (s1 - s0) / 1e3 / Math.max(1, r.ok)));
        if (r.firstError != null) {
            ctx.report.line("");
            ctx.report.line("First error: " + r.firstError);
        }
        ctx.report.line("");
    }

}
