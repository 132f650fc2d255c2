package dev.svidauth.keys;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs key-source fetches on a few threads, fairly between realms, so that no key source and no
 * realm can take every fetch thread: sources that drip their headers would otherwise hold every
 * thread, and another realm's first fetch would wait behind them until its request gave up.
 *
 * <ul>
 *   <li>Each fetch belongs to a <em>lane</em> (the realm whose request needs it) and has a
 *       <em>key</em> (the URL fetched). At most {@code perLane} fetches of one lane run at once,
 *       and at most one fetch of one key: one key source never occupies more than one thread,
 *       even when it is reached under two names (a discovery URL shared by two issuer pins).</li>
 *   <li>A free thread goes to the lane with the fewest fetches running, then to the one served
 *       longest ago, and takes that lane's oldest waiting fetch; so a realm with many slow sources
 *       waits behind itself, never in front of another realm.</li>
 *   <li>Key-source cache entries are shared by URL between realms. A fetch counts against the lane
 *       of the request that started it; a request of another realm that needs the same URL while
 *       the fetch still waits puts it in its own lane too ({@link Ticket#alsoIn}), and it runs
 *       from whichever lane reaches it first. So a realm cannot hold another realm's key source
 *       back by naming it too.</li>
 * </ul>
 * With {@code threads} greater than {@code perLane}, a realm always finds a thread while fewer
 * than {@code threads / perLane} realms are saturated at once; every fetch ends at its total
 * deadline ({@code key-source-fetch-timeout}), so a thread is never held longer than that.
 *
 * <p>{@link #execute(Runnable)} (the {@link Executor} view) runs a task in the default lane with
 * a key of its own.
 */
public final class FetchScheduler implements Executor, AutoCloseable {

    /** The lane of fetches that no realm's request asked for (e.g. tests, or no realm known). */
    public static final String DEFAULT_LANE = "";

    /** A fetch handed to the scheduler: it may be queued in more lanes until a thread takes it. */
    public final class Ticket {
        private final Object key;
        private final Runnable task;
        /** Guarded by the scheduler. */
        private boolean taken;
        /** Guarded by the scheduler: the lanes whose queue holds this ticket. */
        private final Set<String> lanes = new HashSet<>(2);

        private Ticket(Object key, Runnable task) {
            this.key = key;
            this.task = task;
        }

        /**
         * Queues this fetch in {@code lane} too, unless it is running, done, or queued there
         * already: the first of its lanes whose turn comes runs it.
         */
        public void alsoIn(String lane) {
            synchronized (FetchScheduler.this) {
                if (!taken && lanes.add(lane)) {
                    queue(lane).addLast(this);
                }
                dispatch();
            }
        }
    }

    private final int threads;
    private final int perLane;
    private final int maxQueuedPerLane;
    private final ThreadPoolExecutor pool;
    /** Guarded by this: the waiting tickets of each lane that has some, oldest first. */
    private final LinkedHashMap<String, Deque<Ticket>> waiting = new LinkedHashMap<>();
    /** Guarded by this. */
    private final Map<String, Integer> runningPerLane = new HashMap<>();
    /** Guarded by this. */
    private final Set<Object> runningKeys = new HashSet<>();
    /** Guarded by this. */
    private int running;
    /** Guarded by this: when each lane with fetches running or waiting last had one started (a sequence number). */
    private final Map<String, Long> lastServed = new HashMap<>();
    /** Guarded by this. */
    private long served;

    /**
     * @param threads          fetches running at once in all
     * @param perLane          fetches of one lane running at once (at most {@code threads})
     * @param maxQueuedPerLane fetches one lane may have waiting; more are refused
     */
    public FetchScheduler(int threads, int perLane, int maxQueuedPerLane, ThreadFactory threadFactory) {
        if (threads < 1 || perLane < 1 || perLane > threads || maxQueuedPerLane < 1) {
            throw new IllegalArgumentException("threads " + threads + ", per lane " + perLane + ", queued " + maxQueuedPerLane);
        }
        this.threads = threads;
        this.perLane = perLane;
        this.maxQueuedPerLane = maxQueuedPerLane;
        // never more tasks than threads are handed over, so its queue never holds any for long
        pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                Objects.requireNonNull(threadFactory, "threadFactory"));
        pool.allowCoreThreadTimeOut(true);
    }

    /**
     * Queues {@code task} in {@code lane}, to run when the lane's share and {@code key} allow.
     *
     * @throws RejectedExecutionException when the lane has too many fetches waiting, or after {@link #close}
     */
    public synchronized Ticket submit(String lane, Object key, Runnable task) {
        if (pool.isShutdown()) {
            throw new RejectedExecutionException("the key-source fetch scheduler is closed");
        }
        Deque<Ticket> q = waiting.get(lane);
        if (q != null && q.size() >= maxQueuedPerLane) {
            throw new RejectedExecutionException(maxQueuedPerLane + " key-source fetches are waiting already");
        }
        Ticket t = new Ticket(Objects.requireNonNull(key, "key"), Objects.requireNonNull(task, "task"));
        t.lanes.add(lane);
        queue(lane).addLast(t);
        dispatch();
        return t;
    }

    @Override
    public void execute(Runnable task) {
        submit(DEFAULT_LANE, new Object(), task);
    }

    /** Fetches running now (for Server Info and tests). */
    public synchronized int running() {
        return running;
    }

    /** Fetches waiting for a thread now (for Server Info and tests). */
    public synchronized int waiting() {
        Set<Ticket> distinct = new HashSet<>();
        waiting.values().forEach(distinct::addAll);
        return distinct.size();
    }

    private Deque<Ticket> queue(String lane) {
        return waiting.computeIfAbsent(lane, l -> new ArrayDeque<>());
    }

    /**
     * Caller holds the lock: hands tickets to free threads. Of the lanes below their share with a
     * ticket whose key is not running, the one with the fewest fetches running goes first, then
     * the one served longest ago; within a lane, the oldest ticket.
     */
    private void dispatch() {
        while (running < threads) {
            Ticket next = null;
            String from = null;
            int fromRunning = 0;
            long fromServed = 0;
            for (Iterator<Map.Entry<String, Deque<Ticket>>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Deque<Ticket>> lane = it.next();
                lane.getValue().removeIf(t -> t.taken);
                if (lane.getValue().isEmpty()) {
                    it.remove();
                    continue;
                }
                int r = runningPerLane.getOrDefault(lane.getKey(), 0);
                if (r >= perLane) {
                    continue;
                }
                long served = lastServed.getOrDefault(lane.getKey(), 0L);
                if (next != null && (r > fromRunning || (r == fromRunning && served >= fromServed))) {
                    continue;
                }
                for (Ticket t : lane.getValue()) {
                    if (!runningKeys.contains(t.key)) {
                        next = t;
                        from = lane.getKey();
                        fromRunning = r;
                        fromServed = served;
                        break;
                    }
                }
            }
            if (next == null) {
                return;
            }
            Deque<Ticket> q = waiting.get(from);
            q.remove(next);
            if (q.isEmpty()) {
                waiting.remove(from);
            }
            lastServed.put(from, ++served);
            start(next, from);
        }
    }

    private void start(Ticket t, String lane) {
        t.taken = true;
        running++;
        runningPerLane.merge(lane, 1, Integer::sum);
        runningKeys.add(t.key);
        try {
            pool.execute(() -> {
                try {
                    t.task.run();
                } finally {
                    finished(t, lane);
                }
            });
        } catch (RejectedExecutionException e) {
            finished(t, lane); // closed meanwhile: the task never runs, as after any other shutdown
        }
    }

    private synchronized void finished(Ticket t, String lane) {
        running--;
        runningPerLane.computeIfPresent(lane, (l, n) -> n > 1 ? n - 1 : null);
        runningKeys.remove(t.key);
        dispatch();
        if (!runningPerLane.containsKey(lane) && !waiting.containsKey(lane)) {
            lastServed.remove(lane); // an idle lane keeps no state
        }
    }

    /** Stops the threads (running fetches are interrupted) and drops every waiting fetch. */
    @Override
    public synchronized void close() {
        waiting.clear();
        pool.shutdownNow();
    }
}
