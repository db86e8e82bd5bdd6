package dev.tokenkeeper.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible stand-in on loopback for the gateway's load runs: {@code POST
 * /v1/chat/completions} answers a small fixed completion with usage at once, JSON or a short event
 * stream, so that a run measures the gateway and not a model. Run:
 * {@code java -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.StubUpstream 9099}.
 */
public final class StubUpstream {
    private static final byte[] JSON = ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":0,"
                    + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
                    + "\"completion_tokens\":3,\"total_tokens\":15}}")
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] STREAM =
            ("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                            + "\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"}}]}\n\n"
                            + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                            + "\"delta\":{\"content\":\" there\"},\"finish_reason\":\"stop\"}]}\n\n"
                            + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
                            + "\"completion_tokens\":3,\"total_tokens\":15}}\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8);

    private StubUpstream() {}

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9099;
        // without it, each small answer waits for the client's delayed ACK (Nagle's algorithm): 40 ms
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.setExecutor(Executors.newFixedThreadPool(Integer.getInteger("threads", 16)));
        server.createContext("/v1/chat/completions", x -> {
            byte[] body = x.getRequestBody().readAllBytes();
            boolean stream = new String(body, StandardCharsets.UTF_8).contains("\"stream\":true");
            byte[] answer = stream ? STREAM : JSON;
            x.getResponseHeaders().set("Content-Type", stream ? "text/event-stream" : "application/json");
            x.sendResponseHeaders(200, answer.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        System.out.println("stub upstream on http://127.0.0.1:" + port + "/v1");
    }
}
