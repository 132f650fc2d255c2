package dev.svidauth.it.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a request body on several threads until stopped and keeps count: requests, latencies and
 * every failure with its reason. Failures are what the body says they are (it knows what answer
 * each request deserved); an exception counts as a failure too.
 */
public final class Load implements AutoCloseable {

    /** What one request did: null when it got the answer it deserved, else why not. */
    @FunctionalInterface
    public interface Body {
        String run(int thread, long iteration) throws Exception;
    }

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicLong> tags = Collections.synchronizedMap(new TreeMap<>());
    private final CountDownLatch done;
    private final long startNanos = System.nanoTime();
    private volatile long stopNanos;

    private Load(int n, Body body) {
        done = new CountDownLatch(n);
        for (int t = 0; t < n; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                try {
                    for (long i = 0; running.get(); i++) {
                        long t0 = System.nanoTime();
                        String failure;
                        try {
                            failure = body.run(thread, i);
                        } catch (Exception | AssertionError e) {
                            failure = e.toString();
                        }
                        latencies.add(System.nanoTime() - t0);
                        if (failure != null) {
                            failures.add(failure);
                        }
                    }
                } finally {
                    done.countDown();
                }
            }, "load-" + t);
            th.setDaemon(true);
            threads.add(th);
        }
        threads.forEach(Thread::start);
    }

    public static Load start(int threads, Body body) {
        return new Load(threads, body);
    }

    /** Counts something by name (e.g. which key signed), for the report. */
    public void tag(String name) {
        tags.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
    }

    public Map<String, Long> tags() {
        Map<String, Long> out = new TreeMap<>();
        synchronized (tags) {
            tags.forEach((k, v) -> out.put(k, v.get()));
        }
        return out;
    }

    /** Stops the threads after their current request and waits for them. */
    public Load stop() {
        if (running.getAndSet(false)) {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopNanos = System.nanoTime();
        }
        return this;
    }

    public long requests() {
        return latencies.size();
    }

    public List<String> failures() {
        return new ArrayList<>(failures);
    }

    public Duration elapsed() {
        return Duration.ofNanos((stopNanos == 0 ? System.nanoTime() : stopNanos) - startNanos);
    }

    /** Latency percentile in milliseconds (0 < p <= 100). */
    double percentileMillis(double p) {
        List<Long> sorted = new ArrayList<>(latencies);
        if (sorted.isEmpty()) {
            return 0;
        }
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx))) / 1e6;
    }

    public double maxMillis() {
        return percentileMillis(100);
    }

    double rps() {
        return requests() / (elapsed().toNanos() / 1e9);
    }

    public String summary() {
        return String.format("requests=%d elapsed=%.1fs rps=%.1f p50=%.0fms p99=%.0fms max=%.0fms failures=%d",
                requests(), elapsed().toNanos() / 1e9, rps(), percentileMillis(50), percentileMillis(99), maxMillis(),
                failures.size());
    }

    @Override
    public void close() {
        stop();
    }
}
