package dev.tokenkeeper.app.gateway;

import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * One streamed call relayed without a thread of its own: the request's thread starts it and returns;
 * the provider's events arrive on the asynchronous client's I/O threads, are parsed there
 * ({@link EventStream}) and written to the client in the servlet's non-blocking mode; what the
 * client's socket cannot take yet waits here, and while more than {@link #HIGH_WATER} bytes wait, no
 * more is read from the provider (its TCP window then slows it), so a slow client costs a bounded
 * amount of memory. Every way out settles the permit once, as the blocking relay does: the stream
 * finished (success), cut by the provider or failed (error, with what was seen), past its deadline
 * (a timeout), the client gone (cancelled, and the provider's connection dropped at once); and
 * before the answer's head, the provider unreachable (502), late (504) or answering an error (its
 * status mapped, in the client's envelope).
 *
 * <p>Threads: the client's I/O thread feeds the stream; Tomcat's threads call {@link
 * #onWritePossible} and report errors; the deadlines' thread cancels the exchange. The provider's
 * side (the parser, the usage, the settling) is guarded by this object's monitor; what waits for the
 * client is a concurrent queue written out by one thread at a time ({@link #signal}). Neither Tomcat,
 * the provider's flow control ({@link CapacityChannel}) nor the exchange's cancellation is called
 * holding the monitor.
 */
final class AsyncRelay implements AsyncResponseConsumer<Void>, FutureCallback<Void>, WriteListener, AsyncListener {

    /** Bytes waiting for the client above which the provider's stream is no longer read. */
    static final int HIGH_WATER = 64 * 1024;

    /** How much the provider may send ahead each time its window is opened. */
    private static final int WINDOW = 64 * 1024;

    private final Gateway gateway;
    private final Surface surface;
    private final Providers.Route route;
    private final Permit permit;
    private final Map<String, String> meta;
    private final long started;
    private final long estimate;
    private final Deadline deadline;
    private final HttpServletResponse response;
    private final Gateway.Usage usage;
    private final EventStream events;

    private volatile @Nullable AsyncContext async;
    private volatile @Nullable ServletOutputStream out;
    private volatile HttpUpstream.@Nullable StreamCall exchange;

    // what waits for the client: written by one thread at a time (see signal)
    private final ConcurrentLinkedQueue<byte[]> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingBytes = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();
    /** Bytes written and not yet flushed (a flush refused waits for the next turn). Drain's own. */
    private boolean unflushed;

    private volatile boolean last;
    private volatile boolean over;

    // the provider's side, guarded by this
    private final List<byte[]> ready = new ArrayList<>();
    private @Nullable CapacityChannel paused;
    private int status;
    private long retryAfter = -1;
    private @Nullable ByteArrayOutputStream errorBody;
    private @Nullable FutureCallback<Void> result;
    private boolean upstreamOver;

    AsyncRelay(
            Gateway gateway,
            Surface surface,
            Providers.Route route,
            Permit permit,
            Map<String, String> meta,
            long started,
            long estimate,
            boolean clientWantsUsage,
            long maxResponseSize,
            Deadline deadline,
            HttpServletResponse response,
            Estimator estimator,
            JsonMapper json) {
        this.gateway = gateway;
        this.surface = surface;
        this.route = route;
        this.permit = permit;
        this.meta = meta;
        this.started = started;
        this.estimate = estimate;
        this.deadline = deadline;
        this.response = response;
        this.usage = new Gateway.Usage(surface, estimator);
        this.events = new EventStream(surface, usage, clientWantsUsage, maxResponseSize, json);
    }

    /**
     * Puts the request in asynchronous mode and sends the call; the request's thread then returns.
     * Everything after is driven by the provider's and the client's sockets.
     */
    void start(HttpServletRequest request, HttpUpstream upstream, byte[] body, Map<String, String> headers)
            throws IOException {
        AsyncContext ac = request.startAsync(request, response);
        ac.setTimeout(0); // the call's deadline bounds the provider; the connector's timeouts the client
        ac.addListener(this);
        ServletOutputStream os = response.getOutputStream();
        attach(ac, os);
        os.setWriteListener(this);
        HttpUpstream.StreamCall call;
        try {
            call = upstream.stream(surface, body, headers, this, this);
        } catch (RuntimeException e) {
            // the client cannot send (it is shutting down)
            failed(e);
            return;
        }
        sent(call);
    }

    /** The response in asynchronous mode, and its stream, that the relay writes to. */
    void attach(AsyncContext ac, ServletOutputStream os) {
        async = ac;
        out = os;
    }

    /** Bytes waiting for the client's socket. */
    int waiting() {
        return waitingBytes.get();
    }

    /** The call on its way: what stops it, at the deadline or when the client goes away. */
    void sent(HttpUpstream.StreamCall call) {
        exchange = call;
        deadline.stopWith(call::cancel);
        if (over) {
            call.cancel(); // the client went away while the call was being sent
        }
    }

    // ---- the provider's side, on the client's I/O threads ----

    @Override
    public void consumeResponse(
            HttpResponse head, @Nullable EntityDetails entity, HttpContext context, FutureCallback<Void> result)
            throws IOException {
        synchronized (this) {
            if (over) {
                return;
            }
            status = head.getCode();
            this.result = result;
            if (status == 200) {
                Gateway.streamHead(response);
            } else {
                retryAfter = HttpUpstream.retryAfterSeconds(head.getFirstHeader("Retry-After"));
                errorBody = new ByteArrayOutputStream();
            }
        }
        if (entity == null) {
            streamEnd(null);
        }
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext context) {
        // 1xx: nothing to relay
    }

    @Override
    public void updateCapacity(CapacityChannel channel) throws IOException {
        synchronized (this) {
            if (waitingBytes.get() >= HIGH_WATER && !over) {
                paused = channel; // opened again once the client has taken what waits
                return;
            }
        }
        channel.update(WINDOW);
    }

    @Override
    public void consume(ByteBuffer src) {
        IOException broken = null;
        synchronized (this) {
            if (over || upstreamOver) {
                src.position(src.limit());
                return;
            }
            ByteArrayOutputStream error = errorBody;
            if (error != null) {
                int n = Math.max(0, Math.min(src.remaining(), Gateway.MAX_ERROR_BODY - error.size()));
                byte[] part = new byte[n];
                src.get(part);
                error.writeBytes(part);
                src.position(src.limit());
                return;
            }
            try {
                events.feed(src, ready);
            } catch (IOException e) {
                src.position(src.limit());
                broken = e;
            }
            if (!ready.isEmpty()) {
                // the time to first token: the first event handed on to the client's connection
                usage.firstByte(started, meta);
                for (byte[] event : ready) {
                    waiting.add(event);
                    waitingBytes.addAndGet(event.length);
                }
                ready.clear();
            }
        }
        if (broken != null) {
            // the answer passed the size limit, or a line its own: the stream cannot go on
            cancelExchange();
            failed(broken);
        } else {
            signal();
        }
    }

    @Override
    public void streamEnd(@Nullable List<? extends Header> trailers) {
        byte[] end;
        FutureCallback<Void> done;
        synchronized (this) {
            done = result;
            if (over || upstreamOver) {
                return;
            }
            upstreamOver = true;
            deadline.close();
            ByteArrayOutputStream error = errorBody;
            if (error != null) {
                Gateway.settleOnce(
                        permit,
                        Completion.failure(TokenCounts.NONE, Gateway.since(started), "provider answered " + status),
                        meta);
                end = refusal(gateway.providerRefusal(route, status, error.toByteArray(), retryAfter));
            } else if (events.finished()) {
                Gateway.settleOnce(
                        permit,
                        usage.completion(route.model(), estimate, CallOutcome.SUCCESS, Gateway.since(started), null),
                        meta);
                end = new byte[0];
            } else {
                Gateway.settleOnce(
                        permit,
                        usage.completion(
                                route.model(),
                                estimate,
                                CallOutcome.ERROR,
                                Gateway.since(started),
                                "provider cut the stream"),
                        meta);
                end = Gateway.cutNotice(surface, "provider cut the stream");
            }
        }
        finish(end);
        if (done != null) {
            done.completed(null);
        }
    }

    /**
     * The exchange failed: the provider unreachable, the connection cut or reset, the deadline
     * passed (the exchange cancelled), or the answer over a limit. The client reports it to the
     * consumer and to the exchange's callback, possibly both: only the first counts.
     */
    @Override
    public void failed(Exception cause) {
        byte[] end;
        synchronized (this) {
            if (over || upstreamOver) {
                return;
            }
            upstreamOver = true;
            boolean late = deadline.passed();
            deadline.close();
            ByteArrayOutputStream error = errorBody;
            if (status == 0) {
                // no answer's head: nothing was relayed; refused as the blocking path refuses it
                Gateway.settleOnce(
                        permit,
                        Completion.failure(
                                TokenCounts.NONE,
                                Gateway.since(started),
                                late ? "provider timeout" : "provider unreachable"),
                        meta);
                end = refusal(late ? Gateway.noAnswerInTime() : Gateway.unreachable(route, cause));
            } else if (error != null) {
                Gateway.settleOnce(
                        permit,
                        Completion.failure(TokenCounts.NONE, Gateway.since(started), "provider answered " + status),
                        meta);
                // the part of the error received: its message when it arrived whole, the status alone if not
                end = refusal(gateway.providerRefusal(route, status, error.toByteArray(), retryAfter));
            } else {
                String why = late ? "provider timeout" : "provider stream failed";
                Gateway.settleOnce(
                        permit,
                        usage.completion(route.model(), estimate, CallOutcome.ERROR, Gateway.since(started), why),
                        meta);
                end = Gateway.cutNotice(surface, why);
            }
        }
        finish(end);
    }

    @Override
    public void completed(Void result) {
        // the consumer saw the end (streamEnd)
    }

    @Override
    public void cancelled() {
        failed(new CancellationException());
    }

    @Override
    public void releaseResources() {
        // nothing held beyond the relay's own state
    }

    // ---- the client's side ----

    @Override
    public void onWritePossible() {
        signal();
    }

    @Override
    public void onError(Throwable t) {
        clientGone("the client's connection failed", t);
    }

    @Override
    public void onError(AsyncEvent event) {
        clientGone("the container reported an error", event.getThrowable());
        // completed here even when a failed write found the client gone first: a request left
        // uncompleted after this callback is dispatched to the error handling, which cannot answer it
        complete();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        clientGone("the container timed the request out", null);
    }

    @Override
    public void onComplete(AsyncEvent event) {
        // the relay completed it, or the container did after an error
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // started by the relay itself
    }

    /** An error answer before anything was relayed: its status and headers set, its body answered. */
    private byte[] refusal(Gateway.Refusal r) {
        if (response.isCommitted()) {
            return new byte[0];
        }
        r.headers.forEach(response::setHeader);
        return Envelope.head(response, surface.anthropic(), r.status, r.code, String.valueOf(r.getMessage()));
    }

    /** The last bytes to relay: once the client has taken them, the response ends. */
    private void finish(byte[] bytes) {
        if (bytes.length > 0) {
            waiting.add(bytes);
            waitingBytes.addAndGet(bytes.length);
        }
        last = true;
        signal();
    }

    /**
     * Writes what waits, on whichever thread asks, one thread at a time: a thread that finds another
     * writing leaves its turn to it, which goes round once more before it stops. No lock is held
     * while Tomcat or the provider's client is called, so their own locks cannot cross the relay's.
     */
    private void signal() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        do {
            drain();
        } while (wip.decrementAndGet() != 0);
    }

    /** Writes while the client's socket takes it; ends the response after the last bytes. */
    private void drain() {
        ServletOutputStream os = out;
        if (os == null) {
            return; // before start: the request's thread signals once it has the stream
        }
        if (over) {
            waiting.clear();
            return;
        }
        try {
            for (byte[] bytes; (bytes = waiting.peek()) != null; ) {
                if (!os.isReady()) {
                    return; // onWritePossible follows when the client's socket takes more
                }
                os.write(bytes); // taken off the queue once written: a refused write leaves them first
                waiting.poll();
                waitingBytes.addAndGet(-bytes.length);
                unflushed = true;
            }
            if (unflushed) {
                if (!os.isReady()) {
                    return;
                }
                os.flush();
                unflushed = false;
                if (!os.isReady()) {
                    return;
                }
            }
        } catch (IllegalStateException e) {
            // Tomcat's write and flush check readiness again; when another thread's check has just
            // found the socket busy, they refuse, having written nothing, and that check's
            // registration brings onWritePossible: the bytes wait for it. Not ready for another
            // reason (the response over), the client is gone.
            if (!readyNow(os)) {
                return;
            }
            clientGone("writing to the client failed", e);
            return;
        } catch (IOException e) {
            clientGone("writing to the client failed", e);
            return;
        }
        if (last) {
            if (waiting.isEmpty()) {
                over = true;
                complete();
            }
            return;
        }
        CapacityChannel resume;
        synchronized (this) {
            resume = paused;
            paused = null;
        }
        if (resume != null) {
            try {
                resume.update(WINDOW);
            } catch (IOException e) {
                // the provider's connection is gone: its failure reaches the relay on its own
            }
        }
    }

    /**
     * Whether the client's stream says it takes bytes now; {@code true} also when it cannot say (its
     * response is over), which the caller counts as a client gone.
     */
    private static boolean readyNow(ServletOutputStream os) {
        try {
            return os.isReady();
        } catch (IllegalStateException over) {
            return true;
        }
    }

    /**
     * The client went away: the provider's call is dropped at once, the call recorded as cancelled,
     * with what showed it ({@code why}, and the exception's type and message) as the trace's error.
     */
    private void clientGone(String why, @Nullable Throwable cause) {
        synchronized (this) {
            if (over) {
                return;
            }
            over = true;
            if (!upstreamOver) {
                upstreamOver = true;
                deadline.close();
                Gateway.settleOnce(
                        permit,
                        usage.completion(
                                route.model(),
                                estimate,
                                CallOutcome.CANCELLED,
                                Gateway.since(started),
                                gone(why, cause)),
                        meta);
            }
        }
        waiting.clear();
        cancelExchange();
        complete();
    }

    /** The trace's error for a client gone: why, and the exception's type and message, cut short. */
    static String gone(String why, @Nullable Throwable cause) {
        if (cause == null) {
            return "client gone: " + why;
        }
        String message = cause.getMessage() == null ? "" : ": " + Gateway.printable(cause.getMessage());
        String text = "client gone: " + why + " (" + cause.getClass().getSimpleName() + message + ")";
        return text.length() > 300 ? text.substring(0, 300) : text;
    }

    private void cancelExchange() {
        HttpUpstream.StreamCall f = exchange;
        if (f != null) {
            f.cancel();
        }
    }

    private void complete() {
        AsyncContext ac = async;
        if (ac == null) {
            return;
        }
        try {
            ac.complete();
        } catch (IllegalStateException alreadyOver) {
            // the container completed it after an error
        }
    }
}
