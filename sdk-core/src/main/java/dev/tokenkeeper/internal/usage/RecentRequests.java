package dev.tokenkeeper.internal.usage;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The request ids this instance recorded recently, with what their first attempt was stored as, so
 * that a re-stamped retry maps to the first attempt. Two generations of plain concurrent maps: new
 * entries go into the current one; when it is one window old, or holds half of {@code maxEntries},
 * it becomes the previous one and the one before is dropped whole. So an entry is remembered for at
 * least one window (unless more than half of {@code maxEntries} new request ids arrive within it)
 * and at most two, and memory stays below {@code maxEntries} entries.
 *
 * <p>This replaced a Caffeine cache with size and time bounds: per-entry eviction bookkeeping cost
 * a quarter of {@code complete}'s time, and no entry here needs to leave before its generation.
 * Thread-safe; time comes from the keeper's clock.
 *
 * @param <V> what is remembered per request
 */
final class RecentRequests<V> {
    private record Generations<V>(ConcurrentHashMap<String, V> current, ConcurrentHashMap<String, V> previous,
            long startedAt, AtomicInteger size) {}

    private final Clock clock;
    private final long windowMillis;
    private final int generationLimit;
    private final AtomicReference<Generations<V>> generations;

    RecentRequests(Clock clock, Duration window, int maxEntries) {
        this.clock = clock;
        this.windowMillis = window.toMillis();
        this.generationLimit = Math.max(1, maxEntries / 2);
        this.generations = new AtomicReference<>(fresh(new ConcurrentHashMap<>(), clock.millis()));
    }

    private Generations<V> fresh(ConcurrentHashMap<String, V> previous, long now) {
        return new Generations<>(new ConcurrentHashMap<>(), previous, now, new AtomicInteger());
    }

    /**
     * What {@code key} was remembered as, or else {@code create}'s value, remembered from now on;
     * {@code create} runs at most once per key and generation.
     */
    V get(String key, Function<String, V> create) {
        Generations<V> g = current();
        V seen = g.previous().get(key);
        if (seen != null) {
            return seen;
        }
        seen = g.current().get(key);
        if (seen != null) {
            return seen;
        }
        return g.current().computeIfAbsent(key, k -> {
            g.size().incrementAndGet();
            return create.apply(k);
        });
    }

    /** Forgets {@code key} (its first attempt was not recorded after all). */
    void forget(String key) {
        Generations<V> g = generations.get();
        g.current().remove(key);
        g.previous().remove(key);
    }

    /** Entries remembered now (both generations). */
    int size() {
        Generations<V> g = generations.get();
        return g.current().size() + g.previous().size();
    }

    private Generations<V> current() {
        Generations<V> g = generations.get();
        long now = clock.millis();
        if (now - g.startedAt() < windowMillis && g.size().get() < generationLimit) {
            return g;
        }
        Generations<V> next = fresh(g.current(), now);
        // one thread turns the generation; the others use whatever is current after the attempt
        return generations.compareAndSet(g, next) ? next : generations.get();
    }
}
