package dev.tokenkeeper.internal.util;

/**
 * The one rule for matching a model name against a name or a {@code prefix*} pattern, shared by
 * allowed models, limit filters and (through its own lower-cased keys) the pricing catalog: without
 * regard to case, since providers publish their model ids in lower case and a caller's
 * {@code GPT-4o} must not escape a limit on {@code gpt-4o} that the price lookup would apply.
 */
public final class ModelPatterns {
    private ModelPatterns() {}

    /** Whether {@code model} is {@code pattern} or, for a pattern ending in {@code *}, starts with its prefix. */
    public static boolean matches(String pattern, String model) {
        int n = pattern.length();
        if (n > 0 && pattern.charAt(n - 1) == '*') {
            return model.regionMatches(true, 0, pattern, 0, n - 1);
        }
        return pattern.equalsIgnoreCase(model);
    }
}
