package dev.tokenkeeper.pricing;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The exact cost of one call, split per billing category.
 *
 * @param split the cost per category
 * @param price the price it was computed with, or {@code null} when no price was known
 * @param priceMissing whether no price was known for the model (the cost is then zero or a default,
 *     depending on the {@link UnknownPricePolicy}, and the event is flagged)
 */
public record Cost(Split split, @Nullable ModelPrice price, boolean priceMissing) {
    public Cost {
        requireNonNull(split, "split");
    }

    /** The total. */
    public Money total() {
        return split.total();
    }

    /**
     * Cost per billing category.
     *
     * @param input base input
     * @param cachedInput cache reads
     * @param cacheWrite cache writes
     * @param output generated tokens
     * @param reasoning reasoning tokens (at the output rate)
     */
    public record Split(Money input, Money cachedInput, Money cacheWrite, Money output, Money reasoning) {
        public static final Split ZERO = new Split(Money.ZERO, Money.ZERO, Money.ZERO, Money.ZERO, Money.ZERO);

        public Money total() {
            return input.plus(cachedInput).plus(cacheWrite).plus(output).plus(reasoning);
        }
    }
}
