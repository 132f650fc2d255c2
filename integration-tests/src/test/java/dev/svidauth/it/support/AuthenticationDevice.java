package dev.svidauth.it.support;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The authentication device of CIBA for the tests: Keycloak's HTTP authentication channel
 * ({@code ciba-http-auth-channel}) POSTs each backchannel authentication request here, with a
 * bearer token that the device later presents at Keycloak's callback endpoint to report the
 * person's decision. Answers 201 as the channel expects, and hands every request to the test.
 */
public final class AuthenticationDevice implements AutoCloseable {

    /** One request Keycloak sent to the device: the bearer token for the callback, and the JSON body. */
    public record Request(String bearer, String body) {
    }

    private final HttpServer server;
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();

    private AuthenticationDevice(HttpServer server) {
        this.server = server;
    }

    static AuthenticationDevice start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            AuthenticationDevice device = new AuthenticationDevice(server);
            server.createContext("/ciba", exchange -> {
                try (InputStream in = exchange.getRequestBody()) {
                    String auth = exchange.getRequestHeaders().getFirst("Authorization");
                    String bearer = auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : null;
                    device.requests.add(new Request(bearer, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
                exchange.sendResponseHeaders(201, -1);
                exchange.close();
            });
            server.start();
            return device;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the CIBA authentication device", e);
        }
    }

    /** The URL Keycloak's HTTP authentication channel posts to. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/ciba");
    }

    /** The next request Keycloak sent, waiting up to 30 s. */
    public Request next() {
        try {
            Request r = requests.poll(30, TimeUnit.SECONDS);
            if (r == null) {
                throw new IllegalStateException("Keycloak sent no authentication request to the device within 30 s");
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
