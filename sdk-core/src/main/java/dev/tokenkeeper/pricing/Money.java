package dev.tokenkeeper.pricing;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * An exact amount of US dollars. Arithmetic is decimal (never {@code double}); amounts carry at
 * most 12 decimal places, so every amount is a whole number of picodollars (10<sup>-12</sup> USD),
 * which is how the ledger stores them. A price of $0.000001 per million tokens is one picodollar per
 * token, so any price with at most six decimals per million tokens costs a whole number of
 * picodollars per token, and the sum of costs equals the cost of the summed tokens exactly.
 *
 * @param amount the amount in USD, at most 12 decimal places
 */
public record Money(BigDecimal amount) implements Comparable<Money> {
    /** Decimal places of a picodollar. */
    public static final int SCALE = 12;

    public static final Money ZERO = new Money(BigDecimal.ZERO);

    public Money {
        requireNonNull(amount, "amount");
        if (amount.scale() != SCALE) {
            if (amount.scale() > SCALE && amount.stripTrailingZeros().scale() > SCALE) {
                throw new InvalidRequestException("amount", amount.toPlainString() + " has more than 12 decimal places");
            }
            amount = amount.setScale(SCALE); // exact: only zeros are added or removed
        }
    }

    /** Parses a decimal string such as {@code "0.0025"}. */
    public static Money of(String usd) {
        requireNonNull(usd, "usd");
        try {
            return new Money(new BigDecimal(usd));
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("amount", "'" + usd + "' is not a decimal number");
        }
    }

    public static Money of(BigDecimal usd) {
        return new Money(usd);
    }

    /** An amount given in picodollars. */
    public static Money ofPicos(long picos) {
        return picos == 0 ? ZERO : new Money(BigDecimal.valueOf(picos, SCALE));
    }

    /** The amount in picodollars (exact). */
    public BigInteger toPicos() {
        return amount.unscaledValue(); // the scale is always 12
    }

    /** The amount in picodollars, for storage; throws if it does not fit in a {@code long} (over $9.2 million). */
    public long toPicosExact() {
        return amount.unscaledValue().longValueExact();
    }

    public Money plus(Money other) {
        return new Money(amount.add(other.amount));
    }

    public Money times(long factor) {
        return new Money(amount.multiply(BigDecimal.valueOf(factor)));
    }

    public boolean isNegative() {
        return amount.signum() < 0;
    }

    public boolean isZero() {
        return amount.signum() == 0;
    }

    @Override
    public int compareTo(Money o) {
        return amount.compareTo(o.amount);
    }

    /** The plain decimal form without trailing zeros, such as {@code 0.0025}. */
    @Override
    public String toString() {
        BigDecimal s = amount.stripTrailingZeros();
        return (s.scale() < 0 ? s.setScale(0) : s).toPlainString();
    }
}
