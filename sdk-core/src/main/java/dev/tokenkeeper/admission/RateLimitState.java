package dev.tokenkeeper.admission;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.limits.Limit;
import java.time.Duration;

/**
 * Where a rolling-minute rate limit stands after it counted a call: what is left of its amount this
 * minute, and how long until it is whole again. What a server needs for the IETF {@code RateLimit}
 * header fields of a successful answer.
 *
 * @param limit the rate limit
 * @param remaining what is left of the limit's amount, in its metric (never negative; a call let
 *     through on the grace allowance leaves 0)
 * @param untilFull how long the limit takes to refill to its whole amount at its rate (amount per
 *     minute), if nothing more is taken
 */
public record RateLimitState(Limit limit, long remaining, Duration untilFull) {
    public RateLimitState {
        requireNonNull(limit, "limit");
        requireNonNull(untilFull, "untilFull");
        if (remaining < 0) {
            throw new IllegalArgumentException("remaining must not be negative");
        }
    }
}
