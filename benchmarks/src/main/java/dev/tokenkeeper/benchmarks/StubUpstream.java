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
 * stream, so that a run measures the gateway and not a model. A stream whose message is {@code
 * "slow stream"} is long instead: {@code slow.events} events {@code slow.interval.ms} apart. Run:
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
        // the JDK's server keeps 200 idle connections and closes any other one as soon as its exchange
        // ends; a provider keeps its keep-alive connections open, and so must a stub serving 1,000
        // streams through a gateway's connection pool (which would otherwise send on closed ones)
        System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        int threads = Integer.getInteger("threads", 16);
        // -Dthreads=0: a thread per exchange, for many long streams at once
        server.setExecutor(threads > 0 ? Executors.newFixedThreadPool(threads) : Executors.newCachedThreadPool());
        int slowEvents = Integer.getInteger("slow.events", 50);
        long slowIntervalMs = Long.getLong("slow.interval.ms", 100);
        server.createContext("/v1/chat/completions", x -> {
            byte[] body = x.getRequestBody().readAllBytes();
            String text = new String(body, StandardCharsets.UTF_8);
            boolean stream = text.contains("\"stream\":true");
            if (stream && text.contains("\"content\":\"slow stream\"")) {
                // a long stream: an event every slow.interval.ms, slow.events of them, then the usage
                x.getResponseHeaders().set("Content-Type", "text/event-stream");
                x.sendResponseHeaders(200, 0);
                try (OutputStream out = x.getResponseBody()) {
                    byte[] event =
                            ("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                                            + "\"delta\":{\"content\":\" word\"}}]}\n\n")
                                    .getBytes(StandardCharsets.UTF_8);
                    for (int i = 0; i < slowEvents; i++) {
                        out.write(event);
                        out.flush();
                        try {
                            Thread.sleep(slowIntervalMs);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    out.write(("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
                                    + "{\"prompt_tokens\":12,\"completion_tokens\":" + slowEvents + ",\"total_tokens\":"
                                    + (12 + slowEvents) + "}}\n\ndata: [DONE]\n\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
                return;
            }
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
