package dev.tokenkeeper.internal.usage;

import dev.tokenkeeper.usage.LedgerOverflowPolicy;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The ledger settings of a built TokenKeeper (validated by its builder). */
public record LedgerSettings(
        boolean synchronous,
        int queueCapacity,
        int batchSize,
        Duration flushInterval,
        LedgerOverflowPolicy overflowPolicy,
        Duration blockTimeout,
        Duration idempotencyWindow,
        Duration closeTimeout,
        @Nullable Duration maxLag,
        int refusalTracesPerMinute) {}
