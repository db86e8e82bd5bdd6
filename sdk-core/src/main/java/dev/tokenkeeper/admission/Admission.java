package dev.tokenkeeper.admission;

/** The answer of {@code keeper.authorize}: a {@link Permit} to make the call, or a {@link Denial}. */
public sealed interface Admission permits Permit, Denial {
    /** Whether the call may go ahead. */
    boolean allowed();
}
