package dev.tokenkeeper.internal;

import dev.tokenkeeper.internal.util.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every periodic job of one keeper, in one place: each has a name and a period and runs on one of a
 * few named threads ({@link Lane}). They start together and stop in a fixed order: the feeds first
 * (they only read), then the maintenance thread, which is let finish the job under way.
 *
 * <p>In manual mode no thread is started: {@link #runDue()} runs the jobs whose period has passed on
 * the keeper's clock, in registration order, on the calling thread. Tests advance their clock and
 * call it, instead of sleeping until a background thread happens to run; an application that wants
 * no background threads calls it itself.
 */
public final class Maintenance implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

    /** The threads jobs run on. A feed has a thread of its own so that it never waits behind writes. */
    public enum Lane {
        /** Writes: flushes, sweeps, leases, retention. */
        MAINTENANCE("tokenkeeper-maintenance"),
        /** The token change feed: a token sync later than the clock-skew margin drops every cached token. */
        TOKEN_FEED("tokenkeeper-token-feed"),
        /** The limits change feed: bringing many cached scopes up to date may take a while. */
        LIMITS_FEED("tokenkeeper-limits-feed");

        final String threadName;

        Lane(String threadName) {
            this.threadName = threadName;
        }
    }

    private static final class Job {
        final String name;
        final Lane lane;
        final Duration period;
        final Runnable task;
        long nextDue; // ticker nanos; manual mode only

        Job(String name, Lane lane, Duration period, Runnable task, long nextDue) {
            this.name = name;
            this.lane = lane;
            this.period = period;
            this.task = task;
            this.nextDue = nextDue;
        }
    }

    private final ThreadFactory threads;
    private final Ticker ticker;
    private final boolean manual;
    private final List<Job> jobs = new ArrayList<>();
    private final Map<Lane, ScheduledExecutorService> executors = new EnumMap<>(Lane.class);
    private boolean started;
    private boolean closed;

    public Maintenance(ThreadFactory threads, Ticker ticker, boolean manual) {
        this.threads = threads;
        this.ticker = ticker;
        this.manual = manual;
    }

    /** Registers a job; it first runs one period after {@link #start()}. */
    public synchronized void every(String name, Lane lane, Duration period, Runnable task) {
        if (started) {
            throw new IllegalStateException("jobs are registered before start");
        }
        jobs.add(new Job(name, lane, period, task, 0));
    }

    /** Starts the threads (not in manual mode). */
    public synchronized void start() {
        started = true;
        long now = ticker.read();
        for (Job job : jobs) {
            job.nextDue = now + job.period.toNanos();
            if (manual) {
                continue;
            }
            ScheduledExecutorService on = executors.computeIfAbsent(
                    job.lane, lane -> Executors.newSingleThreadScheduledExecutor(named(threads, lane.threadName)));
            long millis = job.period.toMillis();
            var unused = on.scheduleWithFixedDelay(() -> run(job), millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Manual mode: runs, on this thread, every job whose period has passed since it last ran (on the
     * keeper's clock), and returns their names.
     *
     * @throws IllegalStateException when the jobs run on threads of their own
     */
    public synchronized List<String> runDue() {
        if (!manual) {
            throw new IllegalStateException("TokenKeeper runs its maintenance on threads of its own;"
                    + " build it with backgroundMaintenance(false) to run it by hand");
        }
        if (closed) {
            return List.of();
        }
        long now = ticker.read();
        List<String> ran = new ArrayList<>();
        for (Job job : jobs) {
            if (now - job.nextDue >= 0) {
                run(job);
                job.nextDue = now + job.period.toNanos();
                ran.add(job.name);
            }
        }
        return ran;
    }

    /** The jobs and their periods, in registration order. */
    public synchronized Map<String, Duration> cadences() {
        Map<String, Duration> m = new LinkedHashMap<>();
        jobs.forEach(j -> m.put(j.name, j.period));
        return Collections.unmodifiableMap(m);
    }

    private static void run(Job job) {
        try {
            job.task.run();
        } catch (RuntimeException e) {
            LOG.warn("TokenKeeper {} failed; will retry: {}", job.name, e.getMessage());
        }
    }

    /**
     * Stops the feeds at once, then lets the maintenance thread finish its job under way (up to 10 s).
     * Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Lane feed : List.of(Lane.TOKEN_FEED, Lane.LIMITS_FEED)) {
            ScheduledExecutorService e = executors.get(feed);
            if (e != null) {
                e.shutdownNow();
            }
        }
        ScheduledExecutorService writes = executors.get(Lane.MAINTENANCE);
        if (writes != null) {
            writes.shutdown();
            try {
                if (!writes.awaitTermination(10, TimeUnit.SECONDS)) {
                    writes.shutdownNow();
                }
            } catch (InterruptedException e) {
                writes.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The factory's threads, named after their job. */
    public static ThreadFactory named(ThreadFactory factory, String name) {
        return r -> {
            Thread t = factory.newThread(r);
            t.setName(name);
            return t;
        };
    }
}
