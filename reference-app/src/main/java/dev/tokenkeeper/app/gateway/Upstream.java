package dev.tokenkeeper.app.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/** A provider's API: sends one request body to one surface's path and answers its raw response. */
public interface Upstream extends AutoCloseable {
    /** A response: its status, its body as it arrives (JSON or an event stream), a way to stop it. */
    interface Response extends AutoCloseable {
        int status();

        InputStream body();

        /** Seconds to wait that the provider asked for with {@code Retry-After}, or -1. */
        long retryAfterSeconds();

        /** The body's declared length in bytes ({@code Content-Length}), or -1 when not declared. */
        default long length() {
            return -1;
        }

        /** Stops the call: the connection is dropped, so the provider stops generating. */
        @Override
        void close();
    }

    /**
     * Sends the request.
     *
     * @param surface which API path
     * @param body the request as JSON bytes, already rewritten for the provider
     * @param headers the client headers to pass on (such as {@code anthropic-version})
     * @param deadline the call's deadline, already running: what stops the request in flight is
     *     registered with it before the request goes out, so that the wait for the answer's head ends
     *     when it passes (the gateway registers the response's {@link Response#close()} once it has one)
     * @throws IOException when the provider cannot be reached or the connection fails
     * @throws TimeoutException when the provider does not answer in time
     */
    Response send(Surface surface, byte[] body, Map<String, String> headers, Deadline deadline)
            throws IOException, TimeoutException, InterruptedException;

    /** Releases the provider's connections and threads. */
    @Override
    default void close() {}
}
