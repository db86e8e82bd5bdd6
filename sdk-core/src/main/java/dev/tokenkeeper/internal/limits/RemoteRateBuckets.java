package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.jdbc.JdbcStorage;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.RateLimitHealth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Buckets shared by every instance through a Bucket4j backend: PostgreSQL (the keeper's database) or
 * Redis. A limit's bucket carries the limit's last change time as its configuration version, so a
 * changed amount or grace reaches the shared bucket, which starts afresh, full (as a rebuilt local bucket
 * does).
 */
final class RemoteRateBuckets extends RateBuckets {
    private record Versioned(long version, BucketProxy bucket) {}

    private final String name;
    private final String keyPrefix;
    private final Supplier<ProxyManager<String>> proxies;
    private final Supplier<RateLimitHealth> health;
    private final Runnable closer;
    private final ConcurrentHashMap<String, Versioned> cache = new ConcurrentHashMap<>();

    RemoteRateBuckets(
            String name,
            String keyPrefix,
            Supplier<ProxyManager<String>> proxies,
            Supplier<RateLimitHealth> health,
            Runnable closer) {
        this.name = name;
        this.keyPrefix = keyPrefix;
        this.proxies = proxies;
        this.health = health;
        this.closer = closer;
    }

    /** Bucket4j's PostgreSQL backend on the keeper's database, table {@code tk_rate_buckets}. */
    static RemoteRateBuckets postgres(Storage storage, TimeMeter time, Duration timeout) {
        var builder = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(((JdbcStorage) storage).dataSource())
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("tk_rate_buckets")
                .idColumn("id")
                .stateColumn("state")
                .expiresAtColumn("expires_at")
                .clientClock(time)
                .requestTimeout(timeout);
        if (builder.isExpireAfterWriteSupported()) {
            builder.expirationAfterWrite(
                    ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)));
        }
        ProxyManager<String> pm = builder.build();
        return new RemoteRateBuckets(
                "postgresql",
                "",
                () -> pm,
                () -> {
                    var h = storage.health();
                    return new RateLimitHealth("postgresql", h.up(), h.error());
                },
                () -> {});
    }

    @Override
    public Bucket bucket(Limit l) {
        long version = l.updatedAt().toEpochMilli();
        Versioned v = cache.get(l.id());
        if (v != null && v.version() == version) {
            return v.bucket();
        }
        BucketProxy p = proxies.get()
                .builder()
                .withImplicitConfigurationReplacement(version, TokensInheritanceStrategy.RESET)
                .build(keyPrefix + l.id(), () -> configuration(l));
        cache.put(l.id(), new Versioned(version, p));
        return p;
    }

    @Override
    public void forget(String limitId) {
        cache.remove(limitId);
        try {
            proxies.get().removeProxy(keyPrefix + limitId);
        } catch (RuntimeException e) {
            // the bucket expires by itself
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean remote() {
        return true;
    }

    @Override
    public RateLimitHealth health() {
        try {
            return health.get();
        } catch (RuntimeException e) {
            return new RateLimitHealth(name, false, e.toString());
        }
    }

    @Override
    public void close() {
        closer.run();
    }
}
