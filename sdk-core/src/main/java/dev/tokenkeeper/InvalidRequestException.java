package dev.tokenkeeper;

/**
 * A request argument is missing, malformed or out of range. Nothing was written.
 * {@link #field()} names the offending argument (for example {@code "name"} or
 * {@code "metadata"}), so an HTTP adapter can point at it. The message is bounded and printable
 * whatever the input: at most {@value #MAX_MESSAGE_LENGTH} characters, control characters escaped,
 * so it can be logged or sent back to a client as it is.
 */
public final class InvalidRequestException extends TokenKeeperException {
    private static final long serialVersionUID = 1L;

    /** The longest message: a value quoted in it is shortened to fit. */
    public static final int MAX_MESSAGE_LENGTH = 300;

    private final String field;

    public InvalidRequestException(String field, String message) {
        super(ErrorCode.VALIDATION_FAILED, printable(field, 64) + ": " + printable(message, MAX_MESSAGE_LENGTH));
        this.field = field;
    }

    /**
     * {@code text} with control characters and lone surrogates written as a backslash, {@code u} and four hex digits, cut at
     * {@code max} characters (with the original length said).
     */
    static String printable(String text, int max) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), max) + 16);
        int n = text.length();
        for (int i = 0; i < n; i++) {
            if (b.length() >= max) {
                return b.append("... (").append(n).append(" characters)").toString();
            }
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c)
                    ? i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))
                    : Character.isLowSurrogate(c) ? i > 0 && Character.isHighSurrogate(text.charAt(i - 1)) : true;
            if (Character.isISOControl(c) || !paired) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The name of the argument that is wrong. */
    public String field() {
        return field;
    }
}
