package dev.tokenkeeper.tokens;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link TokenService#verify(String)}: either {@link Verified} with a
 * {@link Principal}, or {@link Rejected} with a {@link RejectionReason}. A refusal is a value, not
 * an exception.
 */
public sealed interface VerificationResult {

    /** Whether the secret was accepted. */
    boolean isVerified();

    /** The principal when verified, else empty. */
    Optional<Principal> principalIfVerified();

    /** The secret was accepted. */
    record Verified(Principal principal) implements VerificationResult {
        public Verified {
            requireNonNull(principal, "principal");
        }

        @Override
        public boolean isVerified() {
            return true;
        }

        @Override
        public Optional<Principal> principalIfVerified() {
            return Optional.of(principal);
        }
    }

    /**
     * The secret was refused.
     *
     * @param reason why
     * @param tokenId the token the secret belongs to, when it is known (EXPIRED, REVOKED)
     */
    record Rejected(RejectionReason reason, @Nullable String tokenId) implements VerificationResult {
        public Rejected {
            requireNonNull(reason, "reason");
        }

        @Override
        public boolean isVerified() {
            return false;
        }

        @Override
        public Optional<Principal> principalIfVerified() {
            return Optional.empty();
        }
    }
}
