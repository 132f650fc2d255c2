package dev.svidauth.keycloak;

import dev.svidauth.keys.FetchedDocument;
import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceException;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.client.CloseableHttpClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches key-source documents through Keycloak's own HTTP client (so its truststore and proxy
 * settings apply), with bounded connect and read timeouts, a bounded total time and body size,
 * and no redirects: a key source that redirects elsewhere is refused, never followed, so a
 * compromised or misconfigured endpoint cannot point Keycloak at another host's keys.
 */
final class KeycloakKeyFetcher implements KeyFetcher {

    private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age\\s*=\\s*\"?(\\d{1,9})\"?");

    private final CloseableHttpClient client;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final long maxBytes;

    KeycloakKeyFetcher(CloseableHttpClient client, Duration connectTimeout, Duration readTimeout, long maxBytes) {
        this.client = client;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxBytes = maxBytes;
    }

    @Override
    public FetchedDocument fetch(URI uri) throws KeySourceException {
        HttpGet get = new HttpGet(uri);
        get.setConfig(RequestConfig.custom()
                .setConnectTimeout((int) connectTimeout.toMillis())
                .setConnectionRequestTimeout((int) connectTimeout.toMillis())
                .setSocketTimeout((int) readTimeout.toMillis())
                .setRedirectsEnabled(false)
                .build());
        get.setHeader("Accept", "application/json, application/jwk-set+json");
        long deadline = System.nanoTime() + connectTimeout.plus(readTimeout).toNanos();
        try (CloseableHttpResponse response = client.execute(get)) {
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
            byte[] body = read(entity.getContent(), uri, deadline);
            return new FetchedDocument(body, maxAge(response.getFirstHeader("Cache-Control")));
        } catch (IOException e) {
            throw new KeySourceException("key source " + uri + " could not be fetched: " + e, e);
        }
    }

    private byte[] read(InputStream in, URI uri, long deadline) throws IOException, KeySourceException {
        try (InputStream body = in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = body.read(buf)) >= 0) {
                if (out.size() + n > maxBytes) {
                    throw new KeySourceException("key source " + uri + " sent more than " + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
                if (System.nanoTime() > deadline) {
                    throw new KeySourceException("key source " + uri + " did not finish its answer within "
                            + connectTimeout.plus(readTimeout).toMillis() + " ms");
                }
            }
            return out.toByteArray();
        }
    }

    static Duration maxAge(Header cacheControl) {
        if (cacheControl == null) {
            return null;
        }
        Matcher m = MAX_AGE.matcher(cacheControl.getValue().toLowerCase(Locale.ROOT));
        return m.find() ? Duration.ofSeconds(Long.parseLong(m.group(1))) : null;
    }
}
