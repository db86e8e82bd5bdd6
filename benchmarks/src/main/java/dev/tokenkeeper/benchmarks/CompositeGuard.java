package dev.tokenkeeper.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The least a guard in front of an LLM call must do, written as plainly as it can be: SHA-256 of the
 * secret, one Caffeine hit keyed by that hash, one Bucket4j {@code tryConsume}, and one
 * compare-and-set add on a budget counter. It checks no expiry, no provider or model, no price, and
 * records nothing; it is the yardstick the admission benchmarks are divided by, measured in the same
 * run, so that their ratio to it can be compared between machines and days where nanoseconds cannot.
 *
 * <p>The cache is configured as TokenKeeper configures its own (bounded, expiring after write, its
 * bookkeeping on the calling thread), so that the yardstick is not slower than it needs to be.
 */
final class CompositeGuard {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(CompositeGuard::sha256);

    /** A 32-byte hash as four longs, the cache's key. */
    static final class Key {
        final long a;
        final long b;
        final long c;
        final long d;

        Key(byte[] h) {
            a = longAt(h, 0);
            b = longAt(h, 8);
            c = longAt(h, 16);
            d = longAt(h, 24);
        }

        private static long longAt(byte[] h, int off) {
            long v = 0;
            for (int i = off; i < off + 8; i++) {
                v = (v << 8) | (h[i] & 0xFFL);
            }
            return v;
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Key k && a == k.a && b == k.b && c == k.c && d == k.d;
        }

        @Override
        public int hashCode() {
            return (int) a;
        }
    }

    /** What the cache holds per secret: its rate bucket and its budget counter. */
    static final class Entry {
        final Bucket bucket = Bucket.builder()
                .addLimit(Bandwidth.builder()
                        // room for every call a benchmark makes: the bucket never refuses
                        .capacity(1_000_000_000L)
                        .refillGreedy(1_000_000_000L, Duration.ofMinutes(1))
                        .build())
                .build();
        final AtomicLong spent = new AtomicLong();
    }

    private final Cache<Key, Entry> cache;
    final String[] secrets;

    CompositeGuard(int keys) {
        cache = Caffeine.newBuilder()
                .executor(Runnable::run)
                .maximumSize(Math.max(10_000, 2L * keys))
                .expireAfterWrite(Duration.ofMinutes(10))
                .build();
        secrets = new String[keys];
        for (int i = 0; i < keys; i++) {
            // the length of a TokenKeeper secret
            secrets[i] = "tk_live_" + String.format("%043d", i);
            cache.put(new Key(hash(secrets[i])), new Entry());
        }
    }

    /** Admits one call of {@code units} against the secret's budget, or refuses it. */
    boolean admit(String secret, long units, long budget) {
        Entry e = cache.getIfPresent(new Key(hash(secret)));
        if (e == null || !e.bucket.tryConsume(1)) {
            return false;
        }
        long before;
        do {
            before = e.spent.get();
            if (before + units > budget) {
                return false;
            }
        } while (!e.spent.compareAndSet(before, before + units));
        return true;
    }

    static byte[] hash(String secret) {
        return SHA256.get().digest(secret.getBytes(StandardCharsets.US_ASCII));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
