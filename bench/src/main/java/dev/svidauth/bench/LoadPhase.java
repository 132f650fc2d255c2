package dev.svidauth.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Phases 1-2 and 5: the four kinds over HTTP and the two over HTTPS interleaved at each
 * concurrency, their ratios, and the key-source load.
 */
final class LoadPhase {

    private final BenchContext ctx;

    LoadPhase(BenchContext ctx) {
        this.ctx = ctx;
    }

    void run() throws Exception {
        BenchContext.Kinds k4 = ctx.kinds();
        Target svid = k4.svid();
        List<Target> kinds = k4.all();
        ctx.report.section("Token endpoint: client_credentials, the four kinds (and (2)'s worst case), client-svid-wit and the two over HTTPS interleaved");
        ctx.report.line("Realm `" + Setup.REALM + "` uses the shipped realm-export's client authentication flow (client-svid-jwt before "
                + "federated-jwt) and holds (1) a `client-secret` client (client_secret_post), (2) a `client-svid-jwt` client "
                + "(svid.spiffe.id exact, svid.jwks.uri = SPIRE emulator `/keys`, keys cached; no client_id sent) and (3) a stock "
                + "`client-jwt` client (`use.jwks.url`, JWKS served by the benchmark, ES256 assertions with iss = sub = clientId, "
                + "a fresh jti each, pre-signed outside the measured time). Realm `" + Setup.NATIVE_REALM + "` has Keycloak's stock "
                + "flows and (4) Keycloak's native SPIFFE support: a `spiffe` identity provider (trust domain, bundle endpoint = "
                + "emulator `/bundle`) and a `federated-jwt` client bound to it. (2) and (4) present a JWT-SVID (ES256, SPIRE's "
                + "default key type) as jwt-spiffe client_assertion, reused as a SPIRE agent does and re-minted every 60 s. "
                + "(2b) is (2)'s worst case: a new SVID on every request (pre-signed pool), so its signature is never one "
                + "client-svid-jwt has verified before. (2w) is a `client-svid-wit` client (exact svid.spiffe.id, svid.bundle.uri "
                + "= the bundle endpoint of a second SPIRE emulator, trust domain " + Setup.WIT_TRUST_DOMAIN + ", whose `wit-svid` "
                + "keys verify the WIT-SVID): one WIT-SVID (ES256, cnf an EC P-256 key) reused in the OAuth-Client-Attestation "
                + "header, a new proof of possession (ES256 by the cnf key, fresh jti) on every request in "
                + "OAuth-Client-Attestation-PoP, from a pool signed before each segment; its form carries only grant_type. "
                + "(1p) is (1) with its form padded to (2)'s length by a parameter "
                + "Keycloak ignores (a control for the request's size). "
                + "Both realms: Keycloak's defaults otherwise (no stored events, 5 min access tokens signed RS256). "
                + "(1) to (4) use Keycloak's HTTP listener. Over its HTTPS listener (same server, "
                + "`--https-client-auth=request`, trust store = the emulator's X.509 bundle PEM file): (1t) the client-secret "
                + "client again, presenting no client certificate, and (5) a `client-svid-x509` client (exact svid.spiffe.id, "
                + "svid.bundle.uri = emulator `/bundle`, whose x509-svid authority verifies the chain; access tokens bound to the "
                + "certificate, cnf.x5t#S256, as the realm-export's warehouse-api) presenting an X.509-SVID (EC P-256 leaf of "
                + "the emulator's CA, 1 h) as client certificate, the form carrying only grant_type (no client_id). Each kind "
                + "has its own keep-alive connection per worker, so TLS handshakes happen when a connection opens, not per "
                + "request (the connections opened during measured segments are counted below).");
        ctx.report.line("");
        for (Target t : List.of(k4.secretHttps(), k4.x509())) {
            ctx.report.line("- " + t.name + ": " + ctx.tlsSessions.get(t));
        }
        ctx.report.line("");

        long rssBefore = Proc.rssKib(ctx.pid);
        long keys0 = ctx.spire.keysRequests();
        long bundle0 = ctx.spire.bundleRequests();
        long witBundle0 = ctx.witSpire.bundleRequests();
        long jwks0 = ctx.jwks.requests();
        long phaseStart = System.nanoTime();

        // Warm-up: at least 10k requests in total (full mode), spread over the kinds.
        warmUp(ctx.gen, kinds, ctx.cfg.warmupPerKind, ctx.report);

        // Measurement: per concurrency, rounds of every kind in rotated order.
        long[] svidSegment = new long[2];   // nanos, /keys requests during (2)'s segments
        long[] x509Segment = new long[2];   // nanos, /bundle requests during (5)'s segments
        long[] before = {ctx.spire.keysRequests(), ctx.spire.bundleRequests()};
        Map<Integer, Map<Target, Cell>> cells = ctx.interleave(kinds, ctx.cfg.rounds, ctx.cfg.segmentSeconds, "", (t, r) -> {
            long keysNow = ctx.spire.keysRequests();
            long bundleNow = ctx.spire.bundleRequests();
            if (t == svid) {
                svidSegment[0] += r.elapsedNanos;
                svidSegment[1] += keysNow - before[0];
            } else if (t == k4.x509()) {
                x509Segment[0] += r.elapsedNanos;
                x509Segment[1] += bundleNow - before[1];
            }
            before[0] = keysNow;
            before[1] = bundleNow;
        });
        cells.forEach((c, row) -> printConcurrency(ctx.report, ctx.cfg, c, row));
        long svidSegmentNanos = svidSegment[0];
        long keysDuringSvid = svidSegment[1];
        long x509SegmentNanos = x509Segment[0];
        long bundleDuringX509 = x509Segment[1];
        double phaseSeconds = (System.nanoTime() - phaseStart) / 1e9;
        printRatios(cells, k4);
        printRealisticCase(cells, k4);
        printX509Ratios(cells, k4);
        printWit(cells, k4);

        // 5: key-source load.
        long keys = ctx.spire.keysRequests() - keys0;
        long bundle = ctx.spire.bundleRequests() - bundle0;
        long jwksReq = ctx.jwks.requests() - jwks0;
        long witBundle = ctx.witSpire.bundleRequests() - witBundle0;
        ctx.report.section("Key-source load during the load phase");
        ctx.report.line(String.format("Phase length %.0f s (warm-up and all measured rounds).", phaseSeconds));
        ctx.report.line("");
        ctx.report.line("| key source | used by | requests | per second |");
        ctx.report.line("|---|---|---:|---:|");
        ctx.report.line(String.format("| SPIRE emulator `/keys` | (2) client-svid-jwt | %d | %.4f |", keys, keys / phaseSeconds));
        ctx.report.line(String.format("| SPIRE emulator `/bundle` | (4) Keycloak native, (5) client-svid-x509 | %d | %.4f |", bundle, bundle / phaseSeconds));
        ctx.report.line(String.format("| benchmark JWKS | (3) client-jwt | %d | %.4f |", jwksReq, jwksReq / phaseSeconds));
        ctx.report.line(String.format("| WIT emulator `/bundle` | (2w) client-svid-wit | %d | %.4f |", witBundle, witBundle / phaseSeconds));
        ctx.report.line("");
        ctx.report.line(String.format("During (2)'s measured segments alone (%.0f s, %,d SVID authentications): %d `/keys` requests.",
                svidSegmentNanos / 1e9, cells.values().stream().mapToLong(r -> r.get(svid).ok).sum(), keysDuringSvid));
        ctx.report.line(String.format("During (5)'s measured segments alone (%.0f s, %,d X.509-SVID authentications): %d `/bundle` requests.",
                x509SegmentNanos / 1e9, cells.values().stream().mapToLong(r -> r.get(k4.x509()).ok).sum(), bundleDuringX509));
        ctx.report.target("key-source requests/s with cached keys (~0)", String.format("%.4f/s", keys / phaseSeconds), keys / phaseSeconds < 0.05);
        ctx.report.line("");
        ctx.report.line(String.format("Server RSS before the warm-up %,d KiB, after the load phase %,d KiB.", rssBefore, Proc.rssKib(ctx.pid)));
    }

    /**
     * Warm-up: {@code perKind} requests of every kind at concurrency 8, in chunks of 250 per kind
     * in turn, so that every kind's own code paths are JIT-compiled; reports how many and the errors.
     */
    static void warmUp(LoadGenerator gen, List<Target> kinds, long perKind, Report report) throws InterruptedException {
        Report.progress("warm-up: " + perKind + " requests per kind, " + (perKind * kinds.size()) + " in total…");
        long warmErrors = 0;
        long warmOk = 0;
        int chunk = 250;
        for (long done = 0; done < perKind; done += chunk) {
            for (Target t : kinds) {
                t.prepare(chunk);
                LoadGenerator.Run r = gen.run(8, Duration.ofMinutes(2), chunk, t);
                warmOk += r.ok;
                warmErrors += r.errors;
                if (r.errors > 0) {
                    Report.progress("warm-up errors for " + t.name + ": " + r.firstError);
                }
            }
        }
        report.line(String.format("Warm-up: %,d requests (%,d per kind, concurrency 8, so that every kind's own code paths are "
                + "JIT-compiled), %,d errors.", warmOk + warmErrors, (warmOk + warmErrors) / kinds.size(), warmErrors));
        report.line("");
    }

    /** The table of one concurrency: a row per kind, summed over its rounds. */
    static void printConcurrency(Report report, Config cfg, int c, Map<Target, Cell> row) {
        report.line("");
        report.line("**Concurrency " + c + "** (" + cfg.rounds + " rounds × " + cfg.segmentSeconds + " s per kind):");
        report.line("");
        report.line("| kind | req/s | p50 ms | p99 ms | server CPU µs/req | server KB allocated/req | server cores | generator cores | other processes, cores | errors |");
        report.line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Cell cell : row.values()) {
            double kb = cell.serverAllocatedPerRequestKb();
            report.line(String.format("| %s | %.0f | %.2f | %.2f | %.0f | %s | %.2f | %.2f | %.2f | %d%s |", cell.name, cell.throughput(),
                    cell.latencyMs(0.50), cell.latencyMs(0.99), cell.serverCpuPerRequestMicros(),
                    Double.isNaN(kb) ? "n/a" : String.format("%.1f", kb), cell.serverCores(),
                    cell.generatorCores(), cell.otherCores(), cell.errors,
                    cell.unprepared > 0 ? " (" + cell.unprepared + " signed in-run)" : ""));
            if (cell.firstError != null) {
                report.line("|  | first error: " + cell.firstError.replace('|', '/').replace('\n', ' ') + " ||||||||");
            }
        }
    }

    private void printRatios(Map<Integer, Map<Target, Cell>> cells, BenchContext.Kinds k4) {
        ctx.report.section("Ratios (throughput of (2) client-svid-jwt ÷ the other kind, same run, interleaved)");
        ctx.report.line("Per-round figures pair the segments of one round; \"CPU/req\" compares the server CPU each request cost "
                + "(other kind ÷ (2), so above 1 means (2) is cheaper), which other processes on the machine disturb less than throughput.");
        ctx.report.line("");
        ctx.report.line("| concurrency | (2)/(1) secret | target ≥ 0.90 | (2)/(3) client-jwt | target ≥ 1.0 | (2)/(4) native | target ≥ 1.0 | (2)/(1) per round | CPU/req (1)÷(2) | CPU/req (3)÷(2) | CPU/req (4)÷(2) | (2b)/(1) | (2b)/(3) | (2b)/(4) |");
        ctx.report.line("|---:|---:|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            int c = e.getKey();
            Cell s = e.getValue().get(k4.secret());
            Cell v = e.getValue().get(k4.svid());
            Cell j = e.getValue().get(k4.clientJwt());
            Cell n = e.getValue().get(k4.nativeSpiffe());
            Cell f = e.getValue().get(k4.freshSvid());
            double r1 = v.throughput() / s.throughput();
            double r3 = v.throughput() / j.throughput();
            double r4 = v.throughput() / n.throughput();
            List<Double> perRound = v.perRoundRatios(s);
            ctx.report.line(String.format("| %d | **%.2f** | %s | **%.2f** | %s | **%.2f** | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |", c,
                    r1, Report.verdict(r1 >= 0.90), r3, Report.verdict(r3 >= 1.0), r4, Report.verdict(r4 >= 1.0),
                    Report.list(perRound, "%.2f"),
                    s.serverCpuPerRequestMicros() / v.serverCpuPerRequestMicros(),
                    j.serverCpuPerRequestMicros() / v.serverCpuPerRequestMicros(),
                    n.serverCpuPerRequestMicros() / v.serverCpuPerRequestMicros(),
                    f.throughput() / s.throughput(), f.throughput() / j.throughput(), f.throughput() / n.throughput()));
            ctx.report.target("(2)/(1) ≥ 0.90 at concurrency " + c, String.format("%.2f", r1), r1 >= 0.90);
            ctx.report.target("(2)/(3) ≥ 1.0 at concurrency " + c, String.format("%.2f", r3), r3 >= 1.0);
            ctx.report.target("(2)/(4) ≥ 1.0 at concurrency " + c, String.format("%.2f", r4), r4 >= 1.0);
        }
        ctx.report.line("");
    }

    /**
     * The performance targets by server CPU per request: the cached path (2) within 3 % of
     * client-secret, or of client-secret with a form of (2)'s size (1p) where the miss is the request's
     * size; the fresh path (2b) within 3 points of the floor CPU(1) ÷ (CPU(1) + one bare ES256
     * verification of this run's JMH phase) and at most one bare verification (+ 25 µs) above (2);
     * (2b) at least 1.05× Keycloak's native SPIFFE support, in CPU per request and in throughput.
     */
    private void printRealisticCase(Map<Integer, Map<Target, Cell>> cells, BenchContext.Kinds k) {
        double bare = Jmh.bareEs256Micros;
        ctx.report.section("The realistic case: server CPU per request against its floor");
        ctx.report.line(Double.isNaN(bare) ? "The JMH phase did not run, so the floor (one bare ES256 verification) is not known: "
                + "only the other targets are checked." : String.format("Floor = CPU(1) ÷ (CPU(1) + %.0f µs), the bare ES256 "
                + "verification on Keycloak's BouncyCastle measured by this run's JMH phase: what (2b) would reach if a new SVID "
                + "cost client-secret's request plus exactly one signature check.", bare));
        ctx.report.line("");
        ctx.report.line("| concurrency | CPU/req (1)÷(2) | (1p)÷(2) | target: either ≥ 0.97 | floor | CPU/req (1)÷(2b) | target ≥ floor − 0.03 | CPU/req (2b) − (2), µs | target ≤ bare + 25 µs | CPU/req (4)÷(2b) | (2b)/(4) req/s | target ≥ 1.05 both |");
        ctx.report.line("|---:|---:|---:|---|---:|---:|---|---:|---|---:|---:|---|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            int c = e.getKey();
            double cpu1 = e.getValue().get(k.secret()).serverCpuPerRequestMicros();
            double cpu2 = e.getValue().get(k.svid()).serverCpuPerRequestMicros();
            double cpu2b = e.getValue().get(k.freshSvid()).serverCpuPerRequestMicros();
            double cpu4 = e.getValue().get(k.nativeSpiffe()).serverCpuPerRequestMicros();
            double cached = cpu1 / cpu2;
            double fresh = cpu1 / cpu2b;
            double floor = Double.isNaN(bare) ? Double.NaN : cpu1 / (cpu1 + bare);
            double nativeCpu = cpu4 / cpu2b;
            double nativeRate = e.getValue().get(k.freshSvid()).throughput() / e.getValue().get(k.nativeSpiffe()).throughput();
            boolean nativeMet = nativeCpu >= 1.05 && nativeRate >= 1.05;
            double padded = e.getValue().get(k.paddedSecret()).serverCpuPerRequestMicros() / cpu2;
            ctx.report.line(String.format("| %d | **%.2f** | %.2f | %s | %s | **%.2f** | %s | %.0f | %s | **%.2f** | **%.2f** | %s |", c, cached,
                    padded, Report.verdict(cached >= 0.97 || padded >= 0.97), Double.isNaN(floor) ? "n/a" : String.format("%.2f", floor), fresh,
                    Double.isNaN(floor) ? "n/a" : Report.verdict(fresh >= floor - 0.03), cpu2b - cpu2,
                    Double.isNaN(bare) ? "n/a" : Report.verdict(cpu2b - cpu2 <= bare + 25), nativeCpu, nativeRate, Report.verdict(nativeMet)));
            // a miss against (1) that (1p), client-secret with a form of (2)'s length, shows as well is the request's size
            double sameSize = e.getValue().get(k.paddedSecret()).serverCpuPerRequestMicros() / cpu2;
            ctx.report.target("cached path: CPU/req (1)÷(2) ≥ 0.97, or (1p)÷(2) ≥ 0.97 (the same miss for a request of "
                    + "(2)'s size), at concurrency " + c, String.format("%.2f / (1p) %.2f", cached, sameSize),
                    cached >= 0.97 || sameSize >= 0.97);
            if (!Double.isNaN(bare)) {
                double extra = cpu2b - cpu2;
                ctx.report.target(String.format("a new SVID costs one verification: CPU/req (2b) − (2) ≤ %.0f + 25 µs at concurrency %d",
                        bare, c), String.format("%.0f µs", extra), extra <= bare + 25);
            }
            if (!Double.isNaN(floor)) {
                ctx.report.target(String.format("fresh path: CPU/req (1)÷(2b) ≥ floor %.2f − 0.03 at concurrency %d", floor, c),
                        String.format("%.2f", fresh), fresh >= floor - 0.03);
            }
            ctx.report.target("(2b) ≥ 1.05× native SPIFFE (4), CPU/req and req/s, at concurrency " + c,
                    String.format("%.2f / %.2f", nativeCpu, nativeRate), nativeMet);
        }
        ctx.report.line("");
        ctx.report.line(String.format("**The request's size apart from the SVID.** (1p) is (1) with its form padded by a parameter Keycloak "
                + "ignores to the length of (2)'s (%,d bytes; (1)'s is %,d): the same client-secret authentication with an SVID "
                + "request's size. CPU/req (1)÷(1p) below 1 is what the longer request alone costs the server (reading and "
                + "decoding the body); (1p)÷(2) and (1p)÷(2b) compare the SVID kinds with a request of their own size.",
                k.paddedSecret().formLength(), k.secret().formLength()));
        ctx.report.line("");
        ctx.report.line("| concurrency | CPU/req (1)÷(1p) | CPU/req (1p)÷(2) | CPU/req (1p)÷(2b) | (1p)/(1) req/s | (2)/(1p) req/s | (2b)/(1p) req/s |");
        ctx.report.line("|---:|---:|---:|---:|---:|---:|---:|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            Cell secret = e.getValue().get(k.secret());
            Cell padded = e.getValue().get(k.paddedSecret());
            Cell svid = e.getValue().get(k.svid());
            Cell fresh = e.getValue().get(k.freshSvid());
            ctx.report.line(String.format("| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |", e.getKey(),
                    secret.serverCpuPerRequestMicros() / padded.serverCpuPerRequestMicros(),
                    padded.serverCpuPerRequestMicros() / svid.serverCpuPerRequestMicros(),
                    padded.serverCpuPerRequestMicros() / fresh.serverCpuPerRequestMicros(),
                    padded.throughput() / secret.throughput(), svid.throughput() / padded.throughput(),
                    fresh.throughput() / padded.throughput()));
        }
        ctx.report.line("");
    }

    /**
     * (2w) client-svid-wit against (2), the same workload's JWT-SVID presented again, and (2b), a
     * new JWT-SVID per request: server CPU and heap allocation per request. (2) verifies no
     * signature (its SVID's verification is remembered), (2b) one; (2w) one, the PoP's by the
     * WIT's cnf key (the WIT-SVID's own verification is remembered like (2)'s), and records the
     * PoP's jti.
     */
    private void printWit(Map<Integer, Map<Target, Cell>> cells, BenchContext.Kinds k) {
        double bare = Jmh.bareEs256Micros;
        ctx.report.section("WIT-SVID: (2w) client-svid-wit against (2) and (2b), same run, interleaved");
        ctx.report.line("\"CPU/req (2w)÷(2)\" is the server CPU of a WIT-SVID request with its proof of possession over that of "
                + "a JWT-SVID presented again (above 1: (2w) costs more). (2) verifies no signature, its SVID's verification "
                + "being remembered; (2b) verifies one; (2w) verifies one on every request, the PoP's (the WIT-SVID's own "
                + "verification is remembered like (2)'s), and records the PoP's jti as single use. "
                + (Double.isNaN(bare) ? "The JMH phase did not run, so the expectation column is n/a."
                : String.format("\"expected\" is CPU(2) + %.0f µs, one bare ES256 verification of this run's JMH phase.", bare)));
        ctx.report.line("");
        ctx.report.line("| concurrency | CPU µs/req (2w) | CPU µs/req (2) | CPU µs/req (2b) | CPU/req (2w)÷(2) | CPU/req (2w)÷(2b) | expected CPU µs/req (2w) | (2w)/(2) req/s | KB allocated/req (2w) / (2) / (2b) |");
        ctx.report.line("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            Cell wit = e.getValue().get(k.wit());
            Cell svid = e.getValue().get(k.svid());
            Cell fresh = e.getValue().get(k.freshSvid());
            double cpuWit = wit.serverCpuPerRequestMicros();
            double cpuSvid = svid.serverCpuPerRequestMicros();
            ctx.report.line(String.format("| %d | %.0f | %.0f | %.0f | **%.2f** | %.2f | %s | %.2f | %s / %s / %s |", e.getKey(), cpuWit,
                    cpuSvid, fresh.serverCpuPerRequestMicros(), cpuWit / cpuSvid, cpuWit / fresh.serverCpuPerRequestMicros(),
                    Double.isNaN(bare) ? "n/a" : String.format("%.0f", cpuSvid + bare), wit.throughput() / svid.throughput(),
                    kb(wit), kb(svid), kb(fresh)));
        }
        ctx.report.line("");
    }

    private static String kb(Cell cell) {
        double kb = cell.serverAllocatedPerRequestKb();
        return Double.isNaN(kb) ? "n/a" : String.format("%.1f", kb);
    }

    /** (5) client-svid-x509 against (1t) client-secret, both over HTTPS; and what HTTPS costs client-secret. */
    private void printX509Ratios(Map<Integer, Map<Target, Cell>> cells, BenchContext.Kinds k) {
        ctx.report.section("Ratios over HTTPS (throughput of (5) client-svid-x509 ÷ (1t) client-secret, same run, interleaved)");
        ctx.report.line("Both on Keycloak's HTTPS listener, in the same rounds as the kinds above. \"CPU/req (1t)÷(5)\" above 1 means "
                + "(5) costs the server less per request. \"(1t)/(1)\" is client-secret over HTTPS ÷ over HTTP: what TLS costs "
                + "a request on a kept connection. \"new connections\" counts the connections (TLS handshakes) opened inside the "
                + "measured segments of (1t) / (5); the others were opened during the warm-up and kept.");
        ctx.report.line("");
        ctx.report.line("| concurrency | (5)/(1t) | target ≥ 0.90 | (5)/(1t) per round | CPU/req (1t)÷(5) | (1t)/(1) | new connections (1t) / (5) |");
        ctx.report.line("|---:|---:|---|---|---:|---:|---|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            int c = e.getKey();
            Cell plain = e.getValue().get(k.secret());
            Cell secret = e.getValue().get(k.secretHttps());
            Cell x509 = e.getValue().get(k.x509());
            double r = x509.throughput() / secret.throughput();
            ctx.report.line(String.format("| %d | **%.2f** | %s | %s | %.2f | %.2f | %d / %d |", c, r, Report.verdict(r >= 0.90),
                    Report.list(x509.perRoundRatios(secret), "%.2f"),
                    secret.serverCpuPerRequestMicros() / x509.serverCpuPerRequestMicros(),
                    secret.throughput() / plain.throughput(), secret.connects, x509.connects));
            ctx.report.target("(5)/(1t) client-svid-x509 ÷ client-secret over HTTPS ≥ 0.90 at concurrency " + c,
                    String.format("%.2f", r), r >= 0.90);
        }
        ctx.report.line("");
    }
}
