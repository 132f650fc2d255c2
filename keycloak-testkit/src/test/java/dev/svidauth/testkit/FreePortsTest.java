package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void picksDistinctUsablePorts() throws Exception {
        int[] ports = FreePorts.pick(3);

        assertThat(ports).hasSize(3);
        assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(3);
        for (int port : ports) {
            assertThat(port).isBetween(1, 65535);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                assertThat(socket.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void picksOne() {
        assertThat(FreePorts.pick()).isPositive();
    }

    @Test
    void rejectsNonPositiveCount() {
        assertThatThrownBy(() -> FreePorts.pick(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void picksALowPortWhoseOffsetPortIsFreeToo() throws Exception {
        int port = FreePorts.pickLow(50000);
        assertThat(port).isBetween(FreePorts.LOW_FIRST, FreePorts.LOW_LAST);
        for (int p : new int[] {port, port + 50000}) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                assertThat(socket.getLocalPort()).isEqualTo(p);
            }
        }
    }
}
