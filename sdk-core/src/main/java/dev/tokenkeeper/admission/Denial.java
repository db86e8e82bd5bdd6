package dev.tokenkeeper.admission;

import dev.tokenkeeper.limits.Limit;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A refused call.
 *
 * @param reason why
 * @param message a sentence for logs and API answers; never a secret
 * @param limit the limit that refused, for {@link DenialReason#BUDGET_EXCEEDED}
 * @param retryAfter when a retry may succeed, for {@link DenialReason#RATE_LIMITED}
 * @param resetAt when the refusing limit's window ends (absent for a total), for budget denials
 */
public record Denial(
        DenialReason reason,
        String message,
        @Nullable Limit limit,
        @Nullable Duration retryAfter,
        @Nullable Instant resetAt)
        implements Admission {
    @Override
    public boolean allowed() {
        return false;
    }
}
