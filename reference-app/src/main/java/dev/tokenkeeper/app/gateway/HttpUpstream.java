package dev.tokenkeeper.app.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * A provider over HTTP (the JDK's client): the configured base URL and nothing else, the gateway's
 * own key, no redirects followed, and only the headers the surface allows passed on. The client's
 * TokenKeeper token never goes upstream.
 */
final class HttpUpstream implements Upstream {
    private final HttpClient http;
    private final GatewayProperties.Provider provider;
    private final String base;

    HttpUpstream(HttpClient http, GatewayProperties.Provider provider) {
        this.http = http;
        this.provider = provider;
        String b = String.valueOf(provider.baseUrl());
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    }

    static HttpClient client(Duration connectTimeout) {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    @Override
    public Response send(Surface surface, byte[] body, Map<String, String> headers)
            throws IOException, TimeoutException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + surface.upstreamPath()))
                .timeout(provider.timeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (provider.type() == GatewayProperties.Type.ANTHROPIC) {
            b.header("x-api-key", String.valueOf(provider.apiKey()));
            b.header("anthropic-version", headers.getOrDefault("anthropic-version", "2023-06-01"));
            String beta = headers.get("anthropic-beta");
            if (beta != null) {
                b.header("anthropic-beta", beta);
            }
        } else {
            b.header("Authorization", "Bearer " + provider.apiKey());
        }
        HttpResponse<InputStream> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new TimeoutException(
                    "the provider did not answer within " + provider.timeout().toSeconds() + " s");
        }
        long retry = r.headers()
                .firstValue("Retry-After")
                .map(v -> {
                    try {
                        return Long.parseLong(v.trim());
                    } catch (NumberFormatException e) {
                        return -1L;
                    }
                })
                .orElse(-1L);
        return new Response() {
            @Override
            public int status() {
                return r.statusCode();
            }

            @Override
            public InputStream body() {
                return r.body();
            }

            @Override
            public long retryAfterSeconds() {
                return retry;
            }

            @Override
            public void close() {
                try {
                    r.body().close(); // the JDK client drops the connection of an unfinished body
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        };
    }
}
