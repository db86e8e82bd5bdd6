package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.RateLimitBackend;
import dev.tokenkeeper.limits.RateLimitHealth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The token buckets of rate limits: in memory ({@link Local}) or shared through a Bucket4j backend
 * ({@link RemoteRateBuckets}). A bucket holds amount + grace and refills the amount per minute,
 * greedily, in the metric's rate units (dollars in microdollars).
 */
public abstract class RateBuckets implements AutoCloseable {

    /** The bucket of a rate limit; for a remote backend every operation on it is a round trip. */
    public abstract Bucket bucket(Limit l);

    /** A limit was deleted. */
    public abstract void forget(String limitId);

    /** {@code local}, {@code postgresql} or {@code redis}. */
    public abstract String name();

    /** Whether operations go over the network (and so may fail). */
    public abstract boolean remote();

    public abstract RateLimitHealth health();

    @Override
    public void close() {}

    static BucketConfiguration configuration(Limit l) {
        return BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(RateUnits.of(l.metric(), l.amount() + l.grace()))
                        .refillGreedy(Math.max(1, RateUnits.of(l.metric(), l.amount())), Duration.ofMinutes(1)))
                .build();
    }

    /** The keeper's clock as Bucket4j's time, so that tests can move it. */
    static TimeMeter timeOf(Clock clock) {
        return new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return clock.millis() * 1_000_000L;
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
    }

    /**
     * The buckets of a backend.
     *
     * @throws IllegalArgumentException for {@code database()} on SQLite
     * @throws IllegalStateException for {@code redis(..)} without Lettuce on the classpath
     */
    public static RateBuckets create(RateLimitBackend backend, Storage storage, Clock clock) {
        TimeMeter time = timeOf(clock);
        return switch (backend.kind()) {
            case LOCAL -> new Local(time);
            case DATABASE -> {
                if (storage.backend() != dev.tokenkeeper.StorageBackend.POSTGRESQL) {
                    throw new IllegalArgumentException("rateLimitBackend: database() keeps buckets in PostgreSQL; "
                            + "this keeper is on " + storage.backend().id() + " (use local() or redis(..))");
                }
                yield RemoteRateBuckets.postgres(storage, time, backend.timeout());
            }
            case REDIS -> {
                try {
                    Class.forName("io.lettuce.core.RedisClient", false, RateBuckets.class.getClassLoader());
                    Class.forName(
                            "io.github.bucket4j.redis.lettuce.Bucket4jLettuce",
                            false,
                            RateBuckets.class.getClassLoader());
                } catch (ClassNotFoundException e) {
                    throw new IllegalStateException(
                            "rateLimitBackend: redis(..) needs io.lettuce:lettuce-core and "
                                    + "com.bucket4j:bucket4j_jdk17-lettuce on the classpath",
                            e);
                }
                yield RedisRateBuckets.create(backend, time);
            }
        };
    }

    /** Buckets in this instance's memory, rebuilt when a limit's amount or grace changes. */
    static final class Local extends RateBuckets {
        private record Sized(long amount, long grace, Bucket bucket) {}

        private final ConcurrentHashMap<String, Sized> buckets = new ConcurrentHashMap<>();
        private final TimeMeter time;

        Local(TimeMeter time) {
            this.time = time;
        }

        @Override
        public Bucket bucket(Limit l) {
            Sized b = buckets.get(l.id());
            if (b != null && b.amount() == l.amount() && b.grace() == l.grace()) {
                return b.bucket();
            }
            return buckets.compute(
                            l.id(),
                            (id, old) -> old != null && old.amount() == l.amount() && old.grace() == l.grace()
                                    ? old
                                    : new Sized(
                                            l.amount(),
                                            l.grace(),
                                            Bucket.builder()
                                                    .addLimit(configuration(l).getBandwidths()[0])
                                                    .withCustomTimePrecision(time)
                                                    .build()))
                    .bucket();
        }

        @Override
        public void forget(String limitId) {
            buckets.remove(limitId);
        }

        @Override
        public String name() {
            return "local";
        }

        @Override
        public boolean remote() {
            return false;
        }

        @Override
        public RateLimitHealth health() {
            return new RateLimitHealth("local", true, null);
        }
    }
}
