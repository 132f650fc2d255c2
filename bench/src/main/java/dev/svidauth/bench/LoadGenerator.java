package dev.svidauth.bench;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Closed-loop load: {@code c} threads, each with its own keep-alive connection, send a request as
 * soon as the previous answer arrived, until a deadline or a request budget is reached. Latency is
 * measured per request from the first byte written to the last byte read. Given the ports of
 * several servers (the nodes of a cluster), each thread keeps a connection to every one and
 * sends its requests to them in turn, as a round-robin load balancer would, so that every
 * concurrency, 1 included, spreads its requests evenly.
 */
final class LoadGenerator implements Closeable {

    /** [thread][server]. */
    private final Http1[][] connections;

    LoadGenerator(String host, int port, int maxConcurrency) {
        this(host, new int[] {port}, maxConcurrency);
    }

    LoadGenerator(String host, int[] ports, int maxConcurrency) {
        this.connections = new Http1[maxConcurrency][ports.length];
        for (int i = 0; i < maxConcurrency; i++) {
            for (int n = 0; n < ports.length; n++) {
                connections[i][n] = new Http1(host, ports[n]);
            }
        }
    }

    /** What one run produced. */
    static final class Run {
        final int concurrency;
        final long ok;
        final long errors;
        final long elapsedNanos;
        final long[] latencies;
        final String firstError;

        Run(int concurrency, long ok, long errors, long elapsedNanos, long[] latencies, String firstError) {
            this.concurrency = concurrency;
            this.ok = ok;
            this.errors = errors;
            this.elapsedNanos = elapsedNanos;
            this.latencies = latencies;
            this.firstError = firstError;
        }

        double throughput() {
            return ok / (elapsedNanos / 1e9);
        }
    }

    /**
     * Runs until {@code duration} has passed or {@code maxRequests} were sent (0: no budget).
     * {@code requests} must be thread-safe; it returns the full HTTP request bytes.
     */
    Run run(int concurrency, Duration duration, long maxRequests, Supplier<byte[]> requests) throws InterruptedException {
        if (concurrency > connections.length) {
            throw new IllegalArgumentException("at most " + connections.length + " concurrent connections");
        }
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong budget = new AtomicLong(maxRequests > 0 ? maxRequests : Long.MAX_VALUE);
        long[][] lat = new long[concurrency][];
        long[] ok = new long[concurrency];
        long[] err = new long[concurrency];
        long[] ends = new long[concurrency];
        String[] firstError = new String[concurrency];
        long[] start = new long[1];
        List<Thread> threads = new ArrayList<>();
        long durationNanos = duration.toNanos();
        for (int w = 0; w < concurrency; w++) {
            final int worker = w;
            Thread t = new Thread(() -> {
                Http1[] conns = connections[worker];
                long[] mine = new long[4096];
                int n = 0;
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long deadline = start[0] + durationNanos;
                for (int sent = worker; System.nanoTime() < deadline && budget.getAndDecrement() > 0; sent++) {
                    Http1 conn = conns[sent % conns.length];
                    byte[] request = requests.get();
                    long t0 = System.nanoTime();
                    int status;
                    try {
                        status = conn.exchange(request);
                    } catch (IOException | RuntimeException e) {
                        conn.close();
                        err[worker]++;
                        if (firstError[worker] == null) {
                            firstError[worker] = e.toString();
                        }
                        continue;
                    }
                    long t1 = System.nanoTime();
                    if (status == 200) {
                        if (n == mine.length) {
                            mine = Arrays.copyOf(mine, n * 2);
                        }
                        mine[n++] = t1 - t0;
                        ok[worker]++;
                    } else {
                        err[worker]++;
                        if (firstError[worker] == null) {
                            firstError[worker] = "HTTP " + status + " " + conn.lastBody();
                        }
                    }
                }
                ends[worker] = System.nanoTime();
                lat[worker] = Arrays.copyOf(mine, n);
            }, "load-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        start[0] = System.nanoTime();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        long end = Arrays.stream(ends).max().orElse(start[0]);
        long totalOk = Arrays.stream(ok).sum();
        long totalErr = Arrays.stream(err).sum();
        int size = 0;
        for (long[] l : lat) {
            size += l == null ? 0 : l.length;
        }
        long[] all = new long[size];
        int at = 0;
        for (long[] l : lat) {
            if (l != null) {
                System.arraycopy(l, 0, all, at, l.length);
                at += l.length;
            }
        }
        String error = Arrays.stream(firstError).filter(e -> e != null).findFirst().orElse(null);
        return new Run(concurrency, totalOk, totalErr, end - start[0], all, error);
    }

    @Override
    public void close() {
        for (Http1[] mine : connections) {
            for (Http1 c : mine) {
                c.close();
            }
        }
    }
}
