package dev.tokenkeeper.pricing;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import java.time.Instant;
import java.time.LocalDate;
import org.jspecify.annotations.Nullable;

/**
 * The price of one model from one instant on, with where it came from.
 *
 * @param provider provider id, such as {@code anthropic}
 * @param model canonical model id, such as {@code claude-sonnet-4-5}
 * @param effectiveFrom the first instant this price applies to
 * @param rates the rates
 * @param longContext higher rates for calls whose input exceeds a threshold, or {@code null}
 * @param source where the price was read (a URL, or {@code runtime} for one set by an application)
 * @param checkedOn the day the source was read
 */
public record ModelPrice(
        String provider,
        String model,
        Instant effectiveFrom,
        Rates rates,
        @Nullable LongContext longContext,
        String source,
        LocalDate checkedOn) {

    public ModelPrice {
        requireNonNull(provider, "provider");
        requireNonNull(model, "model");
        requireNonNull(effectiveFrom, "effectiveFrom");
        dev.tokenkeeper.internal.util.Checks.instant("effectiveFrom", effectiveFrom);
        requireNonNull(rates, "rates");
        requireNonNull(source, "source");
        requireNonNull(checkedOn, "checkedOn");
    }

    /**
     * Rates that apply to a whole call when its input exceeds {@code aboveInputTokens}.
     *
     * @param aboveInputTokens the threshold, in input tokens of all categories
     * @param rates the rates above it
     */
    public record LongContext(long aboveInputTokens, Rates rates) {
        public LongContext {
            if (aboveInputTokens < 1) {
                throw new InvalidRequestException("aboveInputTokens", "must be positive");
            }
            requireNonNull(rates, "rates");
        }
    }

    /** The rates that apply to a call with these counts. */
    public Rates ratesFor(TokenCounts counts) {
        return longContext != null && counts.totalInput() > longContext.aboveInputTokens()
                ? longContext.rates()
                : rates;
    }

    /** The exact cost of a call with these counts. */
    public Cost costOf(TokenCounts counts) {
        return new Cost(ratesFor(counts).costOf(counts), this, false);
    }
}
