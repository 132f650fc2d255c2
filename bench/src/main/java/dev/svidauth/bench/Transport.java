package dev.svidauth.bench;

import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * Where a kind's requests go and how: plain HTTP to Keycloak's HTTP listener, or HTTPS to its
 * HTTPS listener with the client's own TLS context (trusting the server, presenting the client's
 * certificate when it has one). The load generator keeps one keep-alive connection per worker and
 * transport, so a TLS handshake happens once per connection, not per request. Compared by
 * identity: two kinds share connections only when they share the transport object.
 */
final class Transport {

    final String host;
    final int port;
    /** null for plain HTTP. */
    final SSLContext tls;
    private final String description;

    private Transport(String host, int port, SSLContext tls, String description) {
        if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
            throw new IllegalArgumentException("load only ever targets the loopback interface, not " + host);
        }
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.description = description;
    }

    static Transport http(String host, int port) {
        return new Transport(host, port, null, "http://" + host + ":" + port);
    }

    /** HTTPS with {@code tls}; {@code who} names the client side in messages (e.g. "no client certificate"). */
    static Transport https(String host, int port, SSLContext tls, String who) {
        return new Transport(host, port, Objects.requireNonNull(tls, "tls"), "https://" + host + ":" + port + " (" + who + ")");
    }

    /** The same transport (host, TLS context) to another server's port: another node of a cluster. */
    Transport onPort(int otherPort) {
        return new Transport(host, otherPort, tls, description.replace(":" + port, ":" + otherPort));
    }

    /** A new, not yet connected client on this transport. */
    Http1 open() {
        return new Http1(this);
    }

    @Override
    public String toString() {
        return description;
    }
}
