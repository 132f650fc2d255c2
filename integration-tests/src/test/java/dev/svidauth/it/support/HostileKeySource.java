package dev.svidauth.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A key source served from the test over a raw socket, misbehaving on purpose: it drips its
 * response headers, hangs after reading the request, drips its body, or serves a fixed document.
 * It records, per connection, how long the server under test kept the connection open, so a test
 * can tell whether the server closed it at its deadline.
 */
public final class HostileKeySource implements AutoCloseable {

    /** How the source answers. */
    public enum Mode {
        /** The status line and headers, one byte every {@link #DRIP} (never a complete header block). */
        DRIP_HEADERS,
        /** Reads the request, then sends nothing. */
        HANG,
        /** Complete headers announcing a large body, then the body one byte every {@link #DRIP}. */
        SLOW_BODY,
        /** The document given, at once, then the connection is closed. */
        DOCUMENT
    }

    /** Interval between two dripped bytes. */
    static final Duration DRIP = Duration.ofMillis(500);
    /** How long a misbehaving connection is kept at most from this side. */
    static final Duration GIVE_UP = Duration.ofSeconds(60);

    private final Mode mode;
    private final byte[] document;
    private final ServerSocket server;
    private final List<Long> heldMillis = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile boolean closed;

    private HostileKeySource(Mode mode, byte[] document) throws IOException {
        this.mode = mode;
        this.document = document;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "hostile-key-source-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static HostileKeySource start(Mode mode) {
        return start(mode, null);
    }

    public static HostileKeySource serving(String document) {
        return start(Mode.DOCUMENT, document.getBytes(StandardCharsets.UTF_8));
    }

    private static HostileKeySource start(Mode mode, byte[] document) {
        try {
            return new HostileKeySource(mode, document);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key-source URL ({@code /keys}) on this machine's loopback address. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/keys");
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** For each connection that has ended, how long it was open (ms), in the order they ended. */
    public List<Long> heldMillis() {
        return List.copyOf(heldMillis);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s), "hostile-key-source-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        long start = System.nanoTime();
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            readRequestHead(in);
            switch (mode) {
                case DRIP_HEADERS -> drip(out, ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: "
                        + "x".repeat(400)).getBytes(StandardCharsets.US_ASCII), start);
                case HANG -> {
                    socket.setSoTimeout((int) GIVE_UP.toMillis());
                    while (in.read() >= 0) {
                        // a closed connection ends the read
                    }
                }
                case SLOW_BODY -> {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    drip(out, ("{\"keys\":[" + " ".repeat(400)).getBytes(StandardCharsets.US_ASCII), start);
                }
                case DOCUMENT -> {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + document.length
                            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(document);
                    out.flush();
                    socket.shutdownOutput();
                    socket.setSoTimeout(5000);
                    while (in.read() >= 0) {
                        // until the client closes
                    }
                }
            }
        } catch (IOException e) {
            // the peer closed the connection: what the misbehaving modes wait for
        } finally {
            heldMillis.add((System.nanoTime() - start) / 1_000_000);
        }
    }

    /** Writes one byte each DRIP until the peer has closed (a write fails) or GIVE_UP has passed. */
    private void drip(OutputStream out, byte[] bytes, long start) throws IOException {
        int i = 0;
        while (System.nanoTime() - start < GIVE_UP.toNanos() && !closed) {
            out.write(bytes[i++ % bytes.length]);
            out.flush();
            OwnKeySource.sleep(DRIP);
        }
    }

    private static void readRequestHead(InputStream in) throws IOException {
        int state = 0;
        int b;
        while ((b = in.read()) >= 0) {
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1, 3 -> b == '\n' ? state + 1 : (b == '\r' ? 1 : 0);
                default -> 0;
            };
            if (state == 4) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
