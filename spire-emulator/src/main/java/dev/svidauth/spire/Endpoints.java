package dev.svidauth.spire;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.svidauth.spire.SpireEmulator.Endpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The emulator's HTTP listener on {@code 127.0.0.1}: serves the {@link Documents} with the
 * response headers SPIRE sends, counts requests per endpoint, injects faults (delay, error
 * status, raw body, redirect) per endpoint, and can be stopped and restarted on the same port.
 * Requests run on a cached thread pool, so a delayed response never holds up another one.
 */
final class Endpoints {

    private static final Logger LOG = Logger.getLogger(SpireEmulator.class.getName());
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Map<Endpoint, EndpointState> endpoints = new EnumMap<>(Endpoint.class);
    private final ExecutorService executor;
    private final Object lock = new Object();
    private final int port;
    private final URI baseUrl;
    /** Guarded by {@link #lock}. */
    private HttpServer server;
    /** Guarded by {@link #lock}. */
    private boolean closed;
    /** Set by {@link #serve(Documents)} right after binding, before anyone knows the port. */
    private volatile Documents documents;

    /** Binds {@code wantedPort} (0: a free one) and starts listening. */
    Endpoints(int wantedPort) throws IOException {
        for (Endpoint e : Endpoint.values()) {
            endpoints.put(e, new EndpointState());
        }
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "spire-emulator-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HttpServer s;
        try {
            s = bind(wantedPort);
        } catch (IOException e) {
            executor.shutdownNow();
            throw e;
        }
        this.server = s;
        this.port = s.getAddress().getPort();
        this.baseUrl = URI.create("http://127.0.0.1:" + port);
    }

    void serve(Documents documents) {
        this.documents = Objects.requireNonNull(documents, "documents");
    }

    URI baseUrl() {
        return baseUrl;
    }

    int port() {
        return port;
    }

    // ------------------------------------------------------------------ faults

    void responseDelay(Duration delay, Endpoint... only) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay");
        }
        for (Endpoint e : targets(only)) {
            endpoints.get(e).delay = delay;
        }
    }

    void failWith(int status, Endpoint... only) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        String body = status == 204 || status == 304 || status < 200 ? null : "emulated failure: HTTP " + status + "\n";
        setFault(new Fault(status, body, "text/plain; charset=utf-8", null), only);
    }

    void serveRaw(String body, String contentType, Endpoint... only) {
        Objects.requireNonNull(body, "body");
        setFault(new Fault(200, body, contentType, null), only);
    }

    void redirectTo(String location, Endpoint... only) {
        Objects.requireNonNull(location, "location");
        setFault(new Fault(302, null, null, location), only);
    }

    void reset() {
        for (EndpointState s : endpoints.values()) {
            s.delay = Duration.ZERO;
            s.fault = null;
        }
    }

    private void setFault(Fault fault, Endpoint... only) {
        for (Endpoint e : targets(only)) {
            endpoints.get(e).fault = fault;
        }
    }

    private static Collection<Endpoint> targets(Endpoint... only) {
        return only == null || only.length == 0 ? Arrays.asList(Endpoint.values()) : Arrays.asList(only);
    }

    // ------------------------------------------------------------------ counters

    long requests(Endpoint endpoint) {
        return endpoints.get(endpoint).requests.get();
    }

    void resetCounters() {
        for (EndpointState s : endpoints.values()) {
            s.requests.set(0);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    void stop() {
        synchronized (lock) {
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }
    }

    void restart() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("emulator is closed");
            }
            stop();
            try {
                server = bind(port);
            } catch (IOException e) {
                throw new IllegalStateException("cannot listen on 127.0.0.1:" + port + " again", e);
            }
        }
    }

    boolean isRunning() {
        synchronized (lock) {
            return server != null;
        }
    }

    void close() {
        synchronized (lock) {
            stop();
            closed = true;
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HttpServer bind(int wanted) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted);
        BindException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                HttpServer s = HttpServer.create(address, 64);
                s.createContext("/", this::handle);
                s.setExecutor(executor);
                s.start();
                return s;
            } catch (BindException e) {
                if (wanted == 0) {
                    throw e;
                }
                last = e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw last != null ? last : new BindException("cannot bind " + address);
    }

    // ------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) {
        try {
            String path = ex.getRequestURI().getRawPath();
            Endpoint endpoint = switch (path) {
                case SpireEmulator.DISCOVERY_PATH -> Endpoint.DISCOVERY;
                case SpireEmulator.KEYS_PATH -> Endpoint.KEYS;
                case SpireEmulator.BUNDLE_PATH -> Endpoint.BUNDLE;
                default -> null;
            };
            if (endpoint == null) {
                sendText(ex, 404, "404 page not found\n");
                return;
            }
            EndpointState state = endpoints.get(endpoint);
            state.requests.incrementAndGet();
            Duration delay = state.delay;
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis());
            }
            Fault fault = state.fault;
            if (fault != null) {
                sendFault(ex, fault);
                return;
            }
            if (!"GET".equals(ex.getRequestMethod())) {
                sendText(ex, 405, endpoint == Endpoint.BUNDLE ? "405 method not allowed\n" : "method not allowed\n");
                return;
            }
            Documents docs = documents;
            if (docs == null) {
                sendText(ex, 503, "starting\n");
                return;
            }
            switch (endpoint) {
                case DISCOVERY -> serveDiscovery(ex, docs);
                case KEYS -> serveKeys(ex, docs);
                case BUNDLE -> serveBundle(ex, docs);
                default -> throw new IllegalStateException();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "SPIRE emulator could not answer " + ex.getRequestURI(), e);
        } finally {
            ex.close();
        }
    }

    /** Mirrors {@code serveWellKnown} of SPIRE's OIDC Discovery Provider (insecure scheme allowed). */
    private void serveDiscovery(HttpExchange ex, Documents docs) throws IOException {
        Headers in = ex.getRequestHeaders();
        String host = first(in, "X-Forwarded-Host");
        if (host == null) {
            host = first(in, "Host");
        }
        if (host == null) {
            host = baseUrl.getRawAuthority();
        }
        String proto = first(in, "X-Forwarded-Proto");
        if (proto == null) {
            proto = first(in, "X-Forwarded-Scheme");
        }
        String scheme = "https".equalsIgnoreCase(proto) ? "https" : "http";
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, docs.discovery(host, scheme));
    }

    /** Mirrors {@code serveKeys} of SPIRE's OIDC Discovery Provider, which uses {@code http.ServeContent}. */
    private void serveKeys(HttpExchange ex, Documents docs) throws IOException {
        Documents.KeySetDocument doc = docs.keySet();
        Headers out = ex.getResponseHeaders();
        out.set("Cache-Control", "no-cache, no-store, must-revalidate");
        out.set("Pragma", "no-cache");
        out.set("Expires", "0");
        Instant lastModified = doc.lastModified();
        out.set("Last-Modified", HTTP_DATE.format(lastModified));
        String ims = first(ex.getRequestHeaders(), "If-Modified-Since");
        if (ims != null && first(ex.getRequestHeaders(), "If-None-Match") == null) {
            try {
                Instant since = ZonedDateTime.parse(ims, HTTP_DATE).toInstant();
                if (!lastModified.isAfter(since)) {
                    send(ex, 304, null);
                    return;
                }
            } catch (DateTimeParseException ignored) {
                // Go ignores an unparsable If-Modified-Since too.
            }
        }
        out.set("Accept-Ranges", "bytes");
        out.set("Content-Type", "application/json");
        send(ex, 200, doc.body());
    }

    /** Mirrors SPIRE's bundle endpoint. */
    private void serveBundle(HttpExchange ex, Documents docs) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, docs.bundle());
    }

    private static void sendFault(HttpExchange ex, Fault fault) throws IOException {
        if (fault.location != null) {
            ex.getResponseHeaders().set("Location", fault.location);
            send(ex, fault.status, null);
            return;
        }
        if (fault.contentType != null) {
            ex.getResponseHeaders().set("Content-Type", fault.contentType);
        }
        send(ex, fault.status, fault.body == null ? null : fault.body.getBytes(StandardCharsets.UTF_8));
    }

    /** Like Go's {@code http.Error}. */
    private static void sendText(HttpExchange ex, int status, String text) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        send(ex, status, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        boolean head = "HEAD".equals(ex.getRequestMethod());
        if (body == null || body.length == 0 || head) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    private static String first(Headers headers, String name) {
        String v = headers.getFirst(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static final class EndpointState {
        final AtomicLong requests = new AtomicLong();
        volatile Duration delay = Duration.ZERO;
        volatile Fault fault;
    }

    private record Fault(int status, String body, String contentType, String location) {
    }
}
