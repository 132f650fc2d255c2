package dev.svidauth.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A minimal blocking HTTP/1.1 client on one keep-alive connection: the load generator's only
 * per-request work is writing pre-built request bytes and reading the answer, so its own cost
 * stays small next to the server's. Loopback only. Over HTTPS ({@link Transport#tls}) the socket is
 * an {@link SSLSocket} of the client's context whose handshake (server certificate checked
 * against 127.0.0.1, client certificate presented if the context has one) completes when it
 * connects; requests then reuse the session like any keep-alive connection.
 */
final class Http1 implements Closeable {

    private final Transport transport;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final byte[] line = new byte[8192];
    private final ByteArrayOutputStream body = new ByteArrayOutputStream(4096);
    private final byte[] chunk = new byte[8192];
    private long reconnects;
    private long connects;

    Http1(Transport transport) {
        this.transport = transport;
    }

    /** Builds a form POST with keep-alive. */
    static byte[] formPost(String host, int port, String path, String form) {
        return formPost(host, port, path, form, java.util.Map.of());
    }

    /** As {@link #formPost(String, int, String, String)}, with {@code headers} after the usual ones, in their map's order. */
    static byte[] formPost(String host, int port, String path, String form, java.util.Map<String, String> headers) {
        byte[] b = form.getBytes(StandardCharsets.US_ASCII);
        StringBuilder extra = new StringBuilder();
        headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + host + ":" + port + "\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\n"
                + "Accept: application/json\r\n"
                + extra
                + "Content-Length: " + b.length + "\r\n"
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + b.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return all;
    }

    long reconnects() {
        return reconnects;
    }

    /** Connections opened so far (over HTTPS: full TLS handshakes). */
    long connects() {
        return connects;
    }

    /** Sends the request and reads the whole answer; returns the status. A connection the server closed while idle is reopened once. */
    int exchange(byte[] request) throws IOException {
        boolean fresh = socket == null;
        if (fresh) {
            connect();
        }
        try {
            return send(request);
        } catch (IOException e) {
            if (fresh) {
                throw e;
            }
            close();
            reconnects++;
            connect();
            return send(request);
        }
    }

    /** Over HTTPS, the connected session's protocol and cipher suite, and whether a client certificate went out; else null. */
    String tlsSession() {
        if (!(socket instanceof SSLSocket tls)) {
            return null;
        }
        javax.net.ssl.SSLSession session = tls.getSession();
        java.security.cert.Certificate[] mine = session.getLocalCertificates();
        return session.getProtocol() + " " + session.getCipherSuite() + ", "
                + (mine == null ? "no client certificate" : "client certificate presented");
    }

    /** The body of the last answer (for error messages). */
    String lastBody() {
        return body.toString(StandardCharsets.UTF_8);
    }

    private void connect() throws IOException {
        Socket s = transport.tls == null ? new Socket() : transport.tls.getSocketFactory().createSocket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(60_000);
        s.connect(new InetSocketAddress(transport.host, transport.port), 5_000);
        if (s instanceof SSLSocket tls) {
            SSLParameters params = tls.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            tls.setSSLParameters(params);
            try {
                tls.startHandshake();
            } catch (IOException e) {
                s.close();
                throw e;
            }
        }
        socket = s;
        connects++;
        in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
        out = s.getOutputStream();
    }

    private int send(byte[] request) throws IOException {
        out.write(request);
        out.flush();
        String status = readLine();
        if (status == null) {
            throw new EOFException("connection closed before the status line");
        }
        int sp = status.indexOf(' ');
        int code = Integer.parseInt(status.substring(sp + 1, sp + 4));
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        String h;
        while ((h = readLine()) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                length = Long.parseLong(value);
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
                close = true;
            }
        }
        body.reset();
        if (chunked) {
            while (true) {
                String size = readLine();
                if (size == null) {
                    throw new EOFException("connection closed inside a chunked body");
                }
                int semi = size.indexOf(';');
                long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (n == 0) {
                    while ((h = readLine()) != null && !h.isEmpty()) {
                        // trailers
                    }
                    break;
                }
                copy(n);
                readLine();
            }
        } else if (length >= 0) {
            copy(length);
        } else {
            close = true;
            int r;
            while ((r = in.read(chunk)) > 0) {
                body.write(chunk, 0, r);
            }
        }
        if (close) {
            close();
        }
        return code;
    }

    private void copy(long n) throws IOException {
        while (n > 0) {
            int r = in.read(chunk, 0, (int) Math.min(chunk.length, n));
            if (r < 0) {
                throw new EOFException("connection closed inside the body");
            }
            body.write(chunk, 0, r);
            n -= r;
        }
    }

    private String readLine() throws IOException {
        int n = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return n == 0 ? null : new String(line, 0, n, StandardCharsets.ISO_8859_1);
            }
            if (c == '\n') {
                if (n > 0 && line[n - 1] == '\r') {
                    n--;
                }
                return new String(line, 0, n, StandardCharsets.ISO_8859_1);
            }
            if (n < line.length) {
                line[n++] = (byte) c;
            }
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
