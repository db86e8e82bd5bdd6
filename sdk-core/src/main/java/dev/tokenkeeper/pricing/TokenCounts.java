package dev.tokenkeeper.pricing;

import dev.tokenkeeper.InvalidRequestException;

/**
 * Token counts of one call, by billing category. The categories do not overlap: every input token is
 * in exactly one of {@code input}, {@code cachedInput} and {@code cacheWrite}, and every generated
 * token in {@code output} or {@code reasoning}. (OpenAI's {@code prompt_tokens} includes cached
 * tokens and its {@code completion_tokens} includes reasoning tokens: an adapter subtracts them.)
 *
 * @param input input tokens billed at the base input rate
 * @param cachedInput input tokens read from the provider's prompt cache
 * @param cacheWrite input tokens written to the provider's prompt cache
 * @param output generated tokens, reasoning excluded
 * @param reasoning reasoning ("thinking") tokens, billed at the output rate
 */
public record TokenCounts(long input, long cachedInput, long cacheWrite, long output, long reasoning) {
    /** More than any single call can use; larger counts are refused as absurd. */
    public static final long MAX_PER_CATEGORY = 100_000_000L;

    public static final TokenCounts NONE = new TokenCounts(0, 0, 0, 0, 0);

    public TokenCounts {
        check("input", input);
        check("cachedInput", cachedInput);
        check("cacheWrite", cacheWrite);
        check("output", output);
        check("reasoning", reasoning);
    }

    /** Plain input and output, no caching, no reasoning. */
    public static TokenCounts of(long input, long output) {
        return new TokenCounts(input, 0, 0, output, 0);
    }

    /** All input tokens, whatever their category. */
    public long totalInput() {
        return input + cachedInput + cacheWrite;
    }

    /** All generated tokens, reasoning included. */
    public long totalOutput() {
        return output + reasoning;
    }

    public long total() {
        return totalInput() + totalOutput();
    }

    private static void check(String field, long value) {
        if (value < 0 || value > MAX_PER_CATEGORY) {
            throw new InvalidRequestException(field, "must be between 0 and " + MAX_PER_CATEGORY + ", was " + value);
        }
    }
}
