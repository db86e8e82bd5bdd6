package dev.tokenkeeper.tokens;

import static java.util.Objects.requireNonNull;

/**
 * A freshly issued or rotated token. {@link #secret()} is shown here once and never again: only its
 * hash is stored. {@link #toString()} leaves the secret out so it does not end up in logs.
 *
 * @param secret the bearer secret to hand to the client
 * @param info the token's details
 */
public record IssuedToken(String secret, TokenInfo info) {
    public IssuedToken {
        requireNonNull(secret, "secret");
        requireNonNull(info, "info");
    }

    @Override
    public String toString() {
        return "IssuedToken[id=" + info.id() + ", prefix=" + info.displayPrefix() + ", secret=<hidden>]";
    }
}
