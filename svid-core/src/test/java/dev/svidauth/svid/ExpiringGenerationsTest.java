package dev.svidauth.svid;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExpiringGenerationsTest {

    private static final long NOW = 1_000_000L;

    private static ExpiringGenerations<String, Long> cache(int max) {
        return new ExpiringGenerations<>(max, Long::longValue);
    }

    @Test
    void anEntryLivesUntilItsExpiry() {
        ExpiringGenerations<String, Long> c = cache(10);
        c.put("a", NOW + 10);
        assertThat(c.get("a", NOW)).isEqualTo(NOW + 10);
        assertThat(c.get("a", NOW + 10)).isNull();
        assertThat(c.size()).as("the expired entry is dropped when found").isZero();
        assertThat(c.get("missing", NOW)).isNull();
    }

    @Test
    void theBoundHoldsUnderAStreamOfOneTimeEntries() {
        ExpiringGenerations<String, Long> c = cache(100);
        for (int i = 0; i < 10_000; i++) {
            c.put("once-" + i, NOW + 1_000);
            assertThat(c.size()).isLessThanOrEqualTo(100);
        }
        assertThat(c.get("once-0", NOW)).as("long gone").isNull();
        assertThat(c.get("once-9999", NOW)).isNotNull();
    }

    @Test
    void anEntryStillAskedForOutlivesTheGenerationItWasStoredIn() {
        ExpiringGenerations<String, Long> c = cache(100);
        c.put("reused", NOW + 1_000);
        for (int i = 0; i < 10_000; i++) {
            c.put("once-" + i, NOW + 1_000);
            if (i % 25 == 0) {
                assertThat(c.get("reused", NOW)).as("after %d one-time entries", i).isNotNull();
            }
        }
        assertThat(c.get("reused", NOW)).isNotNull();
    }

    @Test
    void anEntryFoundInTheOldGenerationButExpiredIsDropped() {
        ExpiringGenerations<String, Long> c = cache(2);
        c.put("short", NOW + 1);
        c.put("next", NOW + 100); // "short" is in the old generation now
        assertThat(c.get("short", NOW + 1)).isNull();
        assertThat(c.size()).isEqualTo(1);
    }

    @Test
    void clearDropsEverything() {
        ExpiringGenerations<String, Long> c = cache(4);
        c.put("a", NOW + 10);
        c.put("b", NOW + 10);
        c.put("c", NOW + 10);
        c.clear();
        assertThat(c.size()).isZero();
        assertThat(c.get("a", NOW)).isNull();
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThatThrownBy(() -> cache(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentWritersKeepItBoundedAndReadersFindReusedEntries() throws Exception {
        ExpiringGenerations<String, Long> c = cache(1_000);
        c.put("reused", NOW + 1_000);
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 20_000; i++) {
                        c.put(id + "-" + i, NOW + 1_000);
                        if (i % 50 == 0 && c.get("reused", NOW) == null) {
                            failures.add(new AssertionError("reused entry lost at " + i));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            workers.add(w);
            w.start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertThat(failures).isEmpty();
        // each generation may pass its half by at most one entry per inserting thread
        assertThat(c.size()).isLessThanOrEqualTo(1_000 + 2 * threads);
    }
}
