package dev.svidauth.bench;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.X509Svid;
import dev.svidauth.testkit.KeycloakServer;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the server phases of the benchmark share: the configuration and report, the SPIRE
 * emulator, the benchmark's JWKS, the running Keycloak (and its JVM's pid), realm setup, the load
 * generator, and the realms of the kinds, created by the first phase that needs them.
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
    /** Keycloak's HTTP listener. */
    final Transport http;
    /** The SPIRE emulator of the WIT-SVID kind (2w): a trust domain of its own, with wit-svid keys in its bundle. */
    final SpireEmulator witSpire;
    /** The server's heap allocation, from its {@code /metrics}. */
    final ServerAllocation allocation;
    private Kinds kinds;
    /** The TLS session each HTTPS kind's check saw (protocol, cipher suite, client certificate or not). */
    final Map<Target, String> tlsSessions = new java.util.concurrent.ConcurrentHashMap<>();

    BenchContext(Config cfg, Report report, SpireEmulator spire, SpireEmulator witSpire, JwksServer jwks, KeycloakServer kc, long pid,
                 Setup setup, LoadGenerator gen) {
        this.cfg = cfg;
        this.witSpire = witSpire;
        this.allocation = new ServerAllocation(java.net.URI.create("http://" + HOST + ":" + kc.managementPort() + "/metrics"));
        this.report = report;
        this.spire = spire;
        this.jwks = jwks;
        this.kc = kc;
        this.pid = pid;
        this.setup = setup;
        this.gen = gen;
        this.http = Transport.http(HOST, kc.httpPort());
    }

    /**
     * Over HTTP: (1) client-secret, (2) client-svid-jwt, (2b) a new SVID per request, (2w)
     * client-svid-wit (one WIT-SVID, a new proof of possession per request), (3) client-jwt, (4)
     * Keycloak's native SPIFFE; over HTTPS: (1t) client-secret without a client certificate and (5)
     * client-svid-x509 presenting its X.509-SVID.
     */
    record Kinds(Target secret, Target paddedSecret, Target svid, Target freshSvid, Target wit, Target clientJwt, Target nativeSpiffe,
                 Target secretHttps, Target x509) {
        List<Target> all() {
            return List.of(secret, paddedSecret, svid, freshSvid, wit, clientJwt, nativeSpiffe, secretHttps, x509);
        }
    }

    /**
     * The kinds in realms {@value Setup#REALM} and {@value Setup#NATIVE_REALM}, created on first
     * use and shared by the phases that need them.
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
        setup.createX509Client(Setup.REALM, spire.bundleUrl());
        setup.createWitClient(Setup.REALM, witSpire.bundleUrl());
        setup.createStockRealm(Setup.NATIVE_REALM);
        setup.createNativeSpiffe(Setup.NATIVE_REALM, spire.bundleUrl());
        String audience = kc.realmUrl(Setup.REALM).toString();
        Target secret = Target.secret("(1) client-secret", http, Setup.REALM, Setup.SECRET_CLIENT, Setup.SECRET);
        Target svid = new Target.Svid("(2) client-svid-jwt", http, Setup.REALM, spire, Setup.SVID_ID, audience);
        Target paddedSecret = Target.paddedSecret("(1p) client-secret, form as long as (2)'s", http, Setup.REALM, Setup.SECRET_CLIENT,
                Setup.SECRET, svid.formLength());
        Target freshSvid = new Target.FreshSvid("(2b) client-svid-jwt, new SVID every request", http, Setup.REALM, spire, Setup.SVID_ID,
                audience);
        Target wit = new Target.Wit("(2w) client-svid-wit, WIT-SVID reused, new PoP every request", http, Setup.REALM, witSpire,
                Setup.WIT_ID, audience);
        Target clientJwt = new Target.ClientJwt("(3) client-jwt", http, Setup.REALM, Setup.JWT_CLIENT, audience, jwks.key());
        Target nativeSpiffe = new Target.Svid("(4) Keycloak native SPIFFE", http, Setup.NATIVE_REALM, spire, Setup.NATIVE_ID,
                kc.realmUrl(Setup.NATIVE_REALM).toString());
        // HTTPS: the same Keycloak's HTTPS listener (client certificates requested, trusted through the
        // emulator's bundle file); each kind has its own client context and so its own connections
        Transport httpsNoCertificate = Transport.https(HOST, kc.httpsPort(), kc.serverTls().clientContext(), "no client certificate");
        X509Svid x509Svid = spire.mintX509Svid(Setup.X509_ID);
        Transport httpsSvid = Transport.https(HOST, kc.httpsPort(),
                kc.serverTls().clientContext(x509Svid.chain(), x509Svid.privateKey()), "X.509-SVID " + Setup.X509_ID);
        Target secretHttps = Target.secret("(1t) client-secret, HTTPS", httpsNoCertificate, Setup.REALM, Setup.SECRET_CLIENT, Setup.SECRET);
        Target x509 = Target.x509("(5) client-svid-x509, HTTPS", httpsSvid, Setup.REALM);
        Kinds created = new Kinds(secret, paddedSecret, svid, freshSvid, wit, clientJwt, nativeSpiffe, secretHttps, x509);
        for (Target t : created.all()) {
            checkOk(t);
        }
        return created;
    }

    /** Told of each measured segment: its kind and what the generator measured. */
    @FunctionalInterface
    interface SegmentObserver {
        SegmentObserver NONE = (t, r) -> {
        };

        void measured(Target t, LoadGenerator.Run run);
    }

    /**
     * The interleaved measurement: per concurrency of the configuration, {@code rounds} rounds of
     * every kind for {@code seconds}, in an order rotated by one per round, so that no kind always
     * follows the same other; one cell per kind and concurrency. {@code label} prefixes the progress lines.
     */
    Map<Integer, Map<Target, Cell>> interleave(List<Target> kinds, int rounds, double seconds, String label,
                                               SegmentObserver observer) throws InterruptedException {
        Map<Integer, Map<Target, Cell>> cells = new java.util.LinkedHashMap<>();
        for (int c : cfg.concurrencies) {
            Map<Target, Cell> row = new java.util.LinkedHashMap<>();
            for (Target t : kinds) {
                row.put(t, new Cell(t.name, c));
            }
            cells.put(c, row);
            for (int round = 0; round < rounds; round++) {
                Report.progress(label + "concurrency " + c + ", round " + (round + 1) + "/" + rounds + "…");
                for (int k = 0; k < kinds.size(); k++) {
                    Target t = kinds.get((k + round) % kinds.size());
                    observer.measured(t, measure(t, c, seconds, row));
                }
            }
        }
        return cells;
    }

    /** One measured segment of {@code t} at concurrency {@code c}, added to its cell of {@code row}. */
    LoadGenerator.Run measure(Target t, int c, double seconds, Map<Target, Cell> row) throws InterruptedException {
        return measure(gen, new long[] {pid}, allocation, t, c, seconds, row);
    }

    /**
     * One measured segment of {@code t} at concurrency {@code c} from {@code gen}, added to its
     * cell of {@code row}; the server CPU is that of the JVMs {@code serverPids}, summed, and the
     * server's allocation that of {@code allocation} (null: not measured). The allocation is read
     * outside the CPU window, so that the scrapes cost the CPU figures nothing.
     */
    static LoadGenerator.Run measure(LoadGenerator gen, long[] serverPids, ServerAllocation allocation, Target t, int c, double seconds,
                                     Map<Target, Cell> row) throws InterruptedException {
        double bestRate = row.values().stream().mapToDouble(Cell::throughput).max().orElse(0);
        long expected = (long) (Math.max(bestRate, 1500) * seconds * 1.3) + 64;
        t.prepare(expected);
        long a0 = allocation == null || allocation.perScrape() < 0 ? -1 : allocation.bytes();
        long s0 = cpuNanos(serverPids);
        long g0 = Proc.selfCpuNanos();
        long m0 = Proc.machineBusyNanos();
        LoadGenerator.Run r = gen.run(c, Duration.ofMillis((long) (seconds * 1000)), 0, t);
        long s1 = cpuNanos(serverPids);
        long g1 = Proc.selfCpuNanos();
        long m1 = Proc.machineBusyNanos();
        long a1 = a0 < 0 ? -1 : allocation.bytes();
        long allocated = a0 < 0 || a1 < 0 ? -1 : Math.max(0, a1 - a0 - allocation.perScrape());
        row.get(t).add(r, s1 - s0, g1 - g0, m1 - m0, t.unpreparedRequests(), allocated);
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
        String tls = checkOk(t, kc);
        if (tls != null) {
            tlsSessions.put(t, tls);
        }
    }

    /**
     * Fails unless {@code t}, sent to {@code server}, gets HTTP 200 with an access token.
     *
     * @return the TLS protocol and cipher suite of an HTTPS kind, else null
     */
    static String checkOk(Target t, KeycloakServer server) throws IOException {
        t.prepare(1);
        // the kind's transport, to this server's listener of the same scheme
        Transport there = t.transport.onPort(t.transport.tls == null ? server.httpPort() : server.httpsPort());
        try (Http1 connection = there.open()) {
            int status = connection.exchange(t.get());
            String body = connection.lastBody();
            if (status != 200 || !body.contains("\"access_token\"")) {
                throw new IllegalStateException(t.name + ": expected 200 with an access token from " + server.baseUrl() + ", got HTTP "
                        + status + " " + body + "\n--- last server log lines ---\n" + tail(server.logText(), 40));
            }
            String tls = connection.tlsSession();
            Report.progress(t.name + ": HTTP 200 with an access token from " + server.baseUrl() + (tls == null ? "" : " (" + tls + ")"));
            return tls;
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
