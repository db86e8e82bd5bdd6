package dev.tokenkeeper.benchmarks;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An HTTP/1.1 load driver for the gateway's load runs, for what {@code wrk} does not do: a fixed
 * request rate (open loop), and many concurrent long streams.
 *
 * <ul>
 *   <li>{@code mode=rate}: {@code rate} requests a second for {@code seconds}, spread over
 *       {@code connections} keep-alive connections, each request sent at its scheduled time whatever
 *       the previous answers took. It reports the service time (from sending to the last byte of
 *       the answer) and the response time measured from the scheduled send, which also counts any
 *       wait for a late answer on the same connection (so that a stall is not hidden: no
 *       coordinated omission), and the time to the first byte of the answer's body (for a stream,
 *       its first event).
 *   <li>{@code mode=streams}: {@code connections} clients, each sending one request after another
 *       for {@code seconds} and reading each answer to its end; it reports the time to the first byte
 *       of the body, and the answers completed. The time to first byte is reported twice: for every
 *       stream, and without each client's first, whose connections all open at the same moment.
 * </ul>
 *
 * <p>Arguments are {@code key=value}: {@code url}, {@code body} (the JSON body), {@code bearer},
 * {@code mode}, {@code rate}, {@code seconds}, {@code connections}, {@code label}. One line of
 * results is printed per run. Loopback only: it refuses any other host.
 */
public final class LoadDriver {
    private LoadDriver() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("arguments are key=value: " + arg);
            }
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        URI url = URI.create(a.getOrDefault("url", "http://127.0.0.1:9099/v1/chat/completions"));
        if (!"127.0.0.1".equals(url.getHost()) && !"localhost".equals(url.getHost())) {
            throw new IllegalArgumentException("loopback only: " + url.getHost());
        }
        byte[] body = a.getOrDefault("body", "{}").getBytes(StandardCharsets.UTF_8);
        String bearer = a.get("bearer");
        byte[] request = ("POST " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                        + "\r\nContent-Type: application/json\r\nAccept: */*\r\n"
                        + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n")
                        + "Content-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] whole = Arrays.copyOf(request, request.length + body.length);
        System.arraycopy(body, 0, whole, request.length, body.length);
        int seconds = Integer.parseInt(a.getOrDefault("seconds", "30"));
        int connections = Integer.parseInt(a.getOrDefault("connections", "8"));
        String label = a.getOrDefault("label", url.toString());
        if ("streams".equals(a.getOrDefault("mode", "rate"))) {
            streams(url, whole, seconds, connections, label);
        } else {
            rate(url, whole, Integer.parseInt(a.getOrDefault("rate", "500")), seconds, connections, label);
        }
    }

    /** One keep-alive connection, written and read by one thread. */
    private static final class Connection implements AutoCloseable {
        private final URI url;
        private Socket socket;
        private OutputStream out;
        private InputStream in;
        /** The server said {@code Connection: close} (Tomcat does after 100 requests). */
        private boolean closing;
        /**
         * Answers read on this connection, the part of the current one being read and its chunks so
         * far: for an error's message, composed only then.
         */
        private int answers;

        private String stage = "";
        private int chunks;

        Connection(URI url) throws IOException {
            this.url = url;
            open();
        }

        private void open() throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5_000);
            socket.setSoTimeout(120_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 16_384);
            closing = false;
            answers = 0;
        }

        /**
         * Between requests, outside the measured times: when the server closed the connection after
         * its last answer, opens another.
         */
        void reopenIfClosing() throws IOException {
            if (closing) {
                socket.close();
                open();
            }
        }

        /**
         * Sends the request and reads the whole answer; returns its status, and the time its body's
         * first byte arrived in {@code firstByte[0]} (System.nanoTime).
         */
        int exchange(byte[] request, long[] firstByte) throws IOException {
            try {
                int code = exchangeOnce(request, firstByte);
                answers++;
                return code;
            } catch (IOException e) {
                String where = stage.equals("a chunk") ? "the chunk after " + chunks + " chunk(s)" : stage;
                throw new IOException(
                        e.getMessage() + " (answer " + (answers + 1) + " on this connection, while reading " + where
                                + ")",
                        e);
            }
        }

        private int exchangeOnce(byte[] request, long[] firstByte) throws IOException {
            stage = "the status line";
            out.write(request);
            out.flush();
            String status = line();
            int code = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            stage = "the headers";
            for (String h = line(); !h.isEmpty(); h = line()) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                }
            }
            firstByte[0] = 0;
            if (chunked) {
                chunks = 0;
                stage = "a chunk";
                for (long size = chunkSize(); size > 0; size = chunkSize()) {
                    skip(size, firstByte);
                    line();
                    chunks++;
                }
                stage = "the trailers";
                for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
                    // trailers are read and dropped
                }
            } else if (length >= 0) {
                stage = "the body";
                skip(length, firstByte);
            } else {
                throw new IOException("an answer without a length: the driver reads keep-alive answers only");
            }
            closing = close;
            return code;
        }

        private void skip(long n, long[] firstByte) throws IOException {
            for (long left = n; left > 0; ) {
                if (in.read() < 0) {
                    throw new IOException("the answer ended early");
                }
                if (firstByte[0] == 0) {
                    firstByte[0] = System.nanoTime();
                }
                left--;
                long skipped = in.skip(Math.min(left, in.available()));
                left -= skipped;
            }
        }

        private long chunkSize() throws IOException {
            String size = line();
            int semicolon = size.indexOf(';');
            return Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder(64);
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("the connection closed");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static void rate(URI url, byte[] request, int rate, int seconds, int connections, String label)
            throws InterruptedException {
        long period = 1_000_000_000L / rate;
        long total = (long) rate * seconds;
        long start = System.nanoTime() + 200_000_000L; // connections open first
        long[][] service = new long[connections][];
        long[][] response = new long[connections][];
        long[][] firstBytes = new long[connections][];
        AtomicLong errors = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < connections; w++) {
            int worker = w;
            int mine = (int) ((total - worker + connections - 1) / connections);
            service[w] = new long[mine];
            response[w] = new long[mine];
            firstBytes[w] = new long[mine];
            Thread t = new Thread(
                    () -> {
                        long[] first = new long[1];
                        try (Connection c = new Connection(url)) {
                            for (int i = 0; i < mine; i++) {
                                long intended = start + (worker + (long) i * connections) * period;
                                for (long wait; (wait = intended - System.nanoTime()) > 0; ) {
                                    LockSupport.parkNanos(wait);
                                }
                                long sent = System.nanoTime();
                                if (c.exchange(request, first) != 200) {
                                    errors.incrementAndGet();
                                }
                                long done = System.nanoTime();
                                service[worker][i] = done - sent;
                                response[worker][i] = done - intended;
                                firstBytes[worker][i] = first[0] - sent;
                                c.reopenIfClosing();
                            }
                        } catch (IOException e) {
                            errors.incrementAndGet();
                            System.err.println(label + ": " + e);
                        }
                    },
                    "load-" + w);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] s = merge(service);
        long[] r = merge(response);
        long[] f = merge(firstBytes);
        System.out.printf(
                Locale.ROOT,
                "%s: %d requests at %d/s over %.1f s, %d errors | service time p50 %s p90 %s p99 %s p99.9 %s max %s"
                        + " | time to first byte p50 %s p99 %s"
                        + " | response time from the schedule p50 %s p99 %s p99.9 %s%n",
                label,
                s.length,
                rate,
                elapsed,
                errors.get(),
                us(s, 0.50),
                us(s, 0.90),
                us(s, 0.99),
                us(s, 0.999),
                us(s, 1.0),
                us(f, 0.50),
                us(f, 0.99),
                us(r, 0.50),
                us(r, 0.99),
                us(r, 0.999));
    }

    private static void streams(URI url, byte[] request, int seconds, int clients, String label)
            throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long[][] ttfb = new long[clients][];
        int[] kept = new int[clients]; // how many times to first byte each client recorded
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        ConcurrentHashMap<Integer, Long> statuses = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < clients; w++) {
            int worker = w;
            long[] mine = new long[100_000];
            ttfb[w] = mine;
            Thread t = new Thread(
                    () -> {
                        long[] first = new long[1];
                        int n = 0;
                        try (Connection c = new Connection(url)) {
                            while (System.nanoTime() < end) {
                                long sent = System.nanoTime();
                                int status = c.exchange(request, first);
                                if (status != 200) {
                                    errors.incrementAndGet();
                                    statuses.merge(status, 1L, Long::sum);
                                } else {
                                    completed.incrementAndGet();
                                }
                                if (n < mine.length) {
                                    mine[n++] = first[0] - sent;
                                }
                                c.reopenIfClosing();
                            }
                        } catch (IOException e) {
                            errors.incrementAndGet();
                            System.err.println(label + ": " + e);
                        }
                        kept[worker] = n;
                    },
                    "stream-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long[][] later = new long[clients][];
        for (int i = 0; i < clients; i++) {
            later[i] = Arrays.copyOfRange(ttfb[i], Math.min(1, kept[i]), kept[i]);
            ttfb[i] = Arrays.copyOf(ttfb[i], kept[i]);
        }
        long[] f = merge(ttfb);
        long[] l = merge(later);
        System.out.printf(
                Locale.ROOT,
                "%s: %d clients for %d s, %d streams completed, %d errors %s | time to first byte p50 %s p99 %s max %s"
                        + " | after each client's first stream: p50 %s p99 %s max %s%n",
                label,
                clients,
                seconds,
                completed.get(),
                errors.get(),
                statuses.isEmpty() ? "" : "(statuses " + statuses + ")",
                us(f, 0.50),
                us(f, 0.99),
                us(f, 1.0),
                us(l, 0.50),
                us(l, 0.99),
                us(l, 1.0));
    }

    private static long[] merge(long[][] parts) {
        long[] all = new long[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        Arrays.sort(all);
        return all;
    }

    /** A percentile of sorted nanoseconds, in microseconds or milliseconds. */
    private static String us(long[] sorted, double q) {
        if (sorted.length == 0) {
            return "-";
        }
        long v = sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1))];
        return v < 1_000_000 ? (v / 1_000) + " µs" : String.format(Locale.ROOT, "%.2f ms", v / 1e6);
    }
}
