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

    /** Digits before the decimal point at most: amounts are below 10<sup>18</sup> USD. */
    public static final int MAX_INTEGER_DIGITS = 18;

    /** The longest string {@link #of(String)} parses. */
    public static final int MAX_TEXT_LENGTH = 40;

    public static final Money ZERO = new Money(BigDecimal.ZERO);

    /**
     * @throws InvalidRequestException (field {@code amount}) for more than 12 decimal places or
     *     {@value #MAX_INTEGER_DIGITS} digits before the point; checked before any arithmetic, so that
     *     an amount such as {@code 1e10000000} costs nothing to refuse
     */
    public Money {
        requireNonNull(amount, "amount");
        if (amount.scale() != SCALE) {
            if ((long) amount.precision() - amount.scale() > MAX_INTEGER_DIGITS) {
                throw new InvalidRequestException("amount", "must be less than 10^" + MAX_INTEGER_DIGITS + " USD");
            }
            if (amount.scale() > SCALE && amount.stripTrailingZeros().scale() > SCALE) {
                throw new InvalidRequestException("amount", "must have at most 12 decimal places (a picodollar)");
            }
            amount = amount.setScale(SCALE); // exact: only zeros are added or removed
        }
    }

    /**
     * Parses a decimal string such as {@code "0.0025"} (an exponent such as {@code "2.5e-3"} is
     * accepted).
     *
     * @throws InvalidRequestException (field {@code amount}) for anything else, for more than
     *     {@value #MAX_TEXT_LENGTH} characters, or for an amount out of range
     */
    public static Money of(String usd) {
        requireNonNull(usd, "usd");
        if (usd.length() > MAX_TEXT_LENGTH) {
            throw new InvalidRequestException("amount", "must be at most " + MAX_TEXT_LENGTH + " characters");
        }
        try {
            return new Money(new BigDecimal(usd));
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("amount", "'" + usd + "' is not a decimal number");
        }
    }

    /** The amount in US dollars, as a {@link BigDecimal} with 12 decimal places (the same as {@link #amount()}). */
    public BigDecimal usd() {
        return amount;
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
