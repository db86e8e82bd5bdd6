package dev.tokenkeeper.app.gateway;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The gateway's providers ({@code tokenkeeper.providers.<name>.*}) and limits
 * ({@code tokenkeeper.gateway.*}).
 *
 * @param providers the LLM providers calls are routed to, by name; the name is the provider id the
 *     keeper counts and prices the calls under ({@code openai}, {@code anthropic}: the catalog's ids)
 * @param gateway limits of the gateway itself
 */
@ConfigurationProperties("tokenkeeper")
public record GatewayProperties(
        @DefaultValue Map<String, Provider> providers,
        @DefaultValue Gateway gateway) {

    /** The kind of API a provider speaks. */
    public enum Type {
        /** OpenAI's API (or a compatible one): {@code base-url} ends with {@code /v1}. */
        OPENAI,
        /** Anthropic's Messages API: {@code base-url} without {@code /v1}. */
        ANTHROPIC,
        /** The built-in demo model: no network, deterministic answers. */
        DEMO;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One provider.
     *
     * @param type its API
     * @param baseUrl where it is ({@code https://api.openai.com/v1}, {@code https://api.anthropic.com});
     *     the only hosts the gateway ever calls are these
     * @param apiKey the gateway's key for it (never sent to a client or written to a log)
     * @param models the models routed to it: names, or {@code prefix*} patterns
     * @param connectTimeout how long connecting may take
     * @param timeout how long a whole call may take, streams included
     */
    public record Provider(
            Type type,
            @Nullable URI baseUrl,
            @Nullable String apiKey,
            @DefaultValue List<String> models,
            @DefaultValue("10s") Duration connectTimeout,
            @DefaultValue("10m") Duration timeout) {
        @Override
        public String toString() {
            return "Provider[type=" + type + ", baseUrl=" + baseUrl + ", apiKey=" + (apiKey == null ? "unset" : "(set)")
                    + ", models=" + models + "]";
        }
    }

    /**
     * The gateway's own limits ({@code tokenkeeper.gateway.*}).
     *
     * @param demoProvider whether the built-in {@code demo} provider serves the models {@code demo}
     *     and {@code demo-*}
     * @param defaultMaxOutputTokens the output cap set on a call whose client sets none, so that the
     *     reservation before the call is a true upper bound
     * @param maxRequestSize the largest request body the gateway reads
     * @param maxResponseSize the largest answer it relays, streams included
     */
    public record Gateway(
            @DefaultValue("true") boolean demoProvider,
            @DefaultValue("4096") int defaultMaxOutputTokens,
            @DefaultValue("8MB") DataSize maxRequestSize,
            @DefaultValue("32MB") DataSize maxResponseSize) {}
}
