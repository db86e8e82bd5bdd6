package dev.tokenkeeper.app.gateway;

import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Deadline}s of the provider calls in flight, and the one thread that passes them: it
 * wakes every {@link #TICK} and passes the deadlines that are due, so a deadline passes at most one
 * tick late.
 *
 * <p>Starting and ending a call only adds its deadline to a concurrent set and takes it out again: no
 * other thread is woken. A scheduled executor, with a timed task per call, woke its thread on nearly
 * every call (a new task due before the queue's head signals it, and on a gateway with a call or two
 * in flight each new task is the head); at 500 calls a second that was about 7 % of the app's CPU time
 * (async-profiler), and a futex call on each request's own path.
 */
final class Deadlines implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Deadlines.class);

    /** How often the thread looks for deadlines that passed. */
    static final Duration TICK = Duration.ofMillis(20);

    private final Set<Deadline> open = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts the thread that passes deadlines (named {@code tokenkeeper-gateway-deadlines}). */
    static Deadlines started() {
        Deadlines d = new Deadlines();
        d.thread.start();
        return d;
    }

    /** Without a thread: the caller passes due deadlines with {@link #sweep} (for tests). */
    static Deadlines manual() {
        return new Deadlines();
    }

    private Deadlines() {
        this.thread = new Thread(this::run, "tokenkeeper-gateway-deadlines");
        thread.setDaemon(true);
    }

    /** A deadline {@code millis} from now. */
    Deadline start(long millis) {
        Deadline d = new Deadline(this, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis));
        open.add(d);
        return d;
    }

    /** The call ended: its deadline is forgotten. */
    void end(Deadline d) {
        open.remove(d);
    }

    /** Deadlines of calls in flight. */
    int open() {
        return open.size();
    }

    /** Passes, and forgets, every deadline due at {@code now} ({@link System#nanoTime} scale). */
    void sweep(long now) {
        for (Iterator<Deadline> i = open.iterator(); i.hasNext(); ) {
            Deadline d = i.next();
            if (d.dueAt(now)) {
                i.remove();
                try {
                    d.pass();
                } catch (RuntimeException e) {
                    // closing a socket or cancelling a request failed: the call's own thread sees it
                    LOG.debug("stopping a call at its deadline failed", e);
                }
            }
        }
    }

    private void run() {
        long tick = TICK.toNanos();
        while (running) {
            LockSupport.parkNanos(this, tick);
            sweep(System.nanoTime());
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
    }
}
