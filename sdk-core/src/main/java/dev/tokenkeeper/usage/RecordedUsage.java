package dev.tokenkeeper.usage;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.pricing.Cost;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What {@link UsageService#record(UsageEvent)} or {@link dev.tokenkeeper.admission.Permit#complete}
 * accepted: the event's id, its exact cost, and whether it is committed already.
 *
 * <p>The id and the cost are values: equal results have equal ids, costs and durability. TokenKeeper's
 * own ledger makes them when they are first asked for (see {@link #deferred}), so that a caller that
 * reads neither, as most callers of {@code complete} do, does not pay for the id's text and the cost's
 * {@link java.math.BigDecimal} amounts; the values are the same whenever they are asked for.
 */
public final class RecordedUsage {
    private final @Nullable Supplier<String> idSource;
    private final @Nullable Supplier<Cost> costSource;
    private final boolean durable;
    // Made at most once per thread that races for them: both are immutable, so a racing reader sees
    // either null (and makes an equal value) or a whole value.
    private @Nullable String eventId;
    private @Nullable Cost cost;

    /**
     * @param eventId the event's id in the ledger (also its trace id)
     * @param cost the exact cost computed at record time
     * @param durable whether the event is committed already (synchronous mode) or queued for the writer
     */
    public RecordedUsage(String eventId, Cost cost, boolean durable) {
        this.eventId = requireNonNull(eventId, "eventId");
        this.cost = requireNonNull(cost, "cost");
        this.durable = durable;
        this.idSource = null;
        this.costSource = null;
    }

    private RecordedUsage(Supplier<String> eventId, Supplier<Cost> cost, boolean durable) {
        this.idSource = requireNonNull(eventId, "eventId");
        this.costSource = requireNonNull(cost, "cost");
        this.durable = durable;
    }

    /**
     * A result whose id and cost are made when first asked for. Each supplier must always give the
     * same value (the event's id and cost are fixed when it is recorded), must not fail, and may be
     * called more than once by threads that ask at the same time.
     */
    public static RecordedUsage deferred(Supplier<String> eventId, Supplier<Cost> cost, boolean durable) {
        return new RecordedUsage(eventId, cost, durable);
    }

    /** The event's id in the ledger (also its trace id). */
    public String eventId() {
        String id = eventId;
        if (id == null) {
            id = requireNonNull(requireNonNull(idSource).get(), "eventId");
            eventId = id;
        }
        return id;
    }

    /** The exact cost computed at record time. */
    public Cost cost() {
        Cost c = cost;
        if (c == null) {
            c = requireNonNull(requireNonNull(costSource).get(), "cost");
            cost = c;
        }
        return c;
    }

    /** Whether the event is committed already (synchronous mode) or queued for the writer. */
    public boolean durable() {
        return durable;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof RecordedUsage r
                && durable == r.durable
                && eventId().equals(r.eventId())
                && cost().equals(r.cost());
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId(), cost(), durable);
    }

    @Override
    public String toString() {
        return "RecordedUsage[eventId=" + eventId() + ", cost=" + cost() + ", durable=" + durable + "]";
    }
}
