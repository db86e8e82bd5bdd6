package dev.tokenkeeper.app.gateway;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The end of one provider call's time, counted from the moment it is sent: when it passes, whatever
 * stops the call at that moment runs (the request in flight before the answer's head arrives, then
 * the answer itself), so that no wait outlasts the provider's {@code timeout}, whichever stage it is
 * in.
 *
 * <p>A socket read timeout cannot do this: it restarts at every read, so it bounds a pause, not a
 * call, and a stream that trickles an event now and then would never end. The provider's sockets
 * keep one, as long as the whole call's, only as a backstop.
 */
public final class Deadline implements AutoCloseable {
    private final ScheduledFuture<?> timer;
    private volatile boolean passed;
    private volatile @Nullable Runnable stop;

    /** Starts the clock: {@code millis} from now the deadline passes. */
    Deadline(ScheduledExecutorService watchdog, long millis) {
        this.timer = watchdog.schedule(this::pass, millis, TimeUnit.MILLISECONDS);
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

    private void pass() {
        passed = true;
        Runnable s = stop;
        if (s != null) {
            s.run();
        }
    }

    /** The call ended in time: the deadline is dropped. */
    @Override
    public void close() {
        timer.cancel(false);
        stop = null;
    }
}
