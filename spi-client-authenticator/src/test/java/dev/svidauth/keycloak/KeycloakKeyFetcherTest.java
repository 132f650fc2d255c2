package dev.svidauth.keycloak;

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
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fetcher against a local HTTP server: address pinning, the SSRF guard, the size cap. */
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

    @AfterEach
    void stop() throws IOException {
        http.close();
        server.stop(0);
    }

    private KeycloakKeyFetcher fetcher(Map<String, String> dns) {
        KeySourceAddressGuard guard = new KeySourceAddressGuard(false, host -> {
            String a = dns.get(host);
            if (a == null) {
                throw new UnknownHostException(host);
            }
            return new InetAddress[]{InetAddress.getByAddress(host, InetAddress.getByName(a).getAddress())};
        });
        return new KeycloakKeyFetcher(http, Duration.ofSeconds(2), Duration.ofSeconds(5), 512 * 1024, guard);
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
