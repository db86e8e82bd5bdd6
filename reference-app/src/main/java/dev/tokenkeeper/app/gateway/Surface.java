package dev.tokenkeeper.app.gateway;

/** An API surface of the gateway: the path a client calls, and the path of the provider it goes to. */
public enum Surface {
    /** OpenAI's {@code POST /v1/chat/completions}. */
    OPENAI_CHAT("chat_completions", "/chat/completions", true),
    /** OpenAI's Responses API, {@code POST /v1/responses}. */
    OPENAI_RESPONSES("responses", "/responses", true),
    /** OpenAI's {@code POST /v1/embeddings}. */
    OPENAI_EMBEDDINGS("embeddings", "/embeddings", false),
    /** Anthropic's {@code POST /v1/messages}. */
    ANTHROPIC_MESSAGES("messages", "/v1/messages", true),
    /**
     * Anthropic's {@code POST /v1/messages/count_tokens}: the input tokens of a Messages request,
     * counted without a call (Claude Code asks before its calls). Not an LLM call: see
     * {@code Gateway}.
     */
    ANTHROPIC_COUNT_TOKENS("count_tokens", "/v1/messages/count_tokens", false);

    private final String id;
    private final String upstreamPath;
    private final boolean streams;

    Surface(String id, String upstreamPath, boolean streams) {
        this.id = id;
        this.upstreamPath = upstreamPath;
        this.streams = streams;
    }

    /** The name recorded in each call's trace ({@code surface} metadata). */
    public String id() {
        return id;
    }

    /** The path appended to the provider's base URL. */
    public String upstreamPath() {
        return upstreamPath;
    }

    /** Whether the surface speaks Anthropic's API (otherwise OpenAI's). */
    public boolean anthropic() {
        return this == ANTHROPIC_MESSAGES || this == ANTHROPIC_COUNT_TOKENS;
    }

    /** Whether a client may ask for an event stream. */
    public boolean streams() {
        return streams;
    }
}
