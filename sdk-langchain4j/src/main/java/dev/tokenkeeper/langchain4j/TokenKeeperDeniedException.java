package dev.tokenkeeper.langchain4j;

import dev.tokenkeeper.admission.Denial;

/** A call refused by TokenKeeper before it reached the model: a budget, a rate limit, the token. */
public final class TokenKeeperDeniedException extends RuntimeException {
    private final transient Denial denial;

    public TokenKeeperDeniedException(Denial denial) {
        super(denial.reason() + ": " + denial.message());
        this.denial = denial;
    }

    /** Why, which limit, and when to retry or when the budget resets. */
    public Denial denial() {
        return denial;
    }
}
