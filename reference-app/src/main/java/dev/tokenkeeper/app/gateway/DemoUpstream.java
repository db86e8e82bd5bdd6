package dev.tokenkeeper.app.gateway;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The built-in {@code demo} provider: no network, no key, no cost to anyone. It answers in the
 * requesting surface's own format, JSON or stream, with a deterministic text that quotes the last
 * user message, honours {@code max_tokens}, and reports usage like a real provider: the input
 * counted as the gateway's estimator counts it, the output likewise.
 */
@Component
public class DemoUpstream implements Upstream {
    /** The models it serves. */
    static final List<String> MODELS = List.of("demo");

    private final Estimator estimator;
    private final JsonMapper json = JsonMapper.builder().build();

    public DemoUpstream(Estimator estimator) {
        this.estimator = estimator;
    }

    @Override
    public Response send(Surface surface, byte[] body, Map<String, String> headers, Deadline deadline) {
        JsonNode request = json.readTree(body);
        String model = request.path("model").asString("demo");
        long input = estimator.estimate(surface, model, request);
        if (surface == Surface.OPENAI_EMBEDDINGS) {
            return answer(embeddings(model, request, input));
        }
        if (surface == Surface.ANTHROPIC_COUNT_TOKENS) {
            return answer("{\"input_tokens\":" + input + "}");
        }
        long maxTokens = switch (surface) {
            case ANTHROPIC_MESSAGES -> request.path("max_tokens").asLong(4096);
            case OPENAI_RESPONSES -> request.path("max_output_tokens").asLong(4096);
            default ->
                request.path("max_completion_tokens")
                        .asLong(request.path("max_tokens").asLong(4096));
        };
        List<String> words = new ArrayList<>();
        long output = 0;
        boolean cut = false;
        for (String w : java.util.regex.Pattern.compile(" ").split(reply(lastUserText(request)), -1)) {
            long t = estimator.count(model, w + " ");
            if (output + t > maxTokens) {
                cut = true;
                break;
            }
            words.add(w + " ");
            output += t;
        }
        boolean stream = request.path("stream").asBoolean(false);
        boolean usageInStream =
                request.path("stream_options").path("include_usage").asBoolean(false);
        String id = "demo-" + Long.toHexString(java.util.Arrays.hashCode(body) & 0xffffffffL);
        String whole = String.join("", words);
        String text = switch (surface) {
            case ANTHROPIC_MESSAGES ->
                stream
                        ? anthropicStream(id, model, words, input, output, cut)
                        : anthropicJson(id, model, whole, input, output, cut);
            case OPENAI_RESPONSES ->
                stream
                        ? responsesStream(id, model, words, whole, input, output, cut)
                        : responseJson(id, model, whole, input, output, cut).toString();
            default ->
                stream
                        ? openAiStream(id, model, words, input, output, cut, usageInStream)
                        : openAiJson(id, model, whole, input, output, cut);
        };
        return answer(text);
    }

    private static Response answer(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new Response() {
            private final InputStream in = new ByteArrayInputStream(bytes);

            @Override
            public int status() {
                return 200;
            }

            @Override
            public InputStream body() {
                return in;
            }

            @Override
            public long retryAfterSeconds() {
                return -1;
            }

            @Override
            public void close() {
                // nothing to stop
            }
        };
    }

    /** Eight numbers per input, the same for the same text: enough to exercise a client. */
    private String embeddings(String model, JsonNode request, long input) {
        ObjectNode r = json.createObjectNode().put("object", "list").put("model", model);
        var data = r.putArray("data");
        JsonNode in = request.path("input");
        List<String> texts = new ArrayList<>();
        if (in.isArray()) {
            in.forEach(t -> texts.add(t.toString()));
        } else {
            texts.add(in.asString(""));
        }
        for (int i = 0; i < texts.size(); i++) {
            var e = data.addObject().put("object", "embedding").put("index", i);
            var v = e.putArray("embedding");
            int h = texts.get(i).hashCode();
            for (int d = 0; d < 8; d++) {
                v.add(((h >>> (d * 4)) & 0xF) / 15.0 - 0.5);
            }
        }
        r.putObject("usage").put("prompt_tokens", input).put("total_tokens", input);
        return r.toString();
    }

    private ObjectNode responseJson(String id, String model, String text, long input, long output, boolean cut) {
        ObjectNode r = json.createObjectNode();
        r.put("id", "resp_" + id).put("object", "response").put("created_at", 0).put("model", model);
        r.put("status", cut ? "incomplete" : "completed");
        ObjectNode message = r.putArray("output").addObject();
        message.put("type", "message")
                .put("id", "msg_" + id)
                .put("status", "completed")
                .put("role", "assistant");
        message.putArray("content")
                .addObject()
                .put("type", "output_text")
                .put("text", text)
                .putArray("annotations");
        ObjectNode u = r.putObject("usage");
        u.put("input_tokens", input).put("output_tokens", output).put("total_tokens", input + output);
        u.putObject("input_tokens_details").put("cached_tokens", 0);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        return r;
    }

    private String responsesStream(
            String id, String model, List<String> words, String whole, long input, long output, boolean cut) {
        StringBuilder out = new StringBuilder();
        ObjectNode created = json.createObjectNode().put("type", "response.created");
        ObjectNode started = responseJson(id, model, "", 0, 0, false).put("status", "in_progress");
        started.remove("usage");
        created.set("response", started);
        event(out, "response.created", created);
        for (String w : words) {
            ObjectNode d = json.createObjectNode().put("type", "response.output_text.delta");
            d.put("item_id", "msg_" + id)
                    .put("output_index", 0)
                    .put("content_index", 0)
                    .put("delta", w);
            event(out, "response.output_text.delta", d);
        }
        ObjectNode done = json.createObjectNode().put("type", "response.completed");
        done.set("response", responseJson(id, model, whole, input, output, cut));
        event(out, "response.completed", done);
        return out.toString();
    }

    static String reply(String said) {
        String quote = said.strip().replaceAll("\\s+", " ");
        if (quote.length() > 200) {
            quote = quote.substring(0, 200) + "...";
        }
        return "This is TokenKeeper's demo model: the gateway answered without calling any LLM, and counted"
                + " this call like a real one. You said: \"" + quote + "\"";
    }

    private static String lastUserText(JsonNode request) {
        String said = request.path("input").isString() ? request.path("input").asString() : "";
        JsonNode messages = request.has("messages") ? request.path("messages") : request.path("input");
        for (JsonNode m : messages) {
            if ("user".equals(m.path("role").asString(""))) {
                JsonNode c = m.path("content");
                if (c.isString()) {
                    said = c.asString();
                } else {
                    StringBuilder b = new StringBuilder();
                    for (JsonNode part : c) {
                        b.append(part.path("text").asString(""));
                    }
                    said = b.toString();
                }
            }
        }
        return said;
    }

    private String openAiJson(String id, String model, String text, long input, long output, boolean cut) {
        ObjectNode r = json.createObjectNode();
        r.put("id", "chatcmpl-" + id)
                .put("object", "chat.completion")
                .put("created", 0)
                .put("model", model);
        ObjectNode choice = r.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", text);
        choice.put("finish_reason", cut ? "length" : "stop");
        usage(r.putObject("usage"), input, output);
        return r.toString();
    }

    private static void usage(ObjectNode u, long input, long output) {
        u.put("prompt_tokens", input).put("completion_tokens", output).put("total_tokens", input + output);
    }

    private String openAiStream(
            String id, String model, List<String> words, long input, long output, boolean cut, boolean withUsage) {
        StringBuilder out = new StringBuilder();
        ObjectNode first = chunk(id, model);
        first.withArray("choices")
                .addObject()
                .put("index", 0)
                .putObject("delta")
                .put("role", "assistant")
                .put("content", "");
        out.append("data: ").append(first).append("\n\n");
        for (String w : words) {
            ObjectNode c = chunk(id, model);
            c.withArray("choices")
                    .addObject()
                    .put("index", 0)
                    .putObject("delta")
                    .put("content", w);
            out.append("data: ").append(c).append("\n\n");
        }
        ObjectNode last = chunk(id, model);
        ObjectNode choice = last.withArray("choices").addObject().put("index", 0);
        choice.putObject("delta");
        choice.put("finish_reason", cut ? "length" : "stop");
        out.append("data: ").append(last).append("\n\n");
        if (withUsage) {
            ObjectNode u = chunk(id, model);
            u.putArray("choices");
            usage(u.putObject("usage"), input, output);
            out.append("data: ").append(u).append("\n\n");
        }
        return out.append("data: [DONE]\n\n").toString();
    }

    private ObjectNode chunk(String id, String model) {
        ObjectNode c = json.createObjectNode();
        c.put("id", "chatcmpl-" + id)
                .put("object", "chat.completion.chunk")
                .put("created", 0)
                .put("model", model);
        c.putArray("choices");
        return c;
    }

    private String anthropicJson(String id, String model, String text, long input, long output, boolean cut) {
        ObjectNode r = message(id, model, input, output);
        r.withArray("content").addObject().put("type", "text").put("text", text);
        r.put("stop_reason", cut ? "max_tokens" : "end_turn");
        return r.toString();
    }

    private ObjectNode message(String id, String model, long input, long output) {
        ObjectNode r = json.createObjectNode();
        r.put("id", "msg_" + id).put("type", "message").put("role", "assistant").put("model", model);
        r.putArray("content");
        r.putNull("stop_reason");
        r.putNull("stop_sequence");
        r.putObject("usage").put("input_tokens", input).put("output_tokens", output);
        return r;
    }

    private String anthropicStream(String id, String model, List<String> words, long input, long output, boolean cut) {
        StringBuilder out = new StringBuilder();
        ObjectNode start = json.createObjectNode().put("type", "message_start");
        start.set("message", message(id, model, input, 1));
        event(out, "message_start", start);
        ObjectNode blockStart =
                json.createObjectNode().put("type", "content_block_start").put("index", 0);
        blockStart.putObject("content_block").put("type", "text").put("text", "");
        event(out, "content_block_start", blockStart);
        for (String w : words) {
            ObjectNode d =
                    json.createObjectNode().put("type", "content_block_delta").put("index", 0);
            d.putObject("delta").put("type", "text_delta").put("text", w);
            event(out, "content_block_delta", d);
        }
        event(
                out,
                "content_block_stop",
                json.createObjectNode().put("type", "content_block_stop").put("index", 0));
        ObjectNode delta = json.createObjectNode().put("type", "message_delta");
        delta.putObject("delta")
                .put("stop_reason", cut ? "max_tokens" : "end_turn")
                .putNull("stop_sequence");
        delta.putObject("usage").put("output_tokens", output);
        event(out, "message_delta", delta);
        event(out, "message_stop", json.createObjectNode().put("type", "message_stop"));
        return out.toString();
    }

    private static void event(StringBuilder out, String name, JsonNode data) {
        out.append("event: ")
                .append(name)
                .append('\n')
                .append("data: ")
                .append(data)
                .append("\n\n");
    }
}
