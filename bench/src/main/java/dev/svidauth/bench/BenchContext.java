package dev.svidauth.bench;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.KeycloakServer;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the server phases of the benchmark share: the configuration and report, the SPIRE
 * emulator, the benchmark's JWKS, the running Keycloak (and its JVM's pid), realm setup, the load
 * generator, and the realms of the four kinds, created by the first phase that needs them.
 */
final class BenchContext {

    static final String HOST = "127.0.0.1";

    final Config cfg;
    final Report report;
    final SpireEmulator spire;
    final JwksServer jwks;
    final KeycloakServer kc;
    final long pid;
    final Setup setup;
    final LoadGenerator gen;
    private Kinds kinds;

    BenchContext(Config cfg, Report report, SpireEmulator spire, JwksServer jwks, KeycloakServer kc, long pid, Setup setup,
                 LoadGenerator gen) {
        this.cfg = cfg;
        this.report = report;
        this.spire = spire;
        this.jwks = jwks;
        this.kc = kc;
        this.pid = pid;
        this.setup = setup;
        this.gen = gen;
    }

    /** (1) client-secret, (2) client-svid-jwt, (2b) a new SVID per request, (3) client-jwt, (4) Keycloak's native SPIFFE. */
    record Kinds(Target secret, Target svid, Target freshSvid, Target clientJwt, Target nativeSpiffe) {
        List<Target> all() {
            return List.of(secret, svid, freshSvid, clientJwt, nativeSpiffe);
        }
    }

    /**
     * The four kinds (and (2)'s worst case) in realms {@value Setup#REALM} and
     * {@value Setup#NATIVE_REALM}, created on first use and shared by the phases that need them.
     */
    synchronized Kinds kinds() throws IOException {
        if (kinds == null) {
            kinds = createBenchRealms();
        }
        return kinds;
    }

    private Kinds createBenchRealms() throws IOException {
        Report.progress("creating realms " + Setup.REALM + " and " + Setup.NATIVE_REALM + "…");
        setup.createSvidRealm(Setup.REALM);
        setup.createSecretClient(Setup.REALM);
        setup.createSvidClient(Setup.REALM, Setup.SVID_CLIENT, Setup.SVID_ID, spire.jwksUrl());
        setup.createClientJwtClient(Setup.REALM, jwks.url());
        setup.createStockRealm(Setup.NATIVE_REALM);
        setup.createNativeSpiffe(Setup.NATIVE_REALM, spire.bundleUrl());
        int port = kc.httpPort();
        Target secret = new Target.Secret("(1) client-secret", HOST, port, Setup.REALM, Setup.SECRET_CLIENT, Setup.SECRET);
        Target svid = new Target.Svid("(2) client-svid-jwt", HOST, port, Setup.REALM, spire, Setup.SVID_ID, kc.realmUrl(Setup.REALM).toString());
        Target freshSvid = new Target.FreshSvid("(2b) client-svid-jwt, new SVID every request", HOST, port, Setup.REALM, spire, Setup.SVID_ID,
                kc.realmUrl(Setup.REALM).toString());
        Target clientJwt = new Target.ClientJwt("(3) client-jwt", HOST, port, Setup.REALM, Setup.JWT_CLIENT, kc.realmUrl(Setup.REALM).toString(), jwks.key());
        Target nativeSpiffe = new Target.Svid("(4) Keycloak native SPIFFE", HOST, port, Setup.NATIVE_REALM, spire, Setup.NATIVE_ID,
                kc.realmUrl(Setup.NATIVE_REALM).toString());
        Kinds created = new Kinds(secret, svid, freshSvid, clientJwt, nativeSpiffe);
        for (Target t : created.all()) {
            checkOk(t);
        }
        return created;
    }

    /** One measured segment of {@code t} at concurrency {@code c}, added to its cell of {@code row}. */
    LoadGenerator.Run measure(Target t, int c, double seconds, Map<Target, Cell> row) throws InterruptedException {
        return measure(gen, new long[] {pid}, t, c, seconds, row);
    }

    /**
     * One measured segment of {@code t} at concurrency {@code c} from {@code gen}, added to its
     * cell of {@code row}; the server CPU is that of the JVMs {@code serverPids}, summed.
     */
    static LoadGenerator.Run measure(LoadGenerator gen, long[] serverPids, Target t, int c, double seconds, Map<Target, Cell> row)
            throws InterruptedException {
        double bestRate = row.values().stream().mapToDouble(Cell::throughput).max().orElse(0);
        long expected = (long) (Math.max(bestRate, 1500) * seconds * 1.3) + 64;
        t.prepare(expected);
        long s0 = cpuNanos(serverPids);
        long g0 = Proc.selfCpuNanos();
        long m0 = Proc.machineBusyNanos();
        LoadGenerator.Run r = gen.run(c, Duration.ofMillis((long) (seconds * 1000)), 0, t);
        long s1 = cpuNanos(serverPids);
        long g1 = Proc.selfCpuNanos();
        long m1 = Proc.machineBusyNanos();
        row.get(t).add(r, s1 - s0, g1 - g0, m1 - m0, t.unpreparedRequests());
        if (r.errors > 0) {
            Report.progress(t.name + ": " + r.errors + " errors, first: " + r.firstError);
        }
        return r;
    }

    private static long cpuNanos(long[] pids) {
        long sum = 0;
        for (long p : pids) {
            sum += Proc.cpuNanos(p);
        }
        return sum;
    }

    /** Fails unless {@code t} gets HTTP 200 with an access token. */
    void checkOk(Target t) throws IOException {
        checkOk(t, kc);
    }

    /** Fails unless {@code t}, sent to {@code server}, gets HTTP 200 with an access token. */
    static void checkOk(Target t, KeycloakServer server) throws IOException {
        t.prepare(1);
        try (Http1 http = new Http1(HOST, server.httpPort())) {
            int status = http.exchange(t.get());
            String body = http.lastBody();
            if (status != 200 || !body.contains("\"access_token\"")) {
                throw new IllegalStateException(t.name + ": expected 200 with an access token from " + server.baseUrl() + ", got HTTP "
                        + status + " " + body + "\n--- last server log lines ---\n" + tail(server.logText(), 40));
            }
            Report.progress(t.name + ": HTTP 200 with an access token from " + server.baseUrl());
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
