package dev.svidauth.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fair scheduling of key-source fetches: per-realm share, one thread per key source, lanes in turn. */
class FetchSchedulerTest {

    private final List<CountDownLatch> blockers = new ArrayList<>();
    private FetchScheduler scheduler;

    @AfterEach
    void stop() {
        blockers.forEach(CountDownLatch::countDown);
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private FetchScheduler scheduler(int threads, int perLane) {
        scheduler = new FetchScheduler(threads, perLane, 100, r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        return scheduler;
    }

    /** A task that blocks until released (a hanging key source) and counts down {@code started} when it runs. */
    private Runnable hanging(CountDownLatch started) {
        CountDownLatch release = new CountDownLatch(1);
        blockers.add(release);
        return () -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Test
    void aRealmWhoseSourcesAllHangKeepsItsShareAndAnotherRealmStillRunsAtOnce() throws Exception {
        FetchScheduler s = scheduler(4, 2);
        CountDownLatch hostileStarted = new CountDownLatch(10);
        for (int i = 0; i < 10; i++) {
            s.submit("realm-a", "https://hostile-" + i, hanging(hostileStarted));
        }
        CountDownLatch other = new CountDownLatch(1);

        s.submit("realm-b", "https://healthy", other::countDown);

        // generous waits: each ends as soon as its condition holds, so only a loaded machine waits long
        assertThat(other.await(30, TimeUnit.SECONDS)).as("realm-b's fetch ran").isTrue();
        // realm-a's two threads were handed their fetches before realm-b's; on a loaded machine
        // they may not have reached their first line yet: wait for them, then see no third start
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (hostileStarted.getCount() > 8 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50);
        assertThat(hostileStarted.getCount()).as("realm-a fetches not started").isEqualTo(8);
        assertThat(s.waiting()).isEqualTo(8);
    }

    @Test
    void withTheOldSingleQueueTheOtherRealmWouldWait() throws Exception {
        // the same load with every fetch in one lane: the healthy fetch waits behind the hanging ones
        FetchScheduler s = scheduler(4, 4);
        CountDownLatch hostileStarted = new CountDownLatch(4);
        for (int i = 0; i < 4; i++) {
            s.submit(FetchScheduler.DEFAULT_LANE, "https://hostile-" + i, hanging(hostileStarted));
        }
        assertThat(hostileStarted.await(2, TimeUnit.SECONDS)).isTrue();
        CountDownLatch other = new CountDownLatch(1);

        s.submit(FetchScheduler.DEFAULT_LANE, "https://healthy", other::countDown);

        assertThat(other.await(300, TimeUnit.MILLISECONDS)).isFalse();
    }

    @Test
    void oneKeySourceNeverOccupiesTwoThreads() throws Exception {
        FetchScheduler s = scheduler(4, 4);
        CountDownLatch started = new CountDownLatch(2);
        s.submit("realm-a", "https://same/.well-known/openid-configuration", hanging(started));
        s.submit("realm-b", "https://same/.well-known/openid-configuration", hanging(started));

        assertThat(started.await(500, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(started.getCount()).isEqualTo(1);
        assertThat(s.running()).isEqualTo(1);
        blockers.get(0).countDown();
        assertThat(started.await(2, TimeUnit.SECONDS)).as("the second runs once the first is done").isTrue();
    }

    @Test
    void aFetchWaitingInACrowdedLaneRunsAtOnceWhenAnotherRealmNeedsItToo() throws Exception {
        FetchScheduler s = scheduler(4, 1);
        CountDownLatch hostileStarted = new CountDownLatch(1);
        s.submit("realm-a", "https://hostile", hanging(hostileStarted));
        assertThat(hostileStarted.await(2, TimeUnit.SECONDS)).isTrue();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch shared = new CountDownLatch(1);
        FetchScheduler.Ticket ticket = s.submit("realm-a", "https://shared", () -> {
            runs.incrementAndGet();
            shared.countDown();
        });
        assertThat(shared.await(300, TimeUnit.MILLISECONDS)).as("waits behind realm-a's share").isFalse();

        ticket.alsoIn("realm-b");

        assertThat(shared.await(2, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100);
        assertThat(runs).hasValue(1);
        assertThat(s.waiting()).isZero();
    }

    @Test
    void lanesTakeTurns() throws Exception {
        FetchScheduler s = scheduler(1, 1);
        CountDownLatch first = new CountDownLatch(1);
        s.submit("a", "k0", hanging(first));
        assertThat(first.await(2, TimeUnit.SECONDS)).isTrue();
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(4);
        for (String task : List.of("a1", "a2", "a3")) {
            s.submit("a", task, () -> {
                order.add(task);
                done.countDown();
            });
        }
        s.submit("b", "b1", () -> {
            order.add("b1");
            done.countDown();
        });

        blockers.get(0).countDown();

        assertThat(done.await(2, TimeUnit.SECONDS)).isTrue();
        assertThat(order).containsExactly("b1", "a1", "a2", "a3");
    }

    @Test
    void aLaneWithTooManyWaitingFetchesIsRefused() {
        FetchScheduler s = new FetchScheduler(1, 1, 2, Thread::new);
        scheduler = s;
        s.submit("a", "k0", hanging(new CountDownLatch(1)));
        s.submit("a", "k1", () -> { });
        s.submit("a", "k2", () -> { });

        assertThatThrownBy(() -> s.submit("a", "k3", () -> { })).isInstanceOf(RejectedExecutionException.class);
        s.submit("b", "k4", () -> { }); // another lane is not affected
    }
}
