package dev.tokenkeeper.servlet;

/** The body of the filter's refusals. */
public enum ErrorFormat {
    /** RFC 9457 {@code application/problem+json} with a stable {@code code} (the default). */
    PROBLEM,
    /**
     * OpenAI's envelope, {@code {"error":{"message","type","param","code"}}}, for OpenAI-compatible
     * paths, so that OpenAI's SDKs raise their usual exception with the message.
     */
    OPENAI,
    /**
     * Anthropic's envelope, {@code {"type":"error","error":{"type","message"}}} with Anthropic's error
     * types ({@code authentication_error}, {@code permission_error}, {@code rate_limit_error},
     * {@code api_error}), for Anthropic-compatible paths.
     */
    ANTHROPIC
}
