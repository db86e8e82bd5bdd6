package dev.tokenkeeper.spring;

import dev.tokenkeeper.StorageHealth;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.RateLimitHealth;
import dev.tokenkeeper.usage.LedgerStats;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * {@code tokenkeeper} in Actuator's health: DOWN when the database does not answer, with the
 * storage's backend, schema version and latency, the ledger's queue, lag (how long the oldest event
 * not yet committed has waited) and counts, the open permits, and the rate-limit backend (whether it
 * answers, and the checks skipped while it did not) as details. A shared rate-limit backend that does
 * not answer leaves the status UP: rate limits fail open by default, and budgets still hold.
 */
public class TokenKeeperHealthIndicator extends AbstractHealthIndicator {
    private final TokenKeeper keeper;

    public TokenKeeperHealthIndicator(TokenKeeper keeper) {
        super("TokenKeeper health check failed");
        this.keeper = keeper;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        StorageHealth s = keeper.storageHealth();
        if (s.up()) {
            builder.up();
        } else {
            builder.down().withDetail("error", String.valueOf(s.error()));
        }
        builder.withDetail("backend", s.backend().id());
        if (s.schemaVersion() != null) {
            builder.withDetail("schemaVersion", s.schemaVersion());
        }
        builder.withDetail("latencyMs", s.latency().toNanos() / 1e6);
        RateLimitHealth rates = keeper.rateLimitHealth();
        builder.withDetail("rateLimitBackend", rates.backend())
                .withDetail("rateLimitBackendUp", rates.up())
                .withDetail("rateLimitChecksSkipped", keeper.rateLimitChecksSkipped());
        if (!rates.up()) {
            builder.withDetail("rateLimitBackendError", String.valueOf(rates.error()));
        }
        LedgerStats l = keeper.usage().stats();
        builder.withDetail("ledgerQueued", l.queued())
                .withDetail("ledgerLagMs", l.lag().toMillis())
                .withDetail("ledgerWritten", l.written())
                .withDetail("ledgerRefused", l.refused())
                .withDetail("ledgerFailedBatches", l.failedBatches())
                .withDetail("openPermits", keeper.openPermits());
    }
}
