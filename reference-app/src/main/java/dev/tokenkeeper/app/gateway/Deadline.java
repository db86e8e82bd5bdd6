package dev.tokenkeeper.app.gateway;

import org.jspecify.annotations.Nullable;

/**
 * The end of one provider call's time, counted from the moment it is sent: when it passes, whatever
 * stops the call at that moment runs (the request in flight before the answer's head arrives, then
 * the answer itself), so that no wait outlasts the provider's {@code timeout}, whichever stage it is
 * in. {@link Deadlines} passes it, at most one tick after it is due.
 *
 * <p>A socket read timeout cannot do this: it restarts at every read, so it bounds a pause, not a
 * call, and a stream that trickles an event now and then would never end. The provider's sockets
 * keep one, as long as the whole call's, only as a backstop.
 */
public final class Deadline implements AutoCloseable {
    private final Deadlines owner;
    private final long dueNanos;
    private volatile boolean passed;
    private volatile @Nullable Runnable stop;

    Deadline(Deadlines owner, long dueNanos) {
        this.owner = owner;
        this.dueNanos = dueNanos;
    }

    /**
     * What stops the call from now on (each stage of the call registers its own). If the deadline has
     * already passed, it runs at once; it may run twice, so it must be safe to repeat.
     */
    public void stopWith(Runnable stop) {
        this.stop = stop;
        if (passed) {
            stop.run();
        }
    }

    /** Whether the deadline passed: a failed read is then known as a timeout. */
    public boolean passed() {
        return passed;
    }

    boolean dueAt(long nanoTime) {
        return nanoTime - dueNanos >= 0;
    }

    void pass() {
        passed = true;
        Runnable s = stop;
        if (s != null) {
            s.run();
        }
    }

    /** The call ended in time: the deadline is dropped. */
    @Override
    public void close() {
        owner.end(this);
        stop = null;
    }
}
