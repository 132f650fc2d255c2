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
