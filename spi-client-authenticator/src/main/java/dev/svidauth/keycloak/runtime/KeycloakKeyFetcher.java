package dev.svidauth.keycloak.runtime;

import dev.svidauth.keys.FetchedDocument;
import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceAddressGuard;
import dev.svidauth.keys.KeySourceException;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpHost;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.conn.ConnectTimeoutException;
import org.apache.http.conn.HttpHostConnectException;
import org.apache.http.impl.client.CloseableHttpClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches key-source documents through Keycloak's own HTTP client (so its truststore and proxy
 * settings apply), with bounded connect and read timeouts, a bounded body size, and no redirects:
 * a key source that redirects elsewhere is refused, never followed, so a compromised or
 * misconfigured endpoint cannot point Keycloak at another host's keys. Hosts that are or resolve
 * to link-local or cloud-metadata addresses, or that the allowlist does not name, are refused
 * ({@link KeySourceAddressGuard}).
 *
 * <p><b>Total deadline.</b> One fetch (every address tried, connect, status line, headers and
 * body) ends at {@code fetchTimeout} after it started: a timer aborts the exchange at that moment,
 * which closes the socket whatever the fetch is waiting for. Per-read timeouts alone cannot bound
 * a source that sends one byte just before each read timeout, for as long as it likes. Name resolution before the
 * connection is the one step a timer cannot interrupt; it counts towards the deadline.
 */
final class KeycloakKeyFetcher implements KeyFetcher {

    private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age\\s*=\\s*\"?(\\d{1,9})\"?");

    private final CloseableHttpClient client;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final long maxBytes;
    private final KeySourceAddressGuard guard;
    private final Duration fetchTimeout;
    private final ScheduledExecutorService timer;
    private final String lane;

    /**
     * @param fetchTimeout the total deadline of one fetch
     * @param timer        runs the abort at the deadline
     * @param lane         the {@link dev.svidauth.keys.FetchScheduler} lane (the realm) these fetches count against
     */
    KeycloakKeyFetcher(CloseableHttpClient client, Duration connectTimeout, Duration readTimeout, Duration fetchTimeout,
                       long maxBytes, KeySourceAddressGuard guard, ScheduledExecutorService timer, String lane) {
        this.client = client;
        this.guard = guard;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.fetchTimeout = fetchTimeout;
        this.maxBytes = maxBytes;
        this.timer = timer;
        this.lane = lane;
    }

    @Override
    public String lane() {
        return lane;
    }

    /** The exchange under way, which the deadline aborts; aborting an exchange not started yet makes it fail at once. */
    private static final class Exchange {
        private HttpGet current;
        private boolean expired;

        synchronized void begin(HttpGet get) {
            current = get;
            if (expired) {
                get.abort();
            }
        }

        synchronized void expire() {
            expired = true;
            if (current != null) {
                current.abort();
            }
        }

        synchronized boolean expired() {
            return expired;
        }
    }

    @Override
    public FetchedDocument fetch(URI uri) throws KeySourceException {
        long deadline = System.nanoTime() + fetchTimeout.toNanos();
        // Refused hosts never see a connection; allowed ones are connected to at the very addresses
        // that were checked, so a DNS answer changing in between cannot move the fetch elsewhere.
        List<InetAddress> addresses = guard.addressesFor(uri);
        Exchange exchange = new Exchange();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw overdue(uri);
        }
        ScheduledFuture<?> abort = timer.schedule(exchange::expire, left, TimeUnit.NANOSECONDS);
        try {
            if (addresses.isEmpty()) {
                return fetchFrom(uri, null, deadline, exchange);
            }
            IOException last = null;
            for (InetAddress address : addresses) {
                try {
                    return fetchFrom(uri, new HttpHost(address, uri.getHost(), port(uri), uri.getScheme()), deadline, exchange);
                } catch (HttpHostConnectException | ConnectTimeoutException e) {
                    last = e; // nothing was sent: try the host's next address, as the HTTP client itself would
                    if (System.nanoTime() > deadline) {
                        break;
                    }
                }
            }
            throw last;
        } catch (IOException e) {
            if (exchange.expired()) {
                throw overdue(uri);
            }
            throw new KeySourceException("key source " + uri + " could not be fetched: " + e, e);
        } finally {
            abort.cancel(false);
        }
    }

    private KeySourceException overdue(URI uri) {
        return new KeySourceException("key source " + uri + " did not finish its answer within " + fetchTimeout.toMillis()
                + " ms (" + SvidAuthOptions.FETCH_TIMEOUT + "); the connection was closed");
    }

    /** One exchange, with {@code target} (a checked address) or, when null, the address the HTTP client resolves. */
    private FetchedDocument fetchFrom(URI uri, HttpHost target, long deadline, Exchange exchange)
            throws IOException, KeySourceException {
        HttpGet get = request(uri);
        exchange.begin(get);
        try (CloseableHttpResponse response = target == null ? client.execute(get) : client.execute(target, get)) {
            return document(uri, get, response, deadline);
        }
    }

    private HttpGet request(URI uri) {
        HttpGet get = new HttpGet(uri);
        get.setConfig(RequestConfig.custom()
                .setConnectTimeout((int) connectTimeout.toMillis())
                .setConnectionRequestTimeout((int) connectTimeout.toMillis())
                .setSocketTimeout((int) readTimeout.toMillis())
                .setRedirectsEnabled(false)
                .build());
        get.setHeader("Accept", "application/json, application/jwk-set+json");
        return get;
    }

    private FetchedDocument document(URI uri, HttpGet get, CloseableHttpResponse response, long deadline)
            throws IOException, KeySourceException {
        int status = response.getStatusLine().getStatusCode();
        if (status != 200) {
            Header location = response.getFirstHeader("Location");
            throw new KeySourceException("key source " + uri + " answered HTTP " + status
                    + (location != null ? " (redirect to " + location.getValue() + " not followed)" : ""));
        }
        HttpEntity entity = response.getEntity();
        if (entity == null) {
            throw new KeySourceException("key source " + uri + " answered with an empty body");
        }
        if (entity.getContentLength() > maxBytes) {
            throw new KeySourceException("key source " + uri + " sent " + entity.getContentLength()
                    + " bytes; at most " + maxBytes + " are read");
        }
        byte[] body = read(entity.getContent(), get, uri, deadline);
        return new FetchedDocument(body, maxAge(response.getFirstHeader("Cache-Control")));
    }

    private static int port(URI uri) {
        if (uri.getPort() > 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /**
     * Reads at most {@code maxBytes} before the deadline. Giving up aborts the exchange: closing
     * the stream normally would read the rest of the body to reuse the connection, which for an
     * endless or dripping body is exactly what the limits are there to prevent.
     */
    private byte[] read(InputStream in, HttpGet get, URI uri, long deadline) throws IOException, KeySourceException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (out.size() + n > maxBytes) {
                get.abort();
                throw new KeySourceException("key source " + uri + " sent more than " + maxBytes + " bytes");
            }
            out.write(buf, 0, n);
            if (System.nanoTime() > deadline) {
                get.abort();
                throw overdue(uri);
            }
        }
        in.close();
        return out.toByteArray();
    }

    static Duration maxAge(Header cacheControl) {
        if (cacheControl == null) {
            return null;
        }
        Matcher m = MAX_AGE.matcher(cacheControl.getValue().toLowerCase(Locale.ROOT));
        return m.find() ? Duration.ofSeconds(Long.parseLong(m.group(1))) : null;
    }
}
