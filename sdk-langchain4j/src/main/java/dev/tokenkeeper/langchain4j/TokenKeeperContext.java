package dev.tokenkeeper.langchain4j;

import static java.util.Objects.requireNonNull;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The caller of the model calls made inside {@link #callAs}: for decorators built without a fixed
 * secret, such as one model shared by an AI Service that serves many users. Per thread; the
 * decorators read it on the thread that starts the call.
 *
 * <pre>{@code
 * String answer = TokenKeeperContext.callAs(userToken, runId, () -> assistant.chat(question));
 * }</pre>
 */
public final class TokenKeeperContext {
    /** Who calls, and in which agent run. */
    record Subject(String secret, @Nullable String runId) {}

    private static final ThreadLocal<Subject> CURRENT = new ThreadLocal<>();

    private TokenKeeperContext() {}

    /** Runs {@code work} with the model calls it makes attributed to {@code secret} (and {@code runId}). */
    public static <T> T callAs(String secret, @Nullable String runId, Supplier<T> work) {
        requireNonNull(secret, "secret");
        requireNonNull(work, "work");
        Subject previous = CURRENT.get();
        CURRENT.set(new Subject(secret, runId));
        try {
            return work.get();
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    /** {@link #callAs(String, String, Supplier)} without a run. */
    public static <T> T callAs(String secret, Supplier<T> work) {
        return callAs(secret, null, work);
    }

    static @Nullable Subject current() {
        return CURRENT.get();
    }
}
