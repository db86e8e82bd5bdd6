package dev.tokenkeeper.pricing;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;

/**
 * Prices in USD per one million tokens, per billing category. Each has at most six decimal places,
 * so that one token costs a whole number of picodollars, and is at most {@link #MAX_PER_MILLION}.
 *
 * @param input base input tokens
 * @param cachedInput input tokens read from the prompt cache
 * @param cacheWrite input tokens written to the prompt cache (the provider's default cache lifetime)
 * @param output generated tokens; reasoning tokens are billed at this rate too
 */
public record Rates(Money input, Money cachedInput, Money cacheWrite, Money output) {
    private static final int MAX_DECIMALS = 6;
    /** The highest price per million tokens: $1,000,000, that is $1 a token. */
    public static final Money MAX_PER_MILLION = Money.of("1000000");

    public Rates {
        check("input", input);
        check("cachedInput", cachedInput);
        check("cacheWrite", cacheWrite);
        check("output", output);
    }

    /** The cost of {@code counts} at these rates, exact, split per category. */
    public Cost.Split costOf(TokenCounts counts) {
        return new Cost.Split(
                Money.ofPicos(Math.multiplyExact(counts.input(), picosPerToken(input))),
                Money.ofPicos(Math.multiplyExact(counts.cachedInput(), picosPerToken(cachedInput))),
                Money.ofPicos(Math.multiplyExact(counts.cacheWrite(), picosPerToken(cacheWrite))),
                Money.ofPicos(Math.multiplyExact(counts.output(), picosPerToken(output))),
                Money.ofPicos(Math.multiplyExact(counts.reasoning(), picosPerToken(output))));
    }

    /**
     * Picodollars per token: the price per million tokens times 10^6, a whole number because prices
     * carry at most six decimals.
     */
    static long picosPerToken(Money pricePerMillion) {
        return pricePerMillion.toPicosExact() / 1_000_000L;
    }

    private static void check(String field, Money price) {
        requireNonNull(price, field);
        if (price.isNegative()) {
            throw new InvalidRequestException(field, "must not be negative");
        }
        if (price.compareTo(MAX_PER_MILLION) > 0) {
            throw new InvalidRequestException(field, "must be at most $" + MAX_PER_MILLION + " per million tokens");
        }
        if (price.amount().stripTrailingZeros().scale() > MAX_DECIMALS) {
            throw new InvalidRequestException(field, "at most " + MAX_DECIMALS + " decimal places per million tokens");
        }
    }
}
