package dev.tokenkeeper.pricing;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import java.math.BigDecimal;

/**
 * Prices in USD per one million tokens, per billing category. Each has at most six decimal places,
 * so that one token costs a whole number of picodollars.
 *
 * @param input base input tokens
 * @param cachedInput input tokens read from the prompt cache
 * @param cacheWrite input tokens written to the prompt cache (the provider's default cache lifetime)
 * @param output generated tokens; reasoning tokens are billed at this rate too
 */
public record Rates(Money input, Money cachedInput, Money cacheWrite, Money output) {
    private static final int MAX_DECIMALS = 6;

    public Rates {
        check("input", input);
        check("cachedInput", cachedInput);
        check("cacheWrite", cacheWrite);
        check("output", output);
    }

    /** The cost of {@code counts} at these rates, exact, split per category. */
    public Cost.Split costOf(TokenCounts counts) {
        return new Cost.Split(
                perMillion(input, counts.input()),
                perMillion(cachedInput, counts.cachedInput()),
                perMillion(cacheWrite, counts.cacheWrite()),
                perMillion(output, counts.output()),
                perMillion(output, counts.reasoning()));
    }

    private static Money perMillion(Money pricePerMillion, long tokens) {
        return Money.of(pricePerMillion.amount().multiply(BigDecimal.valueOf(tokens)).movePointLeft(6));
    }

    private static void check(String field, Money price) {
        requireNonNull(price, field);
        if (price.isNegative()) {
            throw new InvalidRequestException(field, "must not be negative");
        }
        if (price.amount().stripTrailingZeros().scale() > MAX_DECIMALS) {
            throw new InvalidRequestException(field, "at most " + MAX_DECIMALS + " decimal places per million tokens");
        }
    }
}
