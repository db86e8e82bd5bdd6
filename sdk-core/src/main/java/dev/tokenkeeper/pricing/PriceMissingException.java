package dev.tokenkeeper.pricing;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.TokenKeeperException;

/** No price is known for the model, and the {@link UnknownPricePolicy} is {@code REJECT}. */
public final class PriceMissingException extends TokenKeeperException {
    private static final long serialVersionUID = 1L;

    public PriceMissingException(String provider, String model) {
        super(
                ErrorCode.PRICE_MISSING,
                "no price is known for " + provider + "/" + model
                        + "; add one to the pricing catalog or choose another unknown-price policy");
    }
}
