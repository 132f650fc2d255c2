package dev.svidauth.keycloak.runtime;

import com.sun.net.httpserver.HttpServer;
import dev.svidauth.keys.FetchedDocument;
import dev.svidauth.keys.KeySourceAddressGuard;
import dev.svidauth.keys.KeySourceException;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fetcher against a local HTTP server: address pinning, the SSRF guard, the size cap, the total deadline. */
class KeycloakKeyFetcherTest {

    private static final byte[] KEYS = "{\"keys\":[]}".getBytes(StandardCharsets.UTF_8);

    private HttpServer server;
    private CloseableHttpClient http;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong endlessBytesWritten = new AtomicLong();
    private final AtomicReference<String> lastHost = new AtomicReference<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/keys", ex -> {
            requests.incrementAndGet();
            lastHost.set(ex.getRequestHeaders().getFirst("Host"));
            ex.sendResponseHeaders(200, KEYS.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(KEYS);
            }
        });
        server.createContext("/endless", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(200, 0); // chunked, no Content-Length
            byte[] chunk = new byte[64 * 1024];
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 50 * 16; i++) { // up to 50 MiB
                    out.write(chunk);
                    endlessBytesWritten.addAndGet(chunk.length);
                }
            } catch (IOException expected) {
                // the fetcher hung up
            }
        });
        server.start();
        http = HttpClients.createDefault();
    }

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() throws IOException {
        http.close();
        server.stop(0);
        timer.shutdownNow();
    }

    private KeycloakKeyFetcher fetcher(Map<String, String> dns) {
        KeySourceAddressGuard guard = new KeySourceAddressGuard(false, host -> {
            String a = dns.get(host);
            if (a == null) {
                throw new UnknownHostException(host);
            }
            return new InetAddress[]{InetAddress.getByAddress(host, InetAddress.getByName(a).getAddress())};
        });
        return fetcher(guard, Duration.ofSeconds(7));
    }

    private KeycloakKeyFetcher fetcher(KeySourceAddressGuard guard, Duration total) {
        return new KeycloakKeyFetcher(http, Duration.ofSeconds(2), Duration.ofSeconds(5), total, 512 * 1024, guard, timer, "realm-a");
    }

    /**
     * A raw server that reads the request, then writes {@code bytes} one at a time every
     * {@code dripMillis}, and records when the client closed the connection (ms after accept; -1 while open).
     */
    private static final class Dripper implements AutoCloseable {
        final ServerSocket socket;
        final AtomicLong closedAfterMillis = new AtomicLong(-1);

        Dripper(byte[] head, byte[] bytes, long dripMillis) throws IOException {
            socket = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                try (Socket s = socket.accept()) {
                    long start = System.nanoTime();
                    try {
                        s.getInputStream().read(new byte[4096]);
                        s.getOutputStream().write(head);
                        for (int i = 0; i < 200; i++) {
                            s.getOutputStream().write(bytes[i % bytes.length]);
                            s.getOutputStream().flush();
                            Thread.sleep(dripMillis);
                        }
                    } catch (IOException closed) {
                        closedAfterMillis.set((System.nanoTime() - start) / 1_000_000);
                    }
                } catch (IOException | InterruptedException e) {
                    // test over
                }
            });
            t.setDaemon(true);
            t.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/keys");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * Headers dripped one byte at a time never trip the read timeout, and the
     * deadline used to be checked only between body reads. The fetch now ends at its total
     * deadline and the connection is closed then.
     */
    @Test
    void headersDrippedByteByByteEndAtTheTotalDeadlineAndTheConnectionIsClosed() throws Exception {
        try (Dripper dripper = new Dripper(new byte[0], "HTTP/1.1 200 OK\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                .getBytes(StandardCharsets.US_ASCII), 100)) {
            KeycloakKeyFetcher fetcher = fetcher(new KeySourceAddressGuard(false, KeySourceAddressGuard.SYSTEM), Duration.ofMillis(1000));
            long started = System.nanoTime();

            assertThatThrownBy(() -> fetcher.fetch(dripper.url()))
                    .isInstanceOf(KeySourceException.class)
                    .hasMessageContaining("did not finish its answer within 1000 ms")
                    .hasMessageContaining("key-source-fetch-timeout");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(Duration.ofMillis(3000));
            awaitClosed(dripper);
            assertThat(dripper.closedAfterMillis.get()).as("ms until the connection was closed").isBetween(900L, 3500L);
        }
    }

    @Test
    void aBodyDrippedByteByByteEndsAtTheTotalDeadline() throws Exception {
        byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Dripper dripper = new Dripper(head, "{\"keys\":[ ".getBytes(StandardCharsets.US_ASCII), 100)) {
            KeycloakKeyFetcher fetcher = fetcher(new KeySourceAddressGuard(false, KeySourceAddressGuard.SYSTEM), Duration.ofMillis(1000));
            long started = System.nanoTime();

            assertThatThrownBy(() -> fetcher.fetch(dripper.url())).isInstanceOf(KeySourceException.class)
                    .hasMessageContaining("did not finish its answer within 1000 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(3000));
            awaitClosed(dripper);
            assertThat(dripper.closedAfterMillis.get()).isBetween(900L, 3500L);
        }
    }

    @Test
    void aHostOutsideTheAllowlistIsRefusedWithoutAConnection() {
        KeycloakKeyFetcher fetcher = fetcher(new KeySourceAddressGuard(false, KeySourceAddressGuard.SYSTEM,
                java.util.List.of("*.example.org")), Duration.ofSeconds(2));

        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://127.0.0.1:" + port() + "/keys")))
                .isInstanceOf(KeySourceException.class).hasMessageContaining("key-source-allowed-hosts");
        assertThat(requests).hasValue(0);
        assertThat(fetcher.lane()).isEqualTo("realm-a");
    }

    /** The server side notices the close at its next write, one drip later. */
    private static void awaitClosed(Dripper dripper) throws InterruptedException {
        for (int i = 0; i < 40 && dripper.closedAfterMillis.get() < 0; i++) {
            Thread.sleep(100);
        }
    }

    private int port() {
        return server.getAddress().getPort();
    }

    @Test
    void connectsToTheCheckedAddressWhileSendingTheNameAsHost() throws Exception {
        // "spire.test" exists only in the guard's resolver: the fetch works only if the checked address is used.
        FetchedDocument doc = fetcher(Map.of("spire.test", "127.0.0.1")).fetch(URI.create("http://spire.test:" + port() + "/keys"));

        assertThat(doc.body()).isEqualTo(KEYS);
        assertThat(lastHost.get()).isEqualTo("spire.test:" + port());
    }

    @Test
    void nameResolvingToMetadataAddressIsRefusedWithoutAConnection() {
        KeycloakKeyFetcher fetcher = fetcher(Map.of("rebound.test", "169.254.169.254"));

        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://rebound.test:" + port() + "/keys")))
                .isInstanceOf(KeySourceException.class)
                .hasMessageContaining("resolves to 169.254.169.254");
        assertThat(requests).hasValue(0);
    }

    @Test
    void endlessChunkedBodyIsCutOffAtTheCapNotDrained() throws Exception {
        KeycloakKeyFetcher fetcher = fetcher(Map.of());
        long started = System.nanoTime();

        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://127.0.0.1:" + port() + "/endless")))
                .isInstanceOf(KeySourceException.class)
                .hasMessageContaining("sent more than 524288 bytes");
        Thread.sleep(300);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        // socket buffers hold a few MiB at most; reading the whole 50 MiB would be a drain
        assertThat(endlessBytesWritten.get()).isLessThan(16L * 1024 * 1024);
    }
}
