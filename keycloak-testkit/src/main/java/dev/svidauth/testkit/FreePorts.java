package dev.svidauth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks free TCP ports on the loopback interface: binds port 0, reads the port the system chose,
 * and closes the socket again. All sockets of one call stay open until every port is chosen, so
 * the ports of one call are distinct.
 */
public final class FreePorts {

    private FreePorts() {
    }

    /** One free loopback port. */
    public static int pick() {
        return pick(1)[0];
    }

    /** Lowest and highest port {@link #pickLow} returns. */
    static final int LOW_FIRST = 7800;
    static final int LOW_LAST = 15000;

    /**
     * A free loopback port between {@value #LOW_FIRST} and {@value #LOW_LAST} such that
     * {@code port + offset} is free too: JGroups' FD_SOCK2 failure detection listens at the
     * transport's port plus an offset (50000 in Keycloak's stacks), so the transport port must
     * leave room below 65536. Tries at most the whole range, starting at a random port.
     */
    public static int pickLow(int offset) {
        int span = LOW_LAST - LOW_FIRST + 1;
        int start = java.util.concurrent.ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = LOW_FIRST + (start + i) % span;
            if (port + offset <= 65535 && free(port) && (offset == 0 || free(port + offset))) {
                return port;
            }
        }
        throw new IllegalStateException("no free loopback port between " + LOW_FIRST + " and " + LOW_LAST);
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code count} distinct free loopback ports. */
    public static int[] pick(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1: " + count);
        }
        List<ServerSocket> sockets = new ArrayList<>(count);
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                sockets.add(socket);
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free loopback port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing to do: the port was only probed
                }
            }
        }
    }
}
