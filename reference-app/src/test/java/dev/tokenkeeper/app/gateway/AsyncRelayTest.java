package dev.tokenkeeper.app.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.admission.BudgetWarning;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageSource;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.impl.BasicEntityDetails;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * The asynchronous relay's flow control and its ways out, driven by hand: the provider's side is
 * called as the client's I/O thread would call it, the client's socket is a stream whose readiness
 * the test sets, so that each step is the test's, not the machine's timing.
 */
class AsyncRelayTest {
    private final Deadlines deadlines = Deadlines.manual();
    private final Out out = new Out();
    private final Async async = new Async();
    private final Capacity capacity = new Capacity();
    private final RecordingPermit permit = new RecordingPermit();
    private final List<String> cancels = new ArrayList<>();
    private final MockHttpServletResponse response = new MockHttpServletResponse() {
        @Override
        public ServletOutputStream getOutputStream() {
            return out;
        }
    };

    private final AsyncRelay relay = relay();

    @AfterEach
    void close() {
        deadlines.close();
    }

    private AsyncRelay relay() {
        Providers.Provider provider = new Providers.Provider(
                "openai",
                GatewayProperties.Type.OPENAI,
                List.of("gpt-*"),
                (surface, body, headers, deadline) -> {
                    throw new IOException("not called");
                },
                Duration.ofMinutes(1));
        AsyncRelay r = new AsyncRelay(
                null,
                Surface.OPENAI_CHAT,
                new Providers.Route(provider, "gpt-4o-mini"),
                permit,
                new LinkedHashMap<>(),
                System.nanoTime(),
                10,
                false,
                1 << 24,
                deadlines.start(60_000),
                response,
                new Estimator(),
                JsonMapper.builder().build());
        r.attach(async, out);
        r.sent(() -> cancels.add("cancelled"));
        return r;
    }

    private static ByteBuffer event(String data) {
        return ByteBuffer.wrap(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private static String word(int i) {
        return "{\"choices\":[{\"delta\":{\"content\":\"word" + i + " " + "x".repeat(1000) + "\"}}]}";
    }

    private void head() throws IOException {
        relay.consumeResponse(
                new BasicHttpResponse(200),
                new BasicEntityDetails(-1, ContentType.create("text/event-stream")),
                HttpCoreContext.create(),
                new FutureCallback<Void>() {
                    @Override
                    public void completed(Void result) {}

                    @Override
                    public void failed(Exception ex) {}

                    @Override
                    public void cancelled() {}
                });
    }

    @Test
    void aSlowClientStopsTheProvidersStreamUntilItCatchesUp() throws IOException {
        head();
        relay.updateCapacity(capacity);
        assertThat(capacity.updates).as("the window opened at the start").hasSize(1);

        // the client's socket takes nothing: events wait in the relay, up to the high-water mark
        out.ready = false;
        int events = 0;
        while (relay.waiting() < AsyncRelay.HIGH_WATER) {
            relay.consume(event(word(events++)));
        }
        assertThat(out.bytes.size()).isZero();
        relay.updateCapacity(capacity);
        assertThat(capacity.updates)
                .as("no more read from the provider while the client lags")
                .hasSize(1);

        // the client's socket takes it all: everything waiting is written, and the window opens again
        out.ready = true;
        relay.onWritePossible();
        assertThat(relay.waiting()).isZero();
        assertThat(out.flushes).isPositive();
        assertThat(capacity.updates).hasSize(2);
        String written = out.bytes.toString(StandardCharsets.UTF_8);
        for (int i = 0; i < events; i++) {
            assertThat(written).contains("word" + i + " ");
        }

        relay.consume(event("{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34}}"));
        relay.consume(event("[DONE]"));
        relay.streamEnd(null);
        assertThat(async.completed).isTrue();
        assertThat(out.bytes.toString(StandardCharsets.UTF_8))
                .endsWith("data: [DONE]\n\n")
                .doesNotContain("usage");
        Completion c = permit.only();
        assertThat(c.outcome()).isEqualTo(CallOutcome.SUCCESS);
        assertThat(c.source()).isEqualTo(UsageSource.REPORTED);
        assertThat(c.counts().input()).isEqualTo(12);
        assertThat(c.counts().output()).isEqualTo(34);
        assertThat(cancels).isEmpty();
    }

    @Test
    void theLastBytesWaitForTheClientBeforeTheResponseEnds() throws IOException {
        head();
        out.ready = false;
        relay.consume(event(word(1)));
        relay.consume(event("[DONE]"));
        relay.streamEnd(null);
        assertThat(permit.only().outcome()).isEqualTo(CallOutcome.SUCCESS);
        assertThat(async.completed).as("not ended while bytes wait").isFalse();
        out.ready = true;
        relay.onWritePossible();
        assertThat(async.completed).isTrue();
        assertThat(out.bytes.toString(StandardCharsets.UTF_8)).endsWith("data: [DONE]\n\n");
    }

    @Test
    void aClientGoneMidStreamDropsTheProvidersCallAndIsRecordedAsCancelled() throws IOException {
        head();
        relay.consume(event(word(1)));
        out.broken = true;
        relay.consume(event(word(2)));
        assertThat(cancels).containsExactly("cancelled");
        assertThat(async.completed).isTrue();
        Completion c = permit.only();
        assertThat(c.outcome()).isEqualTo(CallOutcome.CANCELLED);
        assertThat(c.source()).isEqualTo(UsageSource.PARTIAL);
        assertThat(c.counts().output()).isPositive();
        assertThat(c.errorMessage()).startsWith("client gone: writing to the client failed (IOException");
        // what the provider still sends is dropped, and ends nothing twice
        relay.consume(event(word(3)));
        relay.streamEnd(null);
        relay.failed(new IOException("reset"));
        assertThat(permit.completions).hasSize(1);
    }

    @Test
    void aWriteRefusedAsNotReadyWaitsForTheSocketInsteadOfEndingTheCall() throws IOException {
        head();
        out.busyOnce = true; // ready when asked, refused when written: another thread's check came between
        relay.consume(event(word(1)));
        assertThat(permit.completions).isEmpty();
        assertThat(cancels).isEmpty();
        assertThat(async.completed).isFalse();
        out.ready = true;
        relay.onWritePossible();
        relay.consume(event("[DONE]"));
        relay.streamEnd(null);
        assertThat(permit.only().outcome()).isEqualTo(CallOutcome.SUCCESS);
        assertThat(async.completed).isTrue();
        assertThat(out.bytes.toString(StandardCharsets.UTF_8)).contains(word(1)).endsWith("data: [DONE]\n\n");
    }

    @Test
    void aStreamCutByTheProviderIsAnErrorWithWhatWasSeen() throws IOException {
        head();
        relay.consume(event(word(1)));
        relay.failed(new IOException("connection reset"));
        Completion c = permit.only();
        assertThat(c.outcome()).isEqualTo(CallOutcome.ERROR);
        assertThat(c.errorMessage()).isEqualTo("provider stream failed");
        assertThat(c.counts().output()).isPositive();
        assertThat(async.completed).isTrue();
    }

    /** The client's socket: takes bytes while ready, fails once broken. */
    static final class Out extends ServletOutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean ready = true;
        boolean broken;
        /** The next write finds the socket busy, as another thread's readiness check just did. */
        boolean busyOnce;

        int flushes;

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setWriteListener(WriteListener listener) {}

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (broken) {
                throw new IOException("Broken pipe");
            }
            if (busyOnce) {
                busyOnce = false;
                ready = false;
            }
            if (!ready) {
                throw new IllegalStateException("written while not ready");
            }
            bytes.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            if (broken) {
                throw new IOException("Broken pipe");
            }
            flushes++;
        }
    }

    static final class Capacity implements CapacityChannel {
        final List<Integer> updates = new ArrayList<>();

        @Override
        public void update(int increment) {
            updates.add(increment);
        }
    }

    static final class Async implements AsyncContext {
        boolean completed;

        @Override
        public void complete() {
            completed = true;
        }

        @Override
        public ServletRequest getRequest() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ServletResponse getResponse() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean hasOriginalRequestAndResponse() {
            return true;
        }

        @Override
        public void dispatch() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void dispatch(String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void dispatch(ServletContext context, String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void start(Runnable run) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void addListener(AsyncListener listener) {}

        @Override
        public void addListener(AsyncListener listener, ServletRequest request, ServletResponse response) {}

        @Override
        public <T extends AsyncListener> T createListener(Class<T> clazz) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void setTimeout(long timeout) {}

        @Override
        public long getTimeout() {
            return 0;
        }
    }

    static final class RecordingPermit implements Permit {
        final List<Completion> completions = new ArrayList<>();

        Completion only() {
            assertThat(completions).hasSize(1);
            return completions.get(0);
        }

        @Override
        public RecordedUsage complete(Completion completion) {
            if (!completions.isEmpty()) {
                throw new IllegalStateException("already completed");
            }
            completions.add(completion);
            return RecordedUsage.deferred(() -> "event", () -> null, false);
        }

        @Override
        public String requestId() {
            return "req-1";
        }

        @Override
        public Principal principal() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant startedAt() {
            return Instant.EPOCH;
        }

        @Override
        public Instant expiresAt() {
            return Instant.EPOCH.plusSeconds(600);
        }

        @Override
        public boolean limitsChecked() {
            return true;
        }

        @Override
        public List<BudgetWarning> warnings() {
            return List.of();
        }

        @Override
        public void release() {}
    }
}
