package dev.tokenkeeper.app.gateway;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Counts a request's input tokens before the call, for the reservation. OpenAI models are counted
 * with their own tokenizer (jtokkit: {@code o200k_base} for the GPT-4o, 4.1, 5 and o-series
 * families, {@code cl100k_base} for GPT-4 and 3.5). Other models get a conservative estimate, one
 * token per three bytes of UTF-8, which is more than Claude's and Gemini's tokenizers count for
 * English text (about four characters a token) and about one per character for CJK text. Each
 * message adds 4 tokens of framing, each request 3. An image counts as 1,600 tokens (Anthropic's
 * figure for a 1.15-megapixel image; OpenAI's high-detail 2x2 tiles count 765). These are only
 * estimates: what is recorded afterwards is what the provider reports.
 */
@Component
public class Estimator {
    static final int PER_MESSAGE = 4;
    static final int PER_REQUEST = 3;
    static final int PER_IMAGE = 1_600;

    private final EncodingRegistry registry = Encodings.newLazyEncodingRegistry();

    /** The tokens of a text for a model. */
    public long count(String model, String text) {
        Encoding e = encoding(model);
        if (e != null) {
            return e.countTokensOrdinary(text);
        }
        return (text.getBytes(StandardCharsets.UTF_8).length + 2L) / 3;
    }

    private @Nullable Encoding encoding(String model) {
        String m = model.toLowerCase(Locale.ROOT);
        if (m.startsWith("gpt-4o")
                || m.startsWith("gpt-4.1")
                || m.startsWith("gpt-5")
                || m.startsWith("o1")
                || m.startsWith("o3")
                || m.startsWith("o4")
                || m.startsWith("chatgpt-4o")
                || m.startsWith("gpt-oss")) {
            return registry.getEncoding(EncodingType.O200K_BASE);
        }
        if (m.startsWith("gpt-4") || m.startsWith("gpt-3.5") || m.startsWith("text-embedding")) {
            return registry.getEncoding(EncodingType.CL100K_BASE);
        }
        return null;
    }

    /** The input tokens of an OpenAI chat request: its messages, tools and response format. */
    public long openAiChat(String model, JsonNode body) {
        long tokens = PER_REQUEST;
        for (JsonNode m : body.path("messages")) {
            tokens += PER_MESSAGE + content(model, m.path("content"));
            if (m.has("tool_calls")) {
                tokens += count(model, m.path("tool_calls").toString());
            }
            if (m.hasNonNull("name")) {
                tokens += count(model, m.path("name").asString(""));
            }
        }
        if (body.has("tools")) {
            tokens += count(model, body.path("tools").toString());
        }
        if (body.has("functions")) {
            tokens += count(model, body.path("functions").toString());
        }
        if (body.has("response_format")) {
            tokens += count(model, body.path("response_format").toString());
        }
        return tokens;
    }

    /** The input tokens of an OpenAI Responses request: instructions, input (text or items) and tools. */
    public long openAiResponses(String model, JsonNode body) {
        long tokens = PER_REQUEST + content(model, body.path("instructions"));
        JsonNode input = body.path("input");
        if (input.isString()) {
            tokens += PER_MESSAGE + count(model, input.asString());
        } else {
            for (JsonNode item : input) {
                tokens += PER_MESSAGE
                        + (item.has("content") ? content(model, item.path("content")) : count(model, item.toString()));
            }
        }
        if (body.has("tools")) {
            tokens += count(model, body.path("tools").toString());
        }
        return tokens;
    }

    /** The input tokens of an OpenAI embeddings request: its text or texts (token arrays count as themselves). */
    public long embeddings(String model, JsonNode body) {
        JsonNode input = body.path("input");
        if (input.isString()) {
            return count(model, input.asString());
        }
        long tokens = 0;
        for (JsonNode item : input) {
            if (item.isString()) {
                tokens += count(model, item.asString());
            } else if (item.isArray()) {
                tokens += item.size();
            } else if (item.isNumber()) {
                tokens++;
            }
        }
        return tokens;
    }

    /** The input tokens of a request of any surface. */
    public long estimate(Surface surface, String model, JsonNode body) {
        return switch (surface) {
            case OPENAI_CHAT -> openAiChat(model, body);
            case OPENAI_RESPONSES -> openAiResponses(model, body);
            case OPENAI_EMBEDDINGS -> embeddings(model, body);
            case ANTHROPIC_MESSAGES, ANTHROPIC_COUNT_TOKENS -> anthropicMessages(model, body);
        };
    }

    /** The input tokens of an Anthropic Messages request: system, messages and tools. */
    public long anthropicMessages(String model, JsonNode body) {
        long tokens = PER_REQUEST + content(model, body.path("system"));
        for (JsonNode m : body.path("messages")) {
            tokens += PER_MESSAGE + content(model, m.path("content"));
        }
        if (body.has("tools")) {
            tokens += count(model, body.path("tools").toString());
        }
        return tokens;
    }

    /** A content field: a string, or an array of parts (text, images, tool calls and results). */
    private long content(String model, JsonNode content) {
        if (content.isString()) {
            return count(model, content.asString());
        }
        long tokens = 0;
        if (content.isArray()) {
            for (JsonNode part : content) {
                String type = part.path("type").asString("");
                if (type.equals("text") || type.equals("input_text") || type.equals("output_text")) {
                    tokens += count(model, part.path("text").asString(""));
                } else if (type.equals("image_url") || type.equals("image") || type.equals("input_image")) {
                    tokens += PER_IMAGE;
                } else if (type.equals("tool_result")) {
                    tokens += content(model, part.path("content"));
                } else {
                    tokens += count(model, part.toString());
                }
            }
        }
        return tokens;
    }
}
