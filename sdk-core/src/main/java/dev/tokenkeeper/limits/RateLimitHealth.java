package dev.tokenkeeper.limits;

import org.jspecify.annotations.Nullable;

/**
 * Whether the rate-limit backend answers.
 *
 * @param backend {@code local}, {@code postgresql} or {@code redis}
 * @param up whether it answered a check just now (always true for {@code local})
 * @param error why not, when it did not
 */
public record RateLimitHealth(
        String backend, boolean up, @Nullable String error) {}
