package dev.tokenkeeper.benchmarks;

import java.time.Duration;

/** Waits that bring a freshly set-up keeper to its steady state before a measurement. */
final class Steady {
    /**
     * The token change feed re-reads every token changed within {@code clockSkewMargin} (5 s) plus
     * two sync intervals (2 s) on each pass; tokens issued in a setup are therefore re-read from the
     * database once a second for 7 s. This waits that out, with a second to spare.
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
