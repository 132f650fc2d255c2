package dev.svidauth.bench;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load: {@code c} threads, each with its own keep-alive connection, send a request as
 * soon as the previous answer arrived, until a deadline or a request budget is reached. Latency is
 * measured per request from the first byte written to the last byte read. Each worker has one
 * connection per {@link Transport} (plain HTTP, HTTPS without or with a client certificate), kept
 * across runs, so that over HTTPS the handshake is not part of the per-request cost. Given the
 * ports of several servers (the nodes of a cluster), each worker keeps such a connection to every
 * one and sends its requests to them in turn, as a round-robin load balancer would, so that every
 * concurrency, 1 included, spreads its requests evenly.
 */
final class LoadGenerator implements Closeable {

    private final int maxConcurrency;
    /** The servers' ports; empty: each transport's own. */
    private final int[] nodePorts;
    /** Per transport: [worker][server]. */
    private final Map<Transport, Http1[][]> connections = new IdentityHashMap<>();

    LoadGenerator(int maxConcurrency) {
        this(maxConcurrency, new int[0]);
    }

    /** Spreads every transport's requests over the servers on {@code nodePorts} (same host, same TLS). */
    LoadGenerator(int maxConcurrency, int[] nodePorts) {
        this.maxConcurrency = maxConcurrency;
        this.nodePorts = nodePorts.clone();
    }

    private synchronized Http1[][] connections(Transport transport) {
        return connections.computeIfAbsent(transport, t -> {
            Http1[][] c = new Http1[maxConcurrency][];
            for (int i = 0; i < maxConcurrency; i++) {
                if (nodePorts.length == 0) {
                    c[i] = new Http1[] {t.open()};
                } else {
                    c[i] = Arrays.stream(nodePorts).mapToObj(port -> t.onPort(port).open()).toArray(Http1[]::new);
                }
            }
            return c;
        });
    }

    private static long connects(Http1[][] connections) {
        return Arrays.stream(connections).flatMap(Arrays::stream).mapToLong(Http1::connects).sum();
    }

    /** What one run produced. */
    static final class Run {
        final int concurrency;
        final long ok;
        final long errors;
        final long elapsedNanos;
        final long[] latencies;
        final String firstError;
        /** Connections the run had to open (over HTTPS, TLS handshakes inside the measured time). */
        final long connects;

        Run(int concurrency, long ok, long errors, long elapsedNanos, long[] latencies, String firstError, long connects) {
            this.concurrency = concurrency;
            this.ok = ok;
            this.errors = errors;
            this.elapsedNanos = elapsedNanos;
            this.latencies = latencies;
            this.firstError = firstError;
            this.connects = connects;
        }

        double throughput() {
            return ok / (elapsedNanos / 1e9);
        }
    }

    /**
     * Runs {@code target}'s requests on its transport until {@code duration} has passed or
     * {@code maxRequests} were sent (0: no budget). {@code target} must be thread-safe; it returns
     * the full HTTP request bytes.
     */
    Run run(int concurrency, Duration duration, long maxRequests, Target target) throws InterruptedException {
        if (concurrency > maxConcurrency) {
            throw new IllegalArgumentException("at most " + maxConcurrency + " concurrent connections");
        }
        Http1[][] connections = connections(target.transport);
        long connectsBefore = connects(connections);
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
                    byte[] request = target.get();
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
        long connects = connects(connections) - connectsBefore;
        return new Run(concurrency, totalOk, totalErr, end - start[0], all, error, connects);
    }

    @Override
    public synchronized void close() {
        for (Http1[][] perTransport : connections.values()) {
            for (Http1[] perWorker : perTransport) {
                for (Http1 c : perWorker) {
                    c.close();
                }
            }
        }
    }
}
