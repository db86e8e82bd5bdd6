package dev.tokenkeeper.benchmarks;

import java.time.Duration;

/** Waits that bring a freshly set-up keeper to its steady state before a measurement. */
final class Steady {
    /**
     * Until session 7 the token change feed re-read every token changed within {@code clockSkewMargin}
     * (5 s) plus two sync intervals (2 s) on each pass, so tokens issued in a setup were re-read from
     * the database once a second for 7 s. Now a token is re-read once per change; the wait is kept so
     * that the admission figures stay comparable with the earlier ones.
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
