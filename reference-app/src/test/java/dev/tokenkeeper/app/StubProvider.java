package dev.tokenkeeper.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A stand-in for OpenAI's and Anthropic's APIs on loopback, for the gateway's tests: it records what
 * it receives and answers by the model's name — JSON or a stream with usage, an error status, a
 * stream cut short, a stream that waits for the test between events, an answer that never comes.
 */
final class StubProvider implements AutoCloseable {
    static final String KEY = "sk-upstream-secret-0123456789";

    record Received(String path, Map<String, java.util.List<String>> headers, JsonNode body) {}

    final Queue<Received> received = new ConcurrentLinkedQueue<>();
    /** Released by a test to let a gated stream send its next event. */
    final Semaphore gate = new Semaphore(0);
    /** Counted down when a gated stream finds its client gone; a test sets a fresh one. */
    volatile CountDownLatch clientGone = new CountDownLatch(1);
    /**
     * Never released by the tests: a hanging answer (no head at all) and a stalling stream (a head and
     * three events, then nothing) wait for it, a minute at most, on a daemon thread.
     */
    final CountDownLatch release = new CountDownLatch(1);

    private final HttpServer server;
    private final JsonMapper json = JsonMapper.builder().build();

    StubProvider() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "stub-provider");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/v1/chat/completions", this::openAi);
        server.createContext("/v1/messages", this::anthropic);
        server.createContext("/v1/responses", this::responses);
        server.createContext("/v1/embeddings", this::embeddings);
        server.start();
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private JsonNode receive(HttpExchange x) throws IOException {
        JsonNode body = json.readTree(x.getRequestBody().readAllBytes());
        received.add(new Received(x.getRequestURI().getPath(), Map.copyOf(x.getRequestHeaders()), body));
        return body;
    }

    private void openAi(HttpExchange x) throws IOException {
        JsonNode body = receive(x);
        String model = body.path("model").asString();
        if (!x.getRequestHeaders().getFirst("Authorization").equals("Bearer " + KEY)) {
            send(x, 401, "{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\"}}");
            return;
        }
        if (status(x, model)) {
            return;
        }
        String usage = "{\"prompt_tokens\":1200,\"completion_tokens\":300,\"total_tokens\":1500,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":1000},\"completion_tokens_details\":{\"reasoning_tokens\":100}}";
        if (model.endsWith("-huge")) {
            send(
                    x,
                    200,
                    "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                            + "x".repeat(200_000) + "\"}}],\"usage\":" + usage + "}");
            return;
        }
        if (!body.path("stream").asBoolean(false)) {
            if (model.endsWith("-nousage")) {
                send(
                        x,
                        200,
                        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"" + model
                                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello there\"},\"finish_reason\":\"stop\"}]}");
                return;
            }
            send(
                    x,
                    200,
                    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"" + model
                            + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":\"stop\"}],"
                            + "\"usage\":" + usage + "}");
            return;
        }
        x.getResponseHeaders().set("Content-Type", "text/event-stream");
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            String chunk = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + model
                    + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"}}]}\n\n";
            int words = model.endsWith("-gated") ? 50 : 3;
            for (int i = 0; i < words; i++) {
                if (model.endsWith("-gated") && i > 0) {
                    awaitGate();
                }
                try {
                    out.write(chunk.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException gone) {
                    clientGone.countDown();
                    return;
                }
            }
            if (model.endsWith("-cut")) {
                return; // no usage, no [DONE]
            }
            if (model.endsWith("-stall")) {
                try {
                    release.await(60, TimeUnit.SECONDS); // the head and three words, then nothing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            if (body.path("stream_options").path("include_usage").asBoolean(false)) {
                out.write(("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + model
                                + "\",\"choices\":[],\"usage\":" + usage + "}\n\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private void responses(HttpExchange x) throws IOException {
        JsonNode body = receive(x);
        String model = body.path("model").asString();
        String usage = "{\"input_tokens\":900,\"input_tokens_details\":{\"cached_tokens\":400},\"output_tokens\":120,"
                + "\"output_tokens_details\":{\"reasoning_tokens\":20},\"total_tokens\":1020}";
        String response = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"" + model
                + "\",\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"hi\"}]}],"
                + "\"usage\":" + usage + "}";
        if (!body.path("stream").asBoolean(false)) {
            send(x, 200, response);
            return;
        }
        x.getResponseHeaders().set("Content-Type", "text/event-stream");
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            event(
                    out,
                    "response.created",
                    "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}");
            event(out, "response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"delta\":\"hi \"}");
            event(out, "response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"delta\":\"there\"}");
            event(out, "response.completed", "{\"type\":\"response.completed\",\"response\":" + response + "}");
        }
    }

    private void embeddings(HttpExchange x) throws IOException {
        JsonNode body = receive(x);
        send(
                x,
                200,
                "{\"object\":\"list\",\"model\":\"" + body.path("model").asString()
                        + "\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]}],"
                        + "\"usage\":{\"prompt_tokens\":42,\"total_tokens\":42}}");
    }

    private void anthropic(HttpExchange x) throws IOException {
        JsonNode body = receive(x);
        String model = body.path("model").asString();
        if (!KEY.equals(x.getRequestHeaders().getFirst("x-api-key"))) {
            send(x, 401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"bad key\"}}");
            return;
        }
        if (status(x, model)) {
            return;
        }
        if (x.getRequestURI().getPath().endsWith("/count_tokens")) {
            send(x, 200, "{\"input_tokens\":1234}");
            return;
        }
        String usage =
                "{\"input_tokens\":50,\"cache_read_input_tokens\":2000,\"cache_creation_input_tokens\":300,\"output_tokens\":80}";
        if (!body.path("stream").asBoolean(false)) {
            send(
                    x,
                    200,
                    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model
                            + "\",\"content\":[{\"type\":\"text\",\"text\":\"hello\"}],\"stop_reason\":\"end_turn\",\"usage\":"
                            + usage + "}");
            return;
        }
        x.getResponseHeaders().set("Content-Type", "text/event-stream");
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            event(
                    out,
                    "message_start",
                    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""
                            + model
                            + "\",\"content\":[],\"usage\":{\"input_tokens\":50,\"cache_read_input_tokens\":2000,\"cache_creation_input_tokens\":300,\"output_tokens\":1}}}");
            event(
                    out,
                    "content_block_start",
                    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
            event(
                    out,
                    "content_block_delta",
                    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hello there\"}}");
            if (model.endsWith("-cut")) {
                return;
            }
            event(out, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
            event(
                    out,
                    "message_delta",
                    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":80}}");
            event(out, "message_stop", "{\"type\":\"message_stop\"}");
        }
    }

    /** Models whose name asks for an error status, or for no answer at all. */
    private boolean status(HttpExchange x, String model) throws IOException {
        if (model.endsWith("-hang")) {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            x.close();
            return true;
        }
        for (int status : new int[] {400, 401, 429, 500, 503}) {
            if (model.endsWith("-" + status)) {
                if (status == 429) {
                    x.getResponseHeaders().set("Retry-After", "7");
                }
                send(
                        x,
                        status,
                        "{\"error\":{\"message\":\"stub says " + status
                                + " for org-secret-internal\",\"type\":\"x\"}}");
                return true;
            }
        }
        return false;
    }

    private void awaitGate() {
        try {
            gate.tryAcquire(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void event(OutputStream out, String name, String data) throws IOException {
        out.write(("event: " + name + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
