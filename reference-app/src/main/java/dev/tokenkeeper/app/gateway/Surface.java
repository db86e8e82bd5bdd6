package dev.tokenkeeper.app.gateway;

/** An API surface of the gateway: the path a client calls, and the path of the provider it goes to. */
public enum Surface {
    /** OpenAI's {@code POST /v1/chat/completions}. */
    OPENAI_CHAT("chat_completions", "/chat/completions"),
    /** Anthropic's {@code POST /v1/messages}. */
    ANTHROPIC_MESSAGES("messages", "/v1/messages");

    private final String id;
    private final String upstreamPath;

    Surface(String id, String upstreamPath) {
        this.id = id;
        this.upstreamPath = upstreamPath;
    }

    /** The name recorded in each call's trace ({@code surface} metadata). */
    public String id() {
        return id;
    }

    /** The path appended to the provider's base URL. */
    public String upstreamPath() {
        return upstreamPath;
    }

    public boolean anthropic() {
        return this == ANTHROPIC_MESSAGES;
    }
}
