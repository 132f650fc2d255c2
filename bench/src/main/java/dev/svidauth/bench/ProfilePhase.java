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
     * {@code -Dbench.phases=profile}: first a warm-up of every kind, interleaved, in passes of
     * {@code bench.profile.warmup} requests per kind (default 5,000; two passes, so that each
     * kind's code is compiled again after the others ran), then each kind of
     * {@code bench.profile.kinds} (default all: secret, secret-padded, svid, svid-fresh, wit, jwt, native,
     * secret-https, x509) alone at each concurrency of {@code bench.profile.concurrency} (default
     * 4; a comma-separated list) for {@code bench.profile.seconds} (default 20) under a JFR
     * recording of the server ({@code jcmd JFR.start/stop}; settings {@code bench.profile.settings},
     * default {@code profile}, or the path of a .jfc file), written to
     * {@code <work dir>/profile-<kind>-c<concurrency>.jfr}. Only the asked kinds are warmed up.
     * Not part of the report.
     */
    void run() throws Exception {
        BenchContext.Kinds k = ctx.kinds();
        double seconds = Double.parseDouble(System.getProperty("bench.profile.seconds", "20"));
        int warmup = Integer.parseInt(System.getProperty("bench.profile.warmup", "5000"));
        Map<String, Target> byName = new LinkedHashMap<>();
        byName.put("secret", k.secret());
        byName.put("secret-padded", k.paddedSecret());
        byName.put("svid", k.svid());
        byName.put("svid-fresh", k.freshSvid());
        byName.put("wit", k.wit());
        byName.put("jwt", k.clientJwt());
        byName.put("native", k.nativeSpiffe());
        byName.put("secret-https", k.secretHttps());
        byName.put("x509", k.x509());
        String asked = System.getProperty("bench.profile.kinds", "").trim();
        List<String> names = asked.isEmpty() ? List.copyOf(byName.keySet()) : List.of(asked.split("\\s*,\\s*"));
        for (String name : names) {
            if (!byName.containsKey(name)) {
                throw new IllegalArgumentException("bench.profile.kinds: unknown kind " + name + "; known: " + byName.keySet());
            }
        }
        List<Integer> concurrencies = new java.util.ArrayList<>();
        for (String c : System.getProperty("bench.profile.concurrency", "4").trim().split("\\s*,\\s*")) {
            concurrencies.add(Integer.parseInt(c));
        }
        for (int pass = 0; pass < 2; pass++) {
            for (String name : names) {
                Target t = byName.get(name);
                t.prepare(warmup);
                ctx.gen.run(4, Duration.ofMinutes(2), warmup, t);
            }
        }
        String jcmd = ctx.cfg.serverJavaHome().resolve("bin/jcmd").toString();
        for (int concurrency : concurrencies) {
            for (String name : names) {
                Target t = byName.get(name);
                String recording = name + "-c" + concurrency;
                java.nio.file.Path file = ctx.cfg.workDir.resolve("profile-" + recording + ".jfr").toAbsolutePath();
                exec(jcmd, Long.toString(ctx.pid), "JFR.start", "name=" + recording, "settings=" + System.getProperty("bench.profile.settings", "profile"), "filename=" + file);
                Map<Target, Cell> row = new LinkedHashMap<>();
                row.put(t, new Cell(t.name, concurrency));
                LoadGenerator.Run r = ctx.measure(t, concurrency, seconds, row);
                exec(jcmd, Long.toString(ctx.pid), "JFR.stop", "name=" + recording);
                Report.progress(String.format("profile %s at %d: %d requests, %.0f req/s, %.0f µs server CPU/req -> %s", t.name,
                        concurrency, r.ok, r.throughput(), row.get(t).serverCpuPerRequestMicros(), file));
            }
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
