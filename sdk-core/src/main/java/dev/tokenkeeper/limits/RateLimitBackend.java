package dev.tokenkeeper.limits;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Where the buckets of rate limits ({@link LimitPeriod#ROLLING_MINUTE}) live, set with
 * {@code TokenKeeper.builder().rateLimitBackend(..)}:
 *
 * <ul>
 *   <li>{@link #local()} (the default): in this instance's memory. Each instance counts alone, so
 *       with N instances a limit admits up to N times its amount;
 *   <li>{@link #database()}: in the keeper's PostgreSQL database (Bucket4j's PostgreSQL backend, table
 *       {@code tk_rate_buckets}): one bucket for all instances, no new infrastructure; one short
 *       transaction per check;
 *   <li>{@link #redis(String)}: in Redis (Bucket4j with Lettuce, compare-and-swap): one bucket for
 *       all instances, one round trip per check. Needs {@code io.lettuce:lettuce-core} and
 *       {@code com.bucket4j:bucket4j_jdk17-lettuce} on the classpath.
 * </ul>
 *
 * When a shared backend does not answer within {@link #timeout()}, the rate-limit failure policy
 * decides ({@code rateLimitFailurePolicy}, open by default); the backend is retried on the next
 * call, so it recovers without a restart.
 */
public final class RateLimitBackend {
    /** The kinds of backend. */
    public enum Kind {
        LOCAL,
        DATABASE,
        REDIS
    }

    private static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);
    private final Kind kind;
    private final @Nullable URI redisUri;
    private final Duration timeout;

    private RateLimitBackend(Kind kind, @Nullable URI redisUri, Duration timeout) {
        this.kind = kind;
        this.redisUri = redisUri;
        this.timeout = timeout;
    }

    /** In this instance's memory (the default). */
    public static RateLimitBackend local() {
        return new RateLimitBackend(Kind.LOCAL, null, DEFAULT_TIMEOUT);
    }

    /** In the keeper's own PostgreSQL database. */
    public static RateLimitBackend database() {
        return new RateLimitBackend(Kind.DATABASE, null, DEFAULT_TIMEOUT);
    }

    /**
     * In Redis at {@code uri}: {@code redis://[password@]host[:port][/database]}, or {@code rediss://}
     * for TLS (Lettuce's URI syntax).
     *
     * @throws IllegalArgumentException if the URI is not a redis or rediss URI
     */
    public static RateLimitBackend redis(String uri) {
        requireNonNull(uri, "uri");
        URI parsed;
        try {
            parsed = URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("redis uri: not a URI", e);
        }
        if ((!"redis".equals(parsed.getScheme()) && !"rediss".equals(parsed.getScheme())) || parsed.getHost() == null) {
            throw new IllegalArgumentException("redis uri: expected redis://host[:port][/database] or rediss://...");
        }
        return new RateLimitBackend(Kind.REDIS, parsed, DEFAULT_TIMEOUT);
    }

    /**
     * How long one check may wait for a shared backend before it counts as unavailable (default
     * 500 ms; 10 ms to 30 s).
     */
    public RateLimitBackend timeout(Duration t) {
        requireNonNull(t, "timeout");
        if (t.compareTo(Duration.ofMillis(10)) < 0 || t.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException("timeout: from 10 ms to 30 s");
        }
        return new RateLimitBackend(kind, redisUri, t);
    }

    public Kind kind() {
        return kind;
    }

    public @Nullable URI redisUri() {
        return redisUri;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The backend's name: {@code local}, {@code postgresql} or {@code redis}. */
    public String name() {
        return switch (kind) {
            case LOCAL -> "local";
            case DATABASE -> "postgresql";
            case REDIS -> "redis";
        };
    }

    /** The kind and, for Redis, host and port; never a password. */
    @Override
    public String toString() {
        return redisUri == null
                ? name()
                : name() + "://" + redisUri.getHost() + (redisUri.getPort() > 0 ? ":" + redisUri.getPort() : "");
    }
}
