package dev.svidauth.bench;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.KeycloakServer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark: JMH micro-benchmarks, then a real Keycloak with the drop-in JAR and Keycloak's
 * native SPIFFE support, loaded with client_credentials token requests of four kinds, interleaved
 * in short rotating rounds so that every ratio compares figures taken under the same conditions.
 * Run with {@code ./mvnw -pl bench -am verify -Pbench -DskipTests} (BENCHMARKS.md).
 */
public final class Bench {

    private static final String HOST = "127.0.0.1";

    private final Config cfg;
    private final Report report;
    private SpireEmulator spire;
    private JwksServer jwks;
    private KeycloakServer kc;
    private long pid;
    private Setup setup;
    private LoadGenerator gen;

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
        report.line("| JDK (generator, Keycloak, JMH) | " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " |");
        report.line("| Keycloak | " + cfg.keycloakVersion + " (keycloak-quarkus-dist from Maven Central), `--features=spiffe`, dev-file H2, `--cache=local` |");
        report.line("| svid-auth classes (JMH) | `" + dev.svidauth.svid.SvidVerifier.class.getProtectionDomain().getCodeSource().getLocation().getPath()
                .replaceFirst(".*/([^/]+/target/)", "$1") + "` (this checkout) |");
        report.line("| load average at start | " + Proc.loadAverage() + " |");
        report.flush();
        try {
            if (cfg.phase("jmh")) {
                Jmh.run(cfg, report);
                report.flush();
            }
            if (cfg.phase("load") || cfg.phase("scale") || cfg.phase("memory") || cfg.phases.contains("profile")) {
                new Bench(cfg, report).serverPhases();
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
        try (SpireEmulator s = SpireEmulator.builder().trustDomain("example.org").issuer(SpireEmulator.SELF).start(); JwksServer j = new JwksServer()) {
            spire = s;
            jwks = j;
            KeycloakServer.Builder b = KeycloakServer.builder()
                    .distZip(cfg.distZip)
                    .workDir(cfg.workDir)
                    .providerJar(cfg.providerJar)
                    .feature("spiffe")
                    .option("--log-level=INFO")
                    .startTimeout(Duration.ofMinutes(5))
                    .progress(line -> Report.progress("keycloak: " + line));
            String heap = System.getProperty("bench.server.heap", "").trim();
            if (!heap.isEmpty()) {
                b.heap(heap);
            }
            if (!cfg.serverJavaOpts.isEmpty()) {
                b.env("JAVA_OPTS_APPEND", cfg.serverJavaOpts);
            }
            String options = System.getProperty("bench.server.options", "").trim();
            for (String o : options.isEmpty() ? new String[0] : options.split("\\s+")) {
                b.option(o);
            }
            try (KeycloakServer server = b.start()) {
                kc = server;
                pid = server.pid();
                report.section("Keycloak");
                report.line("Keycloak JVM pid " + pid + ", heap `" + (heap.isEmpty() ? KeycloakServer.DEFAULT_HEAP : heap) + "`"
                        + (cfg.serverJavaOpts.isEmpty() ? "" : ", `" + cfg.serverJavaOpts + "`")
                        + (System.getProperty("bench.server.options", "").isBlank() ? "" : ", options `" + System.getProperty("bench.server.options").trim() + "`")
                        + String.format(", ready in %.1f s.", server.startupTime().toMillis() / 1000.0));
                setup = new Setup(server.admin(), cfg.realmFile);
                gen = new LoadGenerator(HOST, server.httpPort(), 16);
                try {
                    if (cfg.phase("load")) {
                        loadPhase();
                        report.flush();
                    }
                    if (cfg.phase("scale")) {
                        scalePhase();
                        report.flush();
                    }
                    if (cfg.phase("memory")) {
                        memoryPhase();
                        report.flush();
                    }
                    if (cfg.phases.contains("profile")) {
                        profilePhase();
                    }
                } finally {
                    gen.close();
                }
            }
        }
    }

    // ------------------------------------------------------------------ 1-2, 5: the four kinds

    private Target secret;
    private Target svid;
    private Target freshSvid;
    private Target clientJwt;
    private Target nativeSpiffe;

    private void createBenchRealms() throws IOException {
        Report.progress("creating realms " + Setup.REALM + " and " + Setup.NATIVE_REALM + "…");
        setup.createSvidRealm(Setup.REALM);
        setup.createSecretClient(Setup.REALM);
        setup.createSvidClient(Setup.REALM, Setup.SVID_CLIENT, Setup.SVID_ID, spire.jwksUrl());
        setup.createClientJwtClient(Setup.REALM, jwks.url());
        setup.createStockRealm(Setup.NATIVE_REALM);
        setup.createNativeSpiffe(Setup.NATIVE_REALM, spire.bundleUrl());
        int port = kc.httpPort();
        secret = new Target.Secret("(1) client-secret", HOST, port, Setup.REALM, Setup.SECRET_CLIENT, Setup.SECRET);
        svid = new Target.Svid("(2) client-svid-jwt", HOST, port, Setup.REALM, spire, Setup.SVID_ID, kc.realmUrl(Setup.REALM).toString());
        freshSvid = new Target.FreshSvid("(2b) client-svid-jwt, new SVID every request", HOST, port, Setup.REALM, spire, Setup.SVID_ID,
                kc.realmUrl(Setup.REALM).toString());
        clientJwt = new Target.ClientJwt("(3) client-jwt", HOST, port, Setup.REALM, Setup.JWT_CLIENT, kc.realmUrl(Setup.REALM).toString(), jwks.key());
        nativeSpiffe = new Target.Svid("(4) Keycloak native SPIFFE", HOST, port, Setup.NATIVE_REALM, spire, Setup.NATIVE_ID,
                kc.realmUrl(Setup.NATIVE_REALM).toString());
        for (Target t : List.of(secret, svid, freshSvid, clientJwt, nativeSpiffe)) {
            checkOk(t);
        }
    }

    private void loadPhase() throws Exception {
        if (secret == null) {
            createBenchRealms();
        }
        List<Target> kinds = List.of(secret, svid, freshSvid, clientJwt, nativeSpiffe);
        report.section("Token endpoint: client_credentials, the four kinds (and (2)'s worst case) interleaved");
        report.line("Realm `" + Setup.REALM + "` uses the shipped realm-export's client authentication flow (client-svid-jwt before "
                + "federated-jwt) and holds (1) a `client-secret` client (client_secret_post), (2) a `client-svid-jwt` client "
                + "(svid.spiffe.id exact, svid.jwks.uri = SPIRE emulator `/keys`, keys cached; no client_id sent) and (3) a stock "
                + "`client-jwt` client (`use.jwks.url`, JWKS served by the benchmark, ES256 assertions with iss = sub = clientId, "
                + "a fresh jti each, pre-signed outside the measured time). Realm `" + Setup.NATIVE_REALM + "` has Keycloak's stock "
                + "flows and (4) Keycloak's native SPIFFE support: a `spiffe` identity provider (trust domain, bundle endpoint = "
                + "emulator `/bundle`) and a `federated-jwt` client bound to it. (2) and (4) present a JWT-SVID (ES256, SPIRE's "
                + "default key type) as jwt-spiffe client_assertion, reused as a SPIRE agent does and re-minted every 60 s. "
                + "(2b) is (2)'s worst case: a new SVID on every request (pre-signed pool), so its signature is never one "
                + "client-svid-jwt has verified before. "
                + "Both realms: Keycloak's defaults otherwise (no stored events, 5 min access tokens signed RS256).");
        report.line("");

        long rssBefore = Proc.rssKib(pid);
        long keys0 = spire.keysRequests();
        long bundle0 = spire.bundleRequests();
        long jwks0 = jwks.requests();
        long phaseStart = System.nanoTime();

        // Warm-up: at least 10k requests in total (full mode), spread over the kinds.
        long perKind = cfg.warmupPerKind;
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

        // Measurement: per concurrency, rounds of every kind in rotated order.
        Map<Integer, Map<Target, Cell>> cells = new LinkedHashMap<>();
        long svidSegmentNanos = 0;
        long keysDuringSvid = 0;
        for (int c : cfg.concurrencies) {
            Map<Target, Cell> row = new LinkedHashMap<>();
            for (Target t : kinds) {
                row.put(t, new Cell(t.name, c));
            }
            cells.put(c, row);
            for (int round = 0; round < cfg.rounds; round++) {
                Report.progress("concurrency " + c + ", round " + (round + 1) + "/" + cfg.rounds + "…");
                for (int k = 0; k < kinds.size(); k++) {
                    Target t = kinds.get((k + round) % kinds.size());
                    long keysBefore = spire.keysRequests();
                    LoadGenerator.Run r = measure(t, c, cfg.segmentSeconds, row);
                    if (t == svid) {
                        svidSegmentNanos += r.elapsedNanos;
                        keysDuringSvid += spire.keysRequests() - keysBefore;
                    }
                }
            }
            printConcurrency(c, row);
        }
        double phaseSeconds = (System.nanoTime() - phaseStart) / 1e9;
        printRatios(cells);

        // 5: key-source load.
        long keys = spire.keysRequests() - keys0;
        long bundle = spire.bundleRequests() - bundle0;
        long jwksReq = jwks.requests() - jwks0;
        report.section("Key-source load during the load phase");
        report.line(String.format("Phase length %.0f s (warm-up and all measured rounds).", phaseSeconds));
        report.line("");
        report.line("| key source | used by | requests | per second |");
        report.line("|---|---|---:|---:|");
        report.line(String.format("| SPIRE emulator `/keys` | (2) client-svid-jwt | %d | %.4f |", keys, keys / phaseSeconds));
        report.line(String.format("| SPIRE emulator `/bundle` | (4) Keycloak native | %d | %.4f |", bundle, bundle / phaseSeconds));
        report.line(String.format("| benchmark JWKS | (3) client-jwt | %d | %.4f |", jwksReq, jwksReq / phaseSeconds));
        report.line("");
        report.line(String.format("During (2)'s measured segments alone (%.0f s, %,d SVID authentications): %d `/keys` requests.",
                svidSegmentNanos / 1e9, cells.values().stream().mapToLong(r -> r.get(svid).ok).sum(), keysDuringSvid));
        report.target("key-source requests/s with cached keys (~0)", String.format("%.4f/s", keys / phaseSeconds), keys / phaseSeconds < 0.05);
        report.line("");
        report.line(String.format("Server RSS before the warm-up %,d KiB, after the load phase %,d KiB.", rssBefore, Proc.rssKib(pid)));
    }

    private LoadGenerator.Run measure(Target t, int c, double seconds, Map<Target, Cell> row) throws InterruptedException {
        double bestRate = row.values().stream().mapToDouble(Cell::throughput).max().orElse(0);
        long expected = (long) (Math.max(bestRate, 1500) * seconds * 1.3) + 64;
        t.prepare(expected);
        long s0 = Proc.cpuNanos(pid);
        long g0 = Proc.selfCpuNanos();
        long m0 = Proc.machineBusyNanos();
        LoadGenerator.Run r = gen.run(c, Duration.ofMillis((long) (seconds * 1000)), 0, t);
        long s1 = Proc.cpuNanos(pid);
        long g1 = Proc.selfCpuNanos();
        long m1 = Proc.machineBusyNanos();
        row.get(t).add(r, s1 - s0, g1 - g0, m1 - m0, t.unpreparedRequests());
        if (r.errors > 0) {
            Report.progress(t.name + ": " + r.errors + " errors, first: " + r.firstError);
        }
        return r;
    }

    private void printConcurrency(int c, Map<Target, Cell> row) {
        report.line("");
        report.line("**Concurrency " + c + "** (" + cfg.rounds + " rounds × " + cfg.segmentSeconds + " s per kind):");
        report.line("");
        report.line("| kind | req/s | p50 ms | p99 ms | server CPU µs/req | server cores | generator cores | other processes, cores | errors |");
        report.line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Cell cell : row.values()) {
            report.line(String.format("| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %d%s |", cell.name, cell.throughput(),
                    cell.latencyMs(0.50), cell.latencyMs(0.99), cell.serverCpuPerRequestMicros(), cell.serverCores(),
                    cell.generatorCores(), cell.otherCores(), cell.errors,
                    cell.unprepared > 0 ? " (" + cell.unprepared + " signed in-run)" : ""));
            if (cell.firstError != null) {
                report.line("|  | first error: " + cell.firstError.replace('|', '/').replace('\n', ' ') + " |||||||");
            }
        }
    }

    private void printRatios(Map<Integer, Map<Target, Cell>> cells) {
        report.section("Ratios (throughput of (2) client-svid-jwt ÷ the other kind, same run, interleaved)");
        report.line("Per-round figures pair the segments of one round; \"CPU/req\" compares the server CPU each request cost "
                + "(other kind ÷ (2), so above 1 means (2) is cheaper), which other processes on the machine disturb less than throughput.");
        report.line("");
        report.line("| concurrency | (2)/(1) secret | target ≥ 0.90 | (2)/(3) client-jwt | target ≥ 1.0 | (2)/(4) native | target ≥ 1.0 | (2)/(1) per round | CPU/req (1)÷(2) | CPU/req (3)÷(2) | CPU/req (4)÷(2) | (2b)/(1) | (2b)/(3) | (2b)/(4) |");
        report.line("|---:|---:|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            int c = e.getKey();
            Cell s = e.getValue().get(secret);
            Cell v = e.getValue().get(svid);
            Cell j = e.getValue().get(clientJwt);
            Cell n = e.getValue().get(nativeSpiffe);
            Cell f = e.getValue().get(freshSvid);
            double r1 = v.throughput() / s.throughput();
            double r3 = v.throughput() / j.throughput();
            double r4 = v.throughput() / n.throughput();
            List<Double> perRound = new ArrayList<>();
            for (int i = 0; i < Math.min(v.perRound.size(), s.perRound.size()); i++) {
                perRound.add(v.perRound.get(i) / s.perRound.get(i));
            }
            report.line(String.format("| %d | **%.2f** | %s | **%.2f** | %s | **%.2f** | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |", c,
                    r1, Report.verdict(r1 >= 0.90), r3, Report.verdict(r3 >= 1.0), r4, Report.verdict(r4 >= 1.0),
                    Report.list(perRound, "%.2f"),
                    s.serverCpuPerRequestMicros() / v.serverCpuPerRequestMicros(),
                    j.serverCpuPerRequestMicros() / v.serverCpuPerRequestMicros(),
                    n.serverCpuPerRequestMicros() / v.serverCpuPerRequestMicros(),
                    f.throughput() / s.throughput(), f.throughput() / j.throughput(), f.throughput() / n.throughput()));
            report.target("(2)/(1) ≥ 0.90 at concurrency " + c, String.format("%.2f", r1), r1 >= 0.90);
            report.target("(2)/(3) ≥ 1.0 at concurrency " + c, String.format("%.2f", r3), r3 >= 1.0);
            report.target("(2)/(4) ≥ 1.0 at concurrency " + c, String.format("%.2f", r4), r4 >= 1.0);
        }
        report.line("");
    }

    // ------------------------------------------------------------------ 3: client count

    private void scalePhase() throws Exception {
        StringBuilder sizes = new StringBuilder();
        for (int i = 0; i < cfg.scaleSizes.length; i++) {
            sizes.append(i == 0 ? "" : i == cfg.scaleSizes.length - 1 ? " and " : ", ").append(String.format("%,d", cfg.scaleSizes[i]));
        }
        report.section("Scale: client-svid-jwt in realms of " + sizes + " SVID clients");
        report.line("Each realm `scale-<n>` has the realm-export's flow and n `client-svid-jwt` clients created by partial import: "
                + "the measured one (exact svid.spiffe.id, in the middle) and decoys of which half carry an exact svid.spiffe.id, "
                + "a quarter use their SPIFFE ID as clientId and a quarter accept a `/*` prefix of their own namespace (decoys carry "
                + "no client scopes, which keeps creating them short). "
                + "Same SVID shape and key source as (2); the realms are measured interleaved.");
        report.line("");
        List<Target> realms = new ArrayList<>();
        report.line("| realm | clients | created in |");
        report.line("|---|---:|---:|");
        for (int size : cfg.scaleSizes) {
            String realm = "scale-" + size;
            Report.progress("creating realm " + realm + " with " + size + " SVID clients…");
            setup.createSvidRealm(realm);
            double secs = setup.createScaleClients(realm, size, spire.jwksUrl());
            report.line(String.format("| %s | %,d | %.1f s |", realm, size, secs));
            Target t = new Target.Svid(String.format("%,d clients", size), HOST, kc.httpPort(), realm, spire, ScaleMix.MEASURED_ID,
                    kc.realmUrl(realm).toString());
            checkOk(t);
            realms.add(t);
        }
        report.line("");
        Report.progress("scale warm-up…");
        for (Target t : realms) {
            t.prepare(cfg.scaleWarmupPerRealm);
            gen.run(8, Duration.ofMinutes(2), cfg.scaleWarmupPerRealm, t);
        }
        Map<Integer, Map<Target, Cell>> cells = new LinkedHashMap<>();
        for (int c : cfg.concurrencies) {
            Map<Target, Cell> row = new LinkedHashMap<>();
            for (Target t : realms) {
                row.put(t, new Cell(t.name, c));
            }
            cells.put(c, row);
            for (int round = 0; round < cfg.scaleRounds; round++) {
                Report.progress("scale: concurrency " + c + ", round " + (round + 1) + "/" + cfg.scaleRounds + "…");
                for (int k = 0; k < realms.size(); k++) {
                    measure(realms.get((k + round) % realms.size()), c, cfg.scaleSegmentSeconds, row);
                }
            }
        }
        report.line("| concurrency | realm | req/s | p50 ms | p99 ms | server CPU µs/req | other processes, cores | errors | ÷ 10 clients | per round ÷ 10 clients |");
        report.line("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Map.Entry<Integer, Map<Target, Cell>> e : cells.entrySet()) {
            Cell base = e.getValue().get(realms.get(0));
            for (Cell cell : e.getValue().values()) {
                double ratio = cell.throughput() / base.throughput();
                List<Double> perRound = new ArrayList<>();
                for (int i = 0; i < Math.min(cell.perRound.size(), base.perRound.size()); i++) {
                    perRound.add(cell.perRound.get(i) / base.perRound.get(i));
                }
                report.line(String.format("| %d | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %d | **%.2f** | %s |", e.getKey(), cell.name,
                        cell.throughput(), cell.latencyMs(0.5), cell.latencyMs(0.99), cell.serverCpuPerRequestMicros(),
                        cell.otherCores(), cell.errors, ratio, Report.list(perRound, "%.2f")));
                if (cell.firstError != null) {
                    report.line("|  | first error: " + cell.firstError.replace('|', '/').replace('\n', ' ') + " |||||||||");
                }
            }
            Cell big = e.getValue().get(realms.get(realms.size() - 1));
            double r = big.throughput() / base.throughput();
            report.target(big.name + " ≥ 0.95 × " + base.name + " at concurrency " + e.getKey(), String.format("%.2f", r), r >= 0.95);
        }
        report.line("");
    }

    // ------------------------------------------------------------------ 6: memory

    private void memoryPhase() throws Exception {
        if (svid == null) {
            createBenchRealms();
        }
        long n = cfg.memoryAuthentications;
        report.section("Memory: server RSS around " + String.format("%,d", n) + " SVID authentications");
        Report.progress("memory: " + n + " SVID authentications at concurrency 16…");
        long before = Proc.rssKib(pid);
        long s0 = Proc.cpuNanos(pid);
        svid.prepare(n);
        LoadGenerator.Run r = gen.run(16, Duration.ofMinutes(10), n, svid);
        long s1 = Proc.cpuNanos(pid);
        long after = Proc.rssKib(pid);
        report.line("Client `" + Setup.SVID_CLIENT + "` of realm `" + Setup.REALM + "`, concurrency 16, nothing forced (no GC request).");
        report.line("");
        report.line("| RSS before | RSS after | difference | authentications | errors | req/s | server CPU µs/req |");
        report.line("|---:|---:|---:|---:|---:|---:|---:|");
        report.line(String.format("| %,d KiB | %,d KiB | %+,d KiB | %,d | %d | %.0f | %.0f |", before, after, after - before, r.ok, r.errors,
                r.throughput(), (s1 - s0) / 1e3 / Math.max(1, r.ok)));
        if (r.firstError != null) {
            report.line("");
            report.line("First error: " + r.firstError);
        }
        report.line("");
    }

    // ------------------------------------------------------------------ profiling (development aid)

    /**
     * {@code -Dbench.phases=profile}: each kind alone at concurrency 4 for {@code bench.profile.seconds}
     * (default 20) under a JFR recording of the server ({@code jcmd JFR.start/stop}), written to
     * {@code <work dir>/profile-<kind>.jfr}. Not part of the report.
     */
    private void profilePhase() throws Exception {
        if (secret == null) {
            createBenchRealms();
        }
        double seconds = Double.parseDouble(System.getProperty("bench.profile.seconds", "20"));
        List<Target> kinds = List.of(secret, svid, clientJwt, nativeSpiffe);
        for (Target t : kinds) {
            t.prepare(2000);
            gen.run(4, Duration.ofMinutes(2), 2000, t);
        }
        String jcmd = System.getProperty("java.home") + "/bin/jcmd";
        String[] names = {"secret", "svid", "jwt", "native"};
        for (int i = 0; i < kinds.size(); i++) {
            Target t = kinds.get(i);
            java.nio.file.Path file = cfg.workDir.resolve("profile-" + names[i] + ".jfr").toAbsolutePath();
            run(jcmd, Long.toString(pid), "JFR.start", "name=p" + i, "settings=profile", "filename=" + file);
            Map<Target, Cell> row = new LinkedHashMap<>();
            row.put(t, new Cell(t.name, 4));
            LoadGenerator.Run r = measure(t, 4, seconds, row);
            run(jcmd, Long.toString(pid), "JFR.stop", "name=p" + i);
            Report.progress(String.format("profile %s: %d requests, %.0f req/s, %.0f µs server CPU/req -> %s", t.name, r.ok,
                    r.throughput(), row.get(t).serverCpuPerRequestMicros(), file));
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }

    // ------------------------------------------------------------------

    private void checkOk(Target t) throws IOException {
        t.prepare(1);
        try (Http1 http = new Http1(HOST, kc.httpPort())) {
            int status = http.exchange(t.get());
            String body = http.lastBody();
            if (status != 200 || !body.contains("\"access_token\"")) {
                throw new IllegalStateException(t.name + ": expected 200 with an access token, got HTTP " + status + " " + body
                        + "\n--- last server log lines ---\n" + tail(kc.logText(), 40));
            }
            Report.progress(t.name + ": HTTP 200 with an access token");
        }
    }

    private static String tail(String text, int lines) {
        String[] all = text.split("\\R");
        StringBuilder out = new StringBuilder();
        for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
            out.append(all[i]).append('\n');
        }
        return out.toString();
    }
}
