package dev.tokenkeeper.spring;

import dev.tokenkeeper.TokenKeeper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Micrometer meters of a {@link TokenKeeper}: the ledger's queue and counts, and the permits open.
 *
 * <ul>
 *   <li>{@code tokenkeeper.ledger.queued} (gauge): events waiting for the writer;
 *   <li>{@code tokenkeeper.ledger.lag} (gauge, seconds): how long the oldest event not yet committed
 *       has waited;
 *   <li>{@code tokenkeeper.ledger.events} (counter) with {@code result} = {@code written},
 *       {@code duplicate} or {@code refused} (refused: the queue was full);
 *   <li>{@code tokenkeeper.ledger.failed.batches} (counter): write attempts that failed and were retried;
 *   <li>{@code tokenkeeper.permits.open} (gauge): permits neither settled nor expired.
 * </ul>
 */
public class TokenKeeperMetrics implements MeterBinder {
    private final TokenKeeper keeper;

    public TokenKeeperMetrics(TokenKeeper keeper) {
        this.keeper = keeper;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        // stats() reads a few counters (no walk over the queue): one call per meter per scrape is cheap
        Gauge.builder(
                        "tokenkeeper.ledger.queued",
                        keeper,
                        k -> k.usage().stats().queued())
                .description("usage events waiting for the ledger's writer")
                .register(registry);
        Gauge.builder(
                        "tokenkeeper.ledger.unwritten",
                        keeper,
                        k -> k.usage().stats().unwritten())
                .description("usage events accepted and not yet committed (queued or in commit): what a crash"
                        + " would lose")
                .register(registry);
        Gauge.builder(
                        "tokenkeeper.ledger.lag",
                        keeper,
                        k -> k.usage().stats().lag().toNanos() / 1e9)
                .baseUnit("seconds")
                .description("how long the oldest usage event not yet committed has waited")
                .register(registry);
        FunctionCounter.builder(
                        "tokenkeeper.ledger.events",
                        keeper,
                        k -> k.usage().stats().written())
                .tag("result", "written")
                .description("usage events committed")
                .register(registry);
        FunctionCounter.builder(
                        "tokenkeeper.ledger.events",
                        keeper,
                        k -> k.usage().stats().duplicates())
                .tag("result", "duplicate")
                .description("retried usage events found stored already")
                .register(registry);
        FunctionCounter.builder(
                        "tokenkeeper.ledger.events",
                        keeper,
                        k -> k.usage().stats().refused())
                .tag("result", "refused")
                .description("usage events refused because the queue was full or the ledger too far behind")
                .register(registry);
        FunctionCounter.builder(
                        "tokenkeeper.ledger.events",
                        keeper,
                        k -> k.usage().stats().dropped())
                .tag("result", "dropped")
                .description("usage events the database refused to store (each logged)")
                .register(registry);
        FunctionCounter.builder(
                        "tokenkeeper.ledger.failed.batches",
                        keeper,
                        k -> k.usage().stats().failedBatches())
                .description("ledger write attempts that failed and were retried")
                .register(registry);
        Gauge.builder("tokenkeeper.permits.open", keeper, k -> k.openPermits())
                .description("permits neither settled nor expired")
                .register(registry);
    }
}
