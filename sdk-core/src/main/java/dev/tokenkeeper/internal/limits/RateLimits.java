package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitWindow;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolling-minute rate limits: a token bucket per limit in the configured backend ({@link RateBuckets}),
 * taken from before a call and corrected to its real usage after it. A remote backend that does not
 * answer admits without the rate limit ({@code FAIL_OPEN}) or refuses ({@code FAIL_CLOSED}).
 */
final class RateLimits {
    private static final Logger LOG = LoggerFactory.getLogger(RateLimits.class);
    private static final long WARNING_EVERY_NANOS = 10_000_000_000L;

    private final RateBuckets buckets;
    private final boolean failOpen;
    private final AtomicLong checksSkipped = new AtomicLong();
    /** Elapsed time on the keeper's clock, for the warning pace. */
    private final Ticker ticker;

    private volatile long lastWarning;

    RateLimits(RateBuckets buckets, StorageFailurePolicy failurePolicy, Clock clock) {
        this.buckets = buckets;
        this.failOpen = failurePolicy == StorageFailurePolicy.FAIL_OPEN;
        this.ticker = Ticker.of(clock);
        this.lastWarning = ticker.read() - 2 * WARNING_EVERY_NANOS;
    }

    RateBuckets buckets() {
        return buckets;
    }

    long checksSkipped() {
        return checksSkipped.get();
    }

    /**
     * Takes {@code units[i]} from the bucket of each rate limit among {@code limits} (budgets are
     * skipped), adding a hold per limit to {@code into}. Returns the refusal of the first that cannot
     * take them, or {@code null}; the caller releases what was added.
     */
    @Nullable
    Reservation reserve(List<Limit> limits, long[] units, Instant at, List<Hold> into) {
        for (int i = 0; i < limits.size(); i++) {
            Limit l = limits.get(i);
            if (!l.period().rolling()) {
                continue;
            }
            LimitWindow w = l.windowAt(at);
            long n = RateUnits.of(l.metric(), units[i]); // a bucket counts dollars in microdollars
            long capacity = RateUnits.of(l.metric(), l.amount() + l.grace());
            Bucket bucket;
            ConsumptionProbe probe;
            try {
                bucket = buckets.bucket(l);
                probe = bucket.tryConsumeAndReturnRemaining(n);
            } catch (RuntimeException e) {
                if (!buckets.remote()) {
                    throw e; // a local bucket does not fail for want of a backend
                }
                if (failOpen) {
                    backendFailed(e);
                    continue; // admitted without this rate limit
                }
                return Reservation.backendDown(l, w);
            }
            if (!probe.isConsumed()) {
                long wait = n > capacity ? Long.MAX_VALUE : probe.getNanosToWaitForRefill();
                return Reservation.refused(l, w, wait == Long.MAX_VALUE ? null : Duration.ofNanos(wait));
            }
            into.add(new Hold.InBucket(
                    l, w, bucket, n, RateUnits.toMetric(l.metric(), capacity - probe.getRemainingTokens())));
        }
        return null;
    }

    /** The call is over: its bucket is corrected to what it really used. */
    void settle(Hold.InBucket h, long actualUnits) {
        LimitMetric m = h.limit().metric();
        adjust(h.bucket(), RateUnits.of(m, actualUnits) - h.units());
    }

    void release(Hold.InBucket h) {
        adjust(h.bucket(), -h.units());
    }

    void forget(String limitId) {
        buckets.forget(limitId);
    }

    /** Gives tokens back to, or takes more from, a bucket; a remote backend that fails is only logged. */
    private void adjust(Bucket bucket, long diff) {
        try {
            if (diff > 0) {
                bucket.consumeIgnoringRateLimits(diff);
            } else if (diff < 0) {
                bucket.addTokens(-diff);
            }
        } catch (RuntimeException e) {
            if (!buckets.remote()) {
                throw e;
            }
            LOG.debug("TokenKeeper: a rate-limit bucket could not be corrected: {}", e.toString());
        }
    }

    private void backendFailed(RuntimeException e) {
        checksSkipped.incrementAndGet();
        long now = ticker.read();
        if (now - lastWarning > WARNING_EVERY_NANOS) { // at most one line per 10 s
            lastWarning = now;
            LOG.warn(
                    "TokenKeeper: the rate-limit backend ({}) does not answer; admitting without rate limits "
                            + "(rateLimitFailurePolicy FAIL_OPEN): {}",
                    buckets.name(),
                    e.toString());
        }
    }
}
