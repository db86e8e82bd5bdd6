package dev.tokenkeeper.audit;

import dev.tokenkeeper.internal.util.Checks;
import org.jspecify.annotations.Nullable;

/**
 * Who performed an action, as written to the audit log.
 *
 * @param id an opaque identifier chosen by the application: a user id, {@code "token:<id>"}, a
 *     service name; 1 to 128 characters
 * @param source where the action came from, such as a client IP address, or {@code null}
 */
public record Actor(String id, @Nullable String source) {
    /** The actor used when the application names none. */
    public static final Actor SYSTEM = new Actor("system", null);

    public Actor {
        Checks.identifier("actor.id", id);
        if (source != null) {
            Checks.text("actor.source", source, 256);
        }
    }

    /** An actor without a source. */
    public static Actor of(String id) {
        return new Actor(id, null);
    }

    /** An actor with a source. */
    public static Actor of(String id, @Nullable String source) {
        return new Actor(id, source);
    }
}
