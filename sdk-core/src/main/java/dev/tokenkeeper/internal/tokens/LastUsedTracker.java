package dev.tokenkeeper.internal.tokens;

import dev.tokenkeeper.internal.storage.Storage;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collects last-used times in memory and writes them in one batch per flush, so verification does
 * no database write. A token's time is queued at most once per {@link #GRANULARITY_MILLIS}.
 */
final class LastUsedTracker {
    static final long GRANULARITY_MILLIS = 1000;

    private final Storage storage;
    private final ConcurrentHashMap<String, Long> pending = new ConcurrentHashMap<>();

    LastUsedTracker(Storage storage) {
        this.storage = storage;
    }

    void mark(TokenState state, long now) {
        if (now - state.lastUsedMark >= GRANULARITY_MILLIS) {
            state.lastUsedMark = now;
            pending.merge(state.tokenId, now, Math::max);
        }
    }

    synchronized void flush() {
        if (pending.isEmpty()) {
            return;
        }
        Map<String, Long> batch = new java.util.TreeMap<>(); // in id order: instances flushing together cannot deadlock
        for (String id : pending.keySet()) {
            Long at = pending.remove(id);
            if (at != null) {
                batch.put(id, at);
            }
        }
        try {
            storage.write(tx -> {
                storage.tokens().touchLastUsed(tx, batch);
                return null;
            });
        } catch (RuntimeException e) {
            batch.forEach((id, at) -> pending.merge(id, at, Math::max));
            throw e;
        }
    }
}
