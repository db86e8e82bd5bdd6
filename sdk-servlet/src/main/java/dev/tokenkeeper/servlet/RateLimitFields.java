package dev.tokenkeeper.servlet;

import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The IETF {@code RateLimit-Policy} and {@code RateLimit} header fields
 * (draft-ietf-httpapi-ratelimit-headers) of a rolling-minute rate limit, and {@code Retry-After}'s
 * whole seconds: written one way by the filter and by an application's own endpoints (the reference
 * app's gateway), on refusals and on calls let through alike. Several limits go into one field as a
 * list, their items separated by {@code ", "}.
 */
public final class RateLimitFields {
    private RateLimitFields() {}

    /**
     * Whether the draft can express the limit: its quota units are requests and bytes, so a limit
     * counted in tokens or dollars has no such fields.
     */
    public static boolean expressible(Limit limit) {
        return limit.metric() == LimitMetric.REQUESTS;
    }

    /** A {@code RateLimit-Policy} item: {@code "<limit id>";q=<amount a minute>;w=60}. */
    public static String policy(Limit limit) {
        return "\"" + limit.id() + "\";q=" + limit.amount() + ";w=60";
    }

    /**
     * A {@code RateLimit} item: {@code "<limit id>";r=<remaining>;t=<seconds until it allows again, or
     * is whole again>}.
     */
    public static String state(Limit limit, long remaining, long seconds) {
        return "\"" + limit.id() + "\";r=" + remaining + ";t=" + seconds;
    }

    /**
     * Whole seconds, rounded up and at least 1 (HTTP's {@code Retry-After} and the draft's {@code t}
     * have no fractions); 1 when no wait is known.
     */
    public static long seconds(@Nullable Duration wait) {
        long millis = wait == null ? 1_000 : wait.toMillis();
        return Math.max(1, (millis + 999) / 1_000);
    }
}
