package dev.svidauth.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Development aid, not part of the report: each kind alone under a JFR recording of the server. */
final class ProfilePhase {

    private final BenchContext ctx;

    ProfilePhase(BenchContext ctx) {
        this.ctx = ctx;
    }

    /**
     * {@code -Dbench.phases=profile}: each kind alone at concurrency 4 for {@code bench.profile.seconds}
     * (default 20) under a JFR recording of the server ({@code jcmd JFR.start/stop}), written to
     * {@code <work dir>/profile-<kind>.jfr}. Not part of the ctx.report.
     */
    void run() throws Exception {
        BenchContext.Kinds k4 = ctx.kinds();
        double seconds = Double.parseDouble(System.getProperty("bench.profile.seconds", "20"));
        List<Target> kinds = List.of(k4.secret(), k4.svid(), k4.clientJwt(), k4.nativeSpiffe(), k4.secretHttps(), k4.x509());
        for (Target t : kinds) {
            t.prepare(2000);
            ctx.gen.run(4, Duration.ofMinutes(2), 2000, t);
        }
        String jcmd = System.getProperty("java.home") + "/bin/jcmd";
        String[] names = {"secret", "svid", "jwt", "native", "secret-https", "x509"};
        for (int i = 0; i < kinds.size(); i++) {
            Target t = kinds.get(i);
            java.nio.file.Path file = ctx.cfg.workDir.resolve("profile-" + names[i] + ".jfr").toAbsolutePath();
            exec(jcmd, Long.toString(ctx.pid), "JFR.start", "name=p" + i, "settings=profile", "filename=" + file);
            Map<Target, Cell> row = new LinkedHashMap<>();
            row.put(t, new Cell(t.name, 4));
            LoadGenerator.Run r = ctx.measure(t, 4, seconds, row);
            exec(jcmd, Long.toString(ctx.pid), "JFR.stop", "name=p" + i);
            Report.progress(String.format("profile %s: %d requests, %.0f req/s, %.0f µs server CPU/req -> %s", t.name, r.ok,
                    r.throughput(), row.get(t).serverCpuPerRequestMicros(), file));
        }
    }

    private static void exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }

}
