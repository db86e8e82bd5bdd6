package dev.tokenkeeper.admission;

import dev.tokenkeeper.tokens.Principal;
import org.jspecify.annotations.Nullable;

/**
 * The answer of {@code keeper.checkRequest}: the caller, or why the request is refused.
 *
 * @param principal who is calling, when admitted
 * @param denial why not, when refused
 */
public record RequestAdmission(
        @Nullable Principal principal, @Nullable Denial denial) {
    public boolean allowed() {
        return denial == null;
    }
}
