package dev.tokenkeeper.internal.audit;

import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.tokens.RejectionReason;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Counts events that come in bursts (failed verifications, an application's refused requests) in
 * memory and writes one audit event per distinct event and window, so that a burst of a million
 * bad secrets costs a handful of rows, not a million. The number of distinct keys per window is
 * bounded; the excess is counted under one overflow key per action and reason, so nothing goes
 * uncounted.
 */
public final class AggregatedEvents {
    public static final String SYSTEM_TENANT = "_system";
    static final int MAX_KEYS = 10_000;
    static final String OVERFLOW_SOURCE = "(other sources)";
    private static final String ANONYMOUS = "anonymous";

    /** One distinct event; the metadata is part of its identity. */
    public record Key(
            String tenantId,
            String actorId,
            @Nullable String source,
            AuditAction action,
            String targetType,
            @Nullable String targetId,
            AuditOutcome outcome,
            Map<String, String> metadata) {

        Key overflow() {
            String reason = metadata.get("reason");
            return new Key(
                    SYSTEM_TENANT,
                    ANONYMOUS,
                    OVERFLOW_SOURCE,
                    action,
                    targetType,
                    null,
                    outcome,
                    reason == null ? Map.of() : Map.of("reason", reason));
        }
    }

    /**
     * A failed verification: counted under this small key, which is cheap to build and hash on the
     * verification path (a malformed secret is refused in tens of nanoseconds, this included), and
     * turned into its {@link Key} when the window is written.
     */
    private record Failure(
            String tenantId,
            @Nullable String tokenId,
            RejectionReason reason,
            @Nullable String source) {
        Key key() {
            return new Key(
                    tenantId,
                    ANONYMOUS,
                    source,
                    AuditAction.TOKEN_VERIFICATION_FAILED,
                    "token",
                    tokenId,
                    AuditOutcome.FAILURE,
                    Map.of("reason", reason.name()));
        }
    }

    private final Storage storage;
    private final Auditor auditor;
    private final Clock clock;
    private final ConcurrentHashMap<Key, LongAdder> counts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Failure, LongAdder> failures = new ConcurrentHashMap<>();
    private volatile long windowStart;

    public AggregatedEvents(Storage storage, Auditor auditor, Clock clock) {
        this.storage = storage;
        this.auditor = auditor;
        this.clock = clock;
        this.windowStart = clock.millis();
    }

    /** Counts one failed verification. */
    public void record(
            @Nullable String tenantId, @Nullable String tokenId, RejectionReason reason, @Nullable String source) {
        Failure f = new Failure(tenantId == null ? SYSTEM_TENANT : tenantId, tokenId, reason, source);
        LongAdder adder = failures.get(f);
        if (adder == null) {
            if (pendingKeys() >= MAX_KEYS) {
                count(f.key().overflow());
                return;
            }
            adder = failures.computeIfAbsent(f, k -> new LongAdder());
        }
        adder.increment();
    }

    /** Counts one occurrence of an event. */
    public void count(Key key) {
        LongAdder adder = counts.get(key);
        if (adder == null) {
            if (pendingKeys() >= MAX_KEYS) {
                key = key.overflow();
            }
            adder = counts.computeIfAbsent(key, k -> new LongAdder());
        }
        adder.increment();
    }

    /** Writes the window's counts as audit events in one transaction and starts a new window. */
    public synchronized void flush() {
        long start = windowStart;
        long end = clock.millis();
        Map<Key, Long> drained = new LinkedHashMap<>();
        for (Key key : new ArrayList<>(counts.keySet())) {
            LongAdder adder = counts.remove(key);
            if (adder != null && adder.sum() > 0) {
                drained.merge(key, adder.sum(), Long::sum);
            }
        }
        for (Failure f : new ArrayList<>(failures.keySet())) {
            LongAdder adder = failures.remove(f);
            if (adder != null && adder.sum() > 0) {
                drained.merge(f.key(), adder.sum(), Long::sum);
            }
        }
        windowStart = end;
        if (drained.isEmpty()) {
            return;
        }
        try {
            storage.write(tx -> {
                drained.forEach((key, count) -> {
                    Map<String, String> metadata = new LinkedHashMap<>(key.metadata());
                    metadata.put("count", Long.toString(count));
                    metadata.put("window_start", Instant.ofEpochMilli(start).toString());
                    metadata.put("window_end", Instant.ofEpochMilli(end).toString());
                    auditor.record(
                            tx,
                            key.tenantId(),
                            new Actor(key.actorId(), key.source()),
                            key.action(),
                            key.targetType(),
                            key.targetId(),
                            key.outcome(),
                            metadata);
                });
                return null;
            });
        } catch (RuntimeException e) {
            // Keep the counts for the next attempt rather than lose them.
            drained.forEach((key, count) ->
                    counts.computeIfAbsent(key, k -> new LongAdder()).add(count));
            windowStart = start;
            throw e;
        }
    }

    /** Distinct keys counted in the current window (for tests and metrics). */
    public int pendingKeys() {
        return counts.size() + failures.size();
    }
}
