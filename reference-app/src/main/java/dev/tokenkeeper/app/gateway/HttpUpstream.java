package dev.tokenkeeper.app.gateway;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.util.Timeout;

/**
 * A provider over HTTP: the configured base URL and nothing else, the gateway's own key, no
 * redirects followed, no retries, no decompression, only the headers the surface allows passed on.
 * The client's TokenKeeper token never goes upstream.
 *
 * <p>Apache HttpClient's classic (blocking) client: the request's own thread writes the request and
 * reads the answer, with pooled keep-alive connections, so that a call costs no hand-off between
 * threads (the JDK's client completes each exchange on its selector and worker threads, which
 * halved the gateway's throughput on two cores; see docs/performance.md).
 */
final class HttpUpstream implements Upstream {
    /**
     * How much longer than the provider's timeout the sockets wait: the call's {@link Deadline} passes
     * up to a {@link Deadlines#TICK} after it is due, and it, not a socket, must end a late call.
     */
    static final Duration BACKSTOP_MARGIN = Duration.ofSeconds(1);

    private final CloseableHttpClient http;
    private final GatewayProperties.Provider provider;
    private final String base;

    HttpUpstream(GatewayProperties.Provider provider) {
        this.provider = provider;
        String b = String.valueOf(provider.baseUrl());
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        Duration backstop = provider.timeout().plus(BACKSTOP_MARGIN);
        PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(4096)
                .setMaxConnPerRoute(4096)
                .setDefaultSocketConfig(
                        SocketConfig.custom().setTcpNoDelay(true).build())
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(provider.connectTimeout()))
                        // a backstop only: the call's Deadline stops it first (see there)
                        .setSocketTimeout(Timeout.of(backstop))
                        .build())
                .build();
        this.http = HttpClients.custom()
                .setConnectionManager(pool)
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableContentCompression()
                .disableCookieManagement()
                .disableAuthCaching()
                .useSystemProperties()
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(Timeout.of(backstop))
                        .build())
                .build();
    }

    @Override
    public Response send(Surface surface, byte[] body, Map<String, String> headers, Deadline deadline)
            throws IOException, TimeoutException {
        HttpPost post = new HttpPost(URI.create(base + surface.upstreamPath()));
        post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
        post.setHeader("Accept", "application/json, text/event-stream");
        if (provider.type() == GatewayProperties.Type.ANTHROPIC) {
            post.setHeader("x-api-key", String.valueOf(provider.apiKey()));
            post.setHeader("anthropic-version", headers.getOrDefault("anthropic-version", "2023-06-01"));
            String beta = headers.get("anthropic-beta");
            if (beta != null) {
                post.setHeader("anthropic-beta", beta);
            }
        } else {
            post.setHeader("Authorization", "Bearer " + provider.apiKey());
        }
        ClassicHttpResponse r;
        deadline.stopWith(post::cancel);
        try {
            r = http.executeOpen(null, post, null);
        } catch (IOException e) {
            if (deadline.passed() || e instanceof SocketTimeoutException) {
                throw new TimeoutException("the provider did not answer within "
                        + provider.timeout().toSeconds() + " s");
            }
            throw e;
        }
        Header retryAfter = r.getFirstHeader("Retry-After");
        long retry = -1;
        if (retryAfter != null) {
            try {
                retry = Long.parseLong(retryAfter.getValue().trim());
            } catch (NumberFormatException ignored) {
                // an HTTP date: not relayed
            }
        }
        long retrySeconds = retry;
        HttpEntity entity = r.getEntity();
        long length = entity == null ? 0 : entity.getContentLength();
        InputStream content = entity == null ? InputStream.nullInputStream() : entity.getContent();
        boolean[] ended = new boolean[1];
        InputStream in = new FilterInputStream(content) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                ended[0] |= b < 0;
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                ended[0] |= n < 0;
                return n;
            }
        };
        return new Response() {
            @Override
            public int status() {
                return r.getCode();
            }

            @Override
            public InputStream body() {
                return in;
            }

            @Override
            public long retryAfterSeconds() {
                return retrySeconds;
            }

            @Override
            public long length() {
                return length;
            }

            @Override
            public void close() {
                if (!ended[0]) {
                    // an answer not read to its end: drop the connection, so the provider stops generating
                    post.cancel();
                }
                try {
                    r.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        };
    }
}
