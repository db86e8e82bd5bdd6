package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.limits.RateLimitBackend;
import dev.tokenkeeper.limits.RateLimitHealth;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Bucket4j's Lettuce backend (compare-and-swap). Loaded only when Redis is configured, so that
 * Lettuce stays optional. The connection is opened on first use and re-opened after a failure (at
 * most once a second); once open, Lettuce reconnects by itself and, while disconnected, refuses
 * commands at once instead of queueing them.
 */
final class RedisRateBuckets {
    private RedisRateBuckets() {}

    static RemoteRateBuckets create(RateLimitBackend backend, TimeMeter time) {
        Connector c = new Connector(backend, time);
        return new RemoteRateBuckets("redis", "tokenkeeper:rate:", c::proxies, c::health, c::close);
    }

    private static final class Connector {
        private final RedisClient client;
        private final TimeMeter time;
        private final Duration timeout;
        private volatile @Nullable StatefulRedisConnection<String, byte[]> connection;
        private volatile @Nullable ProxyManager<String> proxies;
        private long nextAttempt;

        Connector(RateLimitBackend backend, TimeMeter time) {
            RedisURI uri = RedisURI.create(backend.redisUri());
            uri.setTimeout(backend.timeout());
            this.client = RedisClient.create(uri);
            this.client.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(backend.timeout()))
                    .build());
            this.time = time;
            this.timeout = backend.timeout();
        }

        ProxyManager<String> proxies() {
            ProxyManager<String> p = proxies;
            return p != null ? p : connect();
        }

        private synchronized ProxyManager<String> connect() {
            ProxyManager<String> connected = proxies;
            if (connected != null) {
                return connected;
            }
            long now = time.currentTimeNanos(); // the keeper's clock, so a test can drive the retry
            if (now - nextAttempt < 0) {
                throw new IllegalStateException("redis is not connected; next attempt within a second");
            }
            StatefulRedisConnection<String, byte[]> c;
            try {
                c = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            } catch (RuntimeException e) {
                nextAttempt = now + TimeUnit.SECONDS.toNanos(1);
                throw e;
            }
            connection = c;
            ProxyManager<String> made = Bucket4jLettuce.casBasedBuilder(c)
                    .clientClock(time)
                    .requestTimeout(timeout)
                    .expirationAfterWrite(
                            ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                    .build();
            proxies = made;
            return made;
        }

        RateLimitHealth health() {
            try {
                proxies();
                java.util.Objects.requireNonNull(connection)
                        .async()
                        .ping()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return new RateLimitHealth("redis", true, null);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                return new RateLimitHealth("redis", false, e.toString());
            }
        }

        synchronized void close() {
            StatefulRedisConnection<String, byte[]> c = connection;
            if (c != null) {
                c.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
