package dev.tokenkeeper.usage;

import dev.tokenkeeper.pricing.Cost;

/**
 * What {@link UsageService#record(UsageEvent)} accepted.
 *
 * @param eventId the event's id in the ledger (also its trace id)
 * @param cost the exact cost computed at record time
 * @param durable whether the event is committed already (synchronous mode) or queued for the writer
 */
public record RecordedUsage(String eventId, Cost cost, boolean durable) {}
