package dev.tokenkeeper.internal.tokens;

import dev.tokenkeeper.tokens.VerificationResult;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of verifying a secret, prepared once per cached token state (so that a cache hit
 * allocates nothing), with a slot where {@code authorize} keeps what it derives from the token and
 * may reuse on the token's next call (the limits that apply to it). The slot lives as long as the
 * cached state: a change to the token drops both.
 */
public final class TokenCheck {
    private final VerificationResult result;
    private volatile @Nullable Object admissionMemo;

    TokenCheck(VerificationResult result) {
        this.result = result;
    }

    public VerificationResult result() {
        return result;
    }

    /**
     * What the admission last remembered for this token's calls. Typed {@code Object} so that the
     * tokens do not depend on the limits; only {@code Admissions} reads and writes it.
     */
    public @Nullable Object admissionMemo() {
        return admissionMemo;
    }

    public void admissionMemo(@Nullable Object memo) {
        admissionMemo = memo;
    }
}
