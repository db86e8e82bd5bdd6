package dev.tokenkeeper.admission;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How a permitted call went, for {@link Permit#complete(Completion)}.
 *
 * @param counts the tokens used, as the provider reported them (or estimated, or partial)
 * @param latency how long the call took
 * @param outcome success, error or cancelled
 * @param source where the counts come from
 * @param errorMessage what went wrong, for a failed call; never a secret
 * @param metadata extra fields stored with the event
 */
public record Completion(
        TokenCounts counts,
        Duration latency,
        CallOutcome outcome,
        UsageSource source,
        @Nullable String errorMessage,
        Map<String, String> metadata) {
    public Completion {
        requireNonNull(counts, "counts");
        requireNonNull(latency, "latency");
        requireNonNull(outcome, "outcome");
        requireNonNull(source, "source");
        metadata = Map.copyOf(requireNonNull(metadata, "metadata"));
    }

    /** A successful call with provider-reported counts. */
    public static Completion success(TokenCounts counts, Duration latency) {
        return new Completion(counts, latency, CallOutcome.SUCCESS, UsageSource.REPORTED, null, Map.of());
    }

    /** A failed call, with whatever it used before failing. */
    public static Completion failure(TokenCounts counts, Duration latency, String errorMessage) {
        return new Completion(counts, latency, CallOutcome.ERROR, UsageSource.REPORTED, errorMessage, Map.of());
    }

    /** A stream cut short: the counts are what was seen. */
    public static Completion cancelled(TokenCounts partial, Duration latency) {
        return new Completion(partial, latency, CallOutcome.CANCELLED, UsageSource.PARTIAL, null, Map.of());
    }
}
