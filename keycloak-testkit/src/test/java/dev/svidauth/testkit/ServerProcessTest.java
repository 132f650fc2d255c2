package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ServerProcessTest {

    /**
     * As kc.sh and its JVM: a shell with a child that ignores SIGTERM; a kill ends both at once. The
     * shell waits in a loop so that it can end only by a signal (a plain {@code wait} would let it exit
     * 0 on its own the moment its child is killed, before its own SIGKILL arrives).
     */
    @Test
    void aKillEndsTheWholeTreeAtOnceEvenAChildThatIgnoresSigterm() throws Exception {
        Process shell = new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 300 & echo $!; while :; do wait; done").start();
        long child;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.US_ASCII))) {
            child = Long.parseLong(out.readLine().strip());
        }
        assertThat(shell.descendants().map(ProcessHandle::pid).toList()).contains(child);

        long started = System.nanoTime();
        ServerProcess.killProcessTree(shell);

        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(5);
        assertThat(shell.isAlive()).isFalse();
        assertThat(shell.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
        assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)).as("the child").isFalse();
    }
}
