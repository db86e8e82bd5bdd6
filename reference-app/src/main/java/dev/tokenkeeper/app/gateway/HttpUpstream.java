package dev.tokenkeeper.app.gateway;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.async.MinimalHttpAsyncClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.http2.config.H2Config;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;

/**
 * A provider over HTTP: the configured base URL and nothing else, the gateway's own key, no
 * redirects followed, no retries, no decompression, only the headers the surface allows passed on.
 * The client's TokenKeeper token never goes upstream.
 *
 * <p>A JSON call goes through Apache HttpClient's classic (blocking) client: the request's own thread
 * writes the request and reads the answer, with pooled keep-alive connections, so that a call costs
 * no hand-off between threads (the JDK's client completes each exchange on its selector and worker
 * threads, which halved the gateway's throughput on two cores; see docs/performance.md). A stream,
 * which may last minutes, goes through its asynchronous client instead ({@link #stream}): a few I/O
 * threads serve every stream, and no thread waits for a provider's next event.
 */
final class HttpUpstream implements Upstream {
    /**
     * How much longer than the provider's timeout the sockets wait: the call's {@link Deadline} passes
     * up to a {@link Deadlines#TICK} after it is due, and it, not a socket, must end a late call.
     */
    static final Duration BACKSTOP_MARGIN = Duration.ofSeconds(1);

    private final CloseableHttpClient http;
    private final MinimalHttpAsyncClient async;
    private final HttpHost target;
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
        this.async = HttpAsyncClients.createMinimal(
                H2Config.DEFAULT,
                Http1Config.DEFAULT,
                IOReactorConfig.custom()
                        .setIoThreadCount(Runtime.getRuntime().availableProcessors())
                        .setTcpNoDelay(true)
                        .setSoTimeout(Timeout.of(backstop))
                        .build(),
                PoolingAsyncClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(4096)
                        .setMaxConnPerRoute(4096)
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(provider.connectTimeout()))
                                .setSocketTimeout(Timeout.of(backstop))
                                .build())
                        .setDefaultTlsConfig(TlsConfig.custom()
                                .setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1)
                                .build())
                        .build());
        this.async.start();
        this.target = HttpHost.create(URI.create(base));
    }

    /** A streamed call in flight. */
    interface StreamCall {
        /**
         * Stops the call at whatever stage it is in: the connection not yet leased is not used, one in
         * use is closed (so that the provider stops generating) and not returned to the pool.
         */
        void cancel();
    }

    /**
     * Sends a streaming request on the asynchronous client: {@code consumer} receives the answer's
     * head and its body as it arrives, on the client's I/O threads, and reads no more than it asks
     * for (its capacity), so that a slow client slows the provider's stream rather than filling memory.
     * {@code callback} hears how the exchange ended: completed (the connection goes back to the pool),
     * failed or cancelled (the connection is closed).
     *
     * <p>The connection is leased and released by hand, rather than through the full client's
     * {@code execute}, so that a cancellation closes it whatever stage the call is in: the full
     * client's cancellation leaves a call on a newly opened connection running to its end.
     */
    StreamCall stream(
            Surface surface,
            byte[] body,
            Map<String, String> headers,
            AsyncResponseConsumer<Void> consumer,
            FutureCallback<Void> callback) {
        BasicHttpRequest post = new BasicHttpRequest("POST", URI.create(base + surface.upstreamPath()));
        post.setHeader("Accept", "text/event-stream, application/json");
        credentials(headers).forEach(post::setHeader);
        Streamed call = new Streamed(post, body, consumer, callback);
        call.lease = async.lease(target, call);
        return call;
    }

    /** One streamed call: the lease of its connection, then its exchange. */
    private static final class Streamed implements StreamCall, FutureCallback<AsyncClientEndpoint> {
        private final BasicHttpRequest request;
        private final byte[] body;
        private final AsyncResponseConsumer<Void> consumer;
        private final FutureCallback<Void> callback;
        private final AtomicBoolean released = new AtomicBoolean();
        private volatile @Nullable Future<AsyncClientEndpoint> lease;
        private @Nullable AsyncClientEndpoint endpoint; // guarded by this
        private boolean cancelled; // guarded by this

        Streamed(
                BasicHttpRequest request,
                byte[] body,
                AsyncResponseConsumer<Void> consumer,
                FutureCallback<Void> callback) {
            this.request = request;
            this.body = body;
            this.consumer = consumer;
            this.callback = callback;
        }

        @Override
        public void completed(AsyncClientEndpoint leased) {
            synchronized (this) {
                endpoint = leased;
                if (cancelled) {
                    release(false);
                    callback.cancelled();
                    return;
                }
            }
            // its outcome reaches the callback below
            var unused = leased.execute(
                    new BasicRequestProducer(request, AsyncEntityProducers.create(body, ContentType.APPLICATION_JSON)),
                    consumer,
                    null,
                    null,
                    new FutureCallback<Void>() {
                        @Override
                        public void completed(Void result) {
                            release(true);
                            callback.completed(null);
                        }

                        @Override
                        public void failed(Exception e) {
                            release(false);
                            callback.failed(e);
                        }

                        @Override
                        public void cancelled() {
                            release(false);
                            callback.cancelled();
                        }
                    });
        }

        @Override
        public void failed(Exception e) {
            callback.failed(e);
        }

        @Override
        public void cancelled() {
            callback.cancelled();
        }

        @Override
        public void cancel() {
            synchronized (this) {
                cancelled = true;
                if (endpoint == null) {
                    Future<AsyncClientEndpoint> l = lease;
                    if (l != null) {
                        l.cancel(true);
                    }
                    return;
                }
            }
            release(false);
            callback.cancelled();
        }

        /** Returns the connection to the pool, or closes it; once. */
        private void release(boolean reuse) {
            AsyncClientEndpoint e;
            synchronized (this) {
                e = endpoint;
            }
            if (e == null || !released.compareAndSet(false, true)) {
                return;
            }
            if (reuse) {
                e.releaseAndReuse();
            } else {
                e.releaseAndDiscard();
            }
        }
    }

    /** The seconds a provider's {@code Retry-After} asks for, or -1 (absent, or an HTTP date: not relayed). */
    static long retryAfterSeconds(@Nullable Header retryAfter) {
        if (retryAfter == null) {
            return -1;
        }
        try {
            return Long.parseLong(retryAfter.getValue().trim());
        } catch (NumberFormatException httpDate) {
            return -1;
        }
    }

    /** The provider's credential, and the headers the surface passes on. */
    private Map<String, String> credentials(Map<String, String> headers) {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        if (provider.type() == GatewayProperties.Type.ANTHROPIC) {
            h.put("x-api-key", String.valueOf(provider.apiKey()));
            h.put("anthropic-version", headers.getOrDefault("anthropic-version", "2023-06-01"));
            String beta = headers.get("anthropic-beta");
            if (beta != null) {
                h.put("anthropic-beta", beta);
            }
        } else {
            h.put("Authorization", "Bearer " + provider.apiKey());
        }
        return h;
    }

    @Override
    public void close() {
        async.close(CloseMode.GRACEFUL); // its reactor logs an error when closed at once

        http.close(CloseMode.IMMEDIATE);
    }

    @Override
    public Response send(Surface surface, byte[] body, Map<String, String> headers, Deadline deadline)
            throws IOException, TimeoutException {
        HttpPost post = new HttpPost(URI.create(base + surface.upstreamPath()));
        post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
        post.setHeader("Accept", "application/json, text/event-stream");
        credentials(headers).forEach(post::setHeader);
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
        long retrySeconds = retryAfterSeconds(r.getFirstHeader("Retry-After"));
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
