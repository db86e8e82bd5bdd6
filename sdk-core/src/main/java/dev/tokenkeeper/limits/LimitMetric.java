package dev.tokenkeeper.limits;

/** What a limit counts; its amount and grace are in this metric's unit. */
public enum LimitMetric {
    /** Tokens of every category (input, cached input, cache writes, output, reasoning). */
    TOKENS,
    /** Cost in US dollars, counted in whole picodollars (10⁻¹² USD), exactly. */
    COST_USD,
    /** Calls. */
    REQUESTS;

    /**
     * An amount of this metric as people read it: {@code $0.25} for dollars, {@code 1000 tokens},
     * {@code 60 requests}.
     */
    public String format(long units) {
        return switch (this) {
            case COST_USD -> "$" + dev.tokenkeeper.pricing.Money.ofPicos(units);
            case TOKENS -> units + " tokens";
            case REQUESTS -> units + " requests";
        };
    }

    /**
     * The inverse of {@link #parse}: {@code "0.25"} for $0.25, {@code "1000"} for 1,000 tokens.
     */
    public String text(long units) {
        return this == COST_USD ? dev.tokenkeeper.pricing.Money.ofPicos(units).toString() : Long.toString(units);
    }

    /**
     * An amount of this metric written as people write it: a decimal number of dollars for
     * {@link #COST_USD} ({@code "0.25"}), a whole number of tokens or requests otherwise; in this
     * metric's unit (picodollars for dollars).
     *
     * @param field the name of the value, for the error
     * @throws dev.tokenkeeper.InvalidRequestException naming {@code field} when the text is not such an
     *     amount, or is negative or too large for a limit
     */
    public long parse(String field, String text) {
        java.util.Objects.requireNonNull(text, field);
        if (this == COST_USD) {
            dev.tokenkeeper.pricing.Money usd;
            try {
                usd = dev.tokenkeeper.pricing.Money.of(text);
            } catch (dev.tokenkeeper.InvalidRequestException e) {
                throw new dev.tokenkeeper.InvalidRequestException(
                        field, "must be a decimal number of US dollars" + " with at most 12 decimal places");
            }
            return LimitRules.picos(field, usd);
        }
        long units;
        try {
            units = text.length() > 19 ? -1 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            units = -1;
        }
        if (units < 0 || units > LimitRules.MAX_UNITS) {
            throw new dev.tokenkeeper.InvalidRequestException(
                    field,
                    "must be a whole number of " + name().toLowerCase(java.util.Locale.ROOT) + " from 0 to "
                            + LimitRules.MAX_UNITS);
        }
        return units;
    }
}
