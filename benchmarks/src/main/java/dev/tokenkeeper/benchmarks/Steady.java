package dev.tokenkeeper.benchmarks;

import java.time.Duration;

/** Waits that bring a freshly set-up keeper to its steady state before a measurement. */
final class Steady {
    /**
     * The token change feed looks back {@code clockSkewMargin} (5 s) plus two sync intervals (2 s),
     * and re-reads each token changed in that span once: tokens issued in a setup are re-read from the
     * database in the first seconds after it. The measurement starts after that span, in the steady
     * state.
     */
    static final Duration CHANGE_FEED_MARGIN = Duration.ofSeconds(8);

    private Steady() {}

    static void awaitChangeFeedMargin() {
        try {
            Thread.sleep(CHANGE_FEED_MARGIN.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the steady state", e);
        }
    }
}
