package dev.svidauth.bench;

import dev.svidauth.bench.jmh.HostileKeySetBenchmark;
import dev.svidauth.bench.jmh.IndexLookupBenchmark;
import dev.svidauth.bench.jmh.VerifyBenchmark;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs the JMH micro-benchmarks (before Keycloak starts, so they do not compete with it) and reports them. */
final class Jmh {

    private Jmh() {
    }

    /** The bare ES256 verification (Keycloak's BouncyCastle) of this run's JMH phase, µs; NaN when it did not run. */
    static volatile double bareEs256Micros = Double.NaN;
    /** JMH's GC profiler: bytes allocated per benchmark operation. */
    private static final String ALLOCATED = "gc.alloc.rate.norm";

    static void run(Config cfg, Report report) throws RunnerException {
        report.section("Micro-benchmarks (JMH " + org.openjdk.jmh.util.Version.getPlainVersion() + ")");
        report.line("Forked JVM per benchmark, " + cfg.jmhWarmupIterations + " warm-up and " + cfg.jmhMeasurementIterations
                + " measured iterations of " + cfg.jmhIterationMillis + " ms; average time per operation (medians of the rounds).");
        report.line("");

        // -------- client resolution
        Report.progress("JMH: client resolution by SPIFFE ID (10 / 1,000 / 10,000 clients)…");
        Options indexOptions = cfg.quick
                ? new OptionsBuilder().parent(options(cfg, IndexLookupBenchmark.class.getName() + "\\.")).param("clients", "10", "10000").build()
                : options(cfg, IndexLookupBenchmark.class.getName() + "\\.");
        Collection<RunResult> index = new Runner(indexOptions).run();
        Map<String, Map<String, RunResult>> bySize = new LinkedHashMap<>();
        for (RunResult r : index) {
            String size = r.getParams().getParam("clients");
            bySize.computeIfAbsent(size, k -> new LinkedHashMap<>()).put(method(r), r);
        }
        report.line("**Client resolution** (`SpiffeIdIndex.lookup`, the structure behind `SvidClientIndex`), ns/lookup:");
        report.line("");
        report.line("| clients in realm | exact hit | prefix (`/*`) hit | miss | linear scan instead (exact) |");
        report.line("|---:|---:|---:|---:|---:|");
        for (String size : List.of("10", "1000", "10000")) {
            Map<String, RunResult> m = bySize.getOrDefault(size, Map.of());
            report.line("| " + String.format("%,d", Integer.parseInt(size)) + " | " + score(m.get("exactHit")) + " | "
                    + score(m.get("prefixHit")) + " | " + score(m.get("miss")) + " | " + score(m.get("linearScanExactHit")) + " |");
        }
        double e10 = value(bySize, "10", "exactHit");
        double e10k = value(bySize, "10000", "exactHit");
        report.line("");
        report.line(String.format("Exact-hit lookup at 10,000 clients / at 10 clients: **%.2f×**.", e10k / e10));
        report.line("");

        // -------- verification core vs bare JCA, interleaved rounds
        List<Map<String, Double>> rounds = new ArrayList<>();
        Map<String, Double> errors = new LinkedHashMap<>();
        for (int round = 1; round <= cfg.jmhVerifyRounds; round++) {
            Report.progress("JMH: verification core vs bare JCA signature check, round " + round + "/" + cfg.jmhVerifyRounds + "…");
            Map<String, Double> scores = new LinkedHashMap<>();
            Options verifyOptions = cfg.quick
                    ? new OptionsBuilder().parent(options(cfg, VerifyBenchmark.class.getName() + "\\.")).param("config", "ES256", "RS256").build()
                    : options(cfg, VerifyBenchmark.class.getName() + "\\.");
            verifyOptions = new OptionsBuilder().parent(verifyOptions).addProfiler(GCProfiler.class).build();
            for (RunResult r : new Runner(verifyOptions).run()) {
                String key = r.getParams().getParam("config") + " " + method(r);
                scores.put(key, r.getPrimaryResult().getScore());
                errors.merge(key, r.getPrimaryResult().getScoreError(), Math::max);
                if (r.getSecondaryResults().containsKey(ALLOCATED)) {
                    scores.put(key + " bytes", r.getSecondaryResults().get(ALLOCATED).getScore());
                }
                if (r.getSecondaryResults().containsKey("coreNanos")) {
                    scores.put(key + " ratio", r.getSecondaryResults().get("coreNanos").getScore()
                            / r.getSecondaryResults().get("bareNanos").getScore());
                }
            }
            rounds.add(scores);
        }
        report.line("**Verification core** (`ParsedJwtSvid.parse` + `JwtSvidVerifier.verify`, key cached) vs **bare JCA** "
                + "(`java.security.Signature` over header.payload with the same provider, signature decoded and `Signature` "
                + "created outside the loop; ECDSA in the JOSE r‖s form, so no DER conversion), µs/token, "
                + cfg.jmhVerifyRounds + " round(s). `ES256` is the deployed configuration: inside Keycloak, client-svid-jwt checks "
                + "ECDSA with Keycloak's BouncyCastle provider; `ES256-SunEC` uses the JDK's provider. The ratio comes from the "
                + "`paired` benchmark, which alternates core and bare on one thread (same conditions); the separate "
                + "averages are shown for scale and are noisier on a busy machine. KB/token: bytes allocated per operation "
                + "(JMH's GC profiler, `gc.alloc.rate.norm`), the garbage whose collection the server's CPU figures pay "
                + "and the µs columns do not.");
        report.line("");
        report.line("| config | core µs | bare JCA µs | core / bare, paired (median of rounds) | per round | target ≤ 1.30 | core, SVID seen before µs | core KB/token | bare JCA KB/token |");
        report.line("|---|---:|---:|---:|---|---|---:|---:|---:|");
        for (String config : cfg.quick ? List.of("ES256", "RS256") : List.of("ES256", "ES256-SunEC", "RS256")) {
            List<Double> ratios = new ArrayList<>();
            List<Double> core = new ArrayList<>();
            List<Double> bare = new ArrayList<>();
            for (Map<String, Double> s : rounds) {
                Double c = s.get(config + " core");
                Double b = s.get(config + " bareJca");
                Double p = s.get(config + " paired ratio");
                if (c != null && b != null && p != null) {
                    core.add(c);
                    bare.add(b);
                    ratios.add(p);
                }
            }
            double ratio = Report.median(ratios);
            List<Double> seen = every(rounds, config + " coreSeenBefore");
            report.line(String.format("| %s | %.1f | %.1f | **%.2f×** | %s | %s | %.1f | %.1f | %.1f |", config, Report.median(core),
                    Report.median(bare), ratio, Report.list(ratios, "%.2f"), Report.verdict(ratio <= 1.30), Report.median(seen),
                    Report.median(every(rounds, config + " core bytes")) / 1024, Report.median(every(rounds, config + " bareJca bytes")) / 1024));
            report.target("verification core ≤ 1.3× bare JCA (" + config + ")", String.format("%.2f×", ratio), ratio <= 1.30);
            if (config.equals("ES256") && !bare.isEmpty()) {
                bareEs256Micros = Report.median(bare);
            }
        }
        report.line("");
        hostileKeySets(cfg, report);
    }

    /**
     * The floor alone, for a run whose JMH phase is not asked for but whose load phase is: the
     * bare ES256 verification on BouncyCastle ({@link VerifyBenchmark#bareJca}), before Keycloak
     * starts, so that the floor and the one-verification targets are never empty.
     */
    static void floorOnly(Config cfg, Report report) throws RunnerException {
        Report.progress("JMH: the floor, one bare ES256 verification (the JMH phase was not asked for)…");
        Options o = new OptionsBuilder().parent(options(cfg, VerifyBenchmark.class.getName() + "\\.bareJca$"))
                .param("config", "ES256").build();
        List<Double> micros = new ArrayList<>();
        for (int round = 0; round < Math.max(1, cfg.jmhVerifyRounds); round++) {
            for (RunResult r : new Runner(o).run()) {
                micros.add(r.getPrimaryResult().getScore());
            }
        }
        bareEs256Micros = Report.median(micros);
        report.line(String.format("The floor of this run (the JMH phase was not asked for): one bare ES256 verification on "
                + "BouncyCastle, `VerifyBenchmark.bareJca`, %.1f µs (median of %d round(s)).", bareEs256Micros, micros.size()));
        report.line("");
    }

    /**
     * The worst CPU one request can cost through a hostile key set within the key-set limits,
     * and what the costly set they were made against cost before them, each as a ratio to a
     * normal ES256 verification.
     */
    private static void hostileKeySets(Config cfg, Report report) throws RunnerException {
        Report.progress("JMH: hostile key sets (worst case within the limits, the costly set before them)…");
        Map<String, Double> micros = new LinkedHashMap<>();
        for (RunResult r : new Runner(options(cfg, HostileKeySetBenchmark.class.getName() + "\\.")).run()) {
            micros.put(r.getParams().getParam("config"), r.getPrimaryResult().getScore());
        }
        double normal = micros.getOrDefault("normal-ES256", Double.NaN);
        report.line("**Hostile key sets** (`HostileKeySetBenchmark`: steps 2-8 of one request, keys cached, signature not "
                + "remembered, a signature as long as the keys' modulus so that every candidate costs a full public-key "
                + "operation), µs/request and the ratio to a normal ES256 verification:");
        report.line("");
        report.line("| key set | µs/request | ÷ normal ES256 |");
        report.line("|---|---:|---:|");
        String[][] rows = {
                {"normal-ES256", "genuine ES256 SVID, SPIRE's key (deployed configuration)", "1"},
                {"normal-RS256", "genuine RS256 SVID, SPIRE's rsa-2048 key", "1"},
                {"bounded-kid", "worst key the limits let through: RSA 4096, exponent 2^31-1 (the one key a kid names)", "1"},
                {"bounded-no-kid", "SVID without kid, " + dev.svidauth.keys.KeyLimits.MAX_JWT_KEYS + " such keys (the most a set may hold), each tried", "1"},
                {"unbounded-one-key", "the costly set of the attack, before the limits: " + HostileKeySetBenchmark.UNBOUNDED_SET_KEYS
                        + " keys under one kid, RSA 3072 with 3,070-bit exponents (one key measured, × "
                        + HostileKeySetBenchmark.UNBOUNDED_SET_KEYS + ")", String.valueOf(HostileKeySetBenchmark.UNBOUNDED_SET_KEYS)}};
        for (String[] row : rows) {
            Double m = micros.get(row[0]);
            if (m == null) {
                continue;
            }
            double perRequest = m * Integer.parseInt(row[2]);
            report.line(String.format("| %s | %,.0f | **%,.0f×** |", row[1], perRequest, perRequest / normal));
        }
        report.line("");
    }

    /** The figure of {@code key} in every round that has it. */
    private static List<Double> every(List<Map<String, Double>> rounds, String key) {
        List<Double> values = new ArrayList<>();
        for (Map<String, Double> s : rounds) {
            if (s.get(key) != null) {
                values.add(s.get(key));
            }
        }
        return values;
    }

    private static Options options(Config cfg, String include) {
        return new OptionsBuilder()
                .include(include)
                .forks(1)
                .warmupIterations(cfg.jmhWarmupIterations)
                .warmupTime(TimeValue.milliseconds(cfg.jmhIterationMillis))
                .measurementIterations(cfg.jmhMeasurementIterations)
                .measurementTime(TimeValue.milliseconds(cfg.jmhIterationMillis))
                .jvmArgs("-Xms256m", "-Xmx256m")
                .verbosity(VerboseMode.SILENT)
                .build();
    }

    private static String method(RunResult r) {
        String b = r.getParams().getBenchmark();
        return b.substring(b.lastIndexOf('.') + 1);
    }

    private static String score(RunResult r) {
        if (r == null) {
            return "–";
        }
        double s = r.getPrimaryResult().getScore();
        double e = r.getPrimaryResult().getScoreError();
        String v = s >= 1000 ? String.format("%,.0f", s) : String.format("%.1f", s);
        return Double.isNaN(e) ? v : v + (s >= 1000 ? String.format(" ± %,.0f", e) : String.format(" ± %.1f", e));
    }

    private static double value(Map<String, Map<String, RunResult>> bySize, String size, String method) {
        RunResult r = bySize.getOrDefault(size, Map.of()).get(method);
        return r == null ? Double.NaN : r.getPrimaryResult().getScore();
    }
}
