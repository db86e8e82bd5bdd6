package dev.tokenkeeper.app.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A provider's event stream read as it arrives, in pieces of any size, whichever thread delivers
 * them: split into events (lines up to a blank line), each event's {@code data} parsed for the usage
 * and the text, and the events to relay handed back whole, as bytes. The extra usage chunk that the
 * gateway asked an OpenAI chat stream for is held back from a client that did not ask for it. The
 * relayed bytes are bounded by {@code max-response-size}; a line by {@link #MAX_LINE}.
 *
 * <p>Not thread-safe: one stream's pieces are fed one after another.
 */
final class EventStream {
    /** The longest line of an event, in bytes. */
    static final int MAX_LINE = 1 << 20;

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final Surface surface;
    private final Gateway.Usage usage;
    private final boolean clientWantsUsage;
    private final long budget;
    private final JsonMapper json;

    private byte[] line = new byte[256];
    private int lineLength;
    private byte[] event = new byte[1024];
    private int eventLength;
    private int dataStart = -1;
    private int dataEnd;
    private long relayed;
    private boolean finished;

    EventStream(Surface surface, Gateway.Usage usage, boolean clientWantsUsage, long budget, JsonMapper json) {
        this.surface = surface;
        this.usage = usage;
        this.clientWantsUsage = clientWantsUsage;
        this.budget = budget;
        this.json = json;
    }

    /** Whether the stream's last event came: OpenAI's {@code [DONE]}, or the final event of the others. */
    boolean finished() {
        return finished;
    }

    /**
     * Reads a piece of the stream; each event it completes that is to be relayed is added to {@code
     * out}.
     *
     * @throws IOException when a line is longer than {@link #MAX_LINE} or the relayed bytes would pass
     *     the response size limit: the stream cannot go on
     */
    void feed(ByteBuffer piece, List<byte[]> out) throws IOException {
        while (piece.hasRemaining()) {
            byte b = piece.get();
            if (b == '\n') {
                int end = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
                endOfLine(end, out);
                lineLength = 0;
            } else {
                if (lineLength == line.length) {
                    if (lineLength >= MAX_LINE) {
                        throw new IOException("event line too long");
                    }
                    line = Arrays.copyOf(line, Math.min(MAX_LINE, lineLength * 2));
                }
                line[lineLength++] = b;
            }
        }
    }

    /** Reads a piece of the stream from an array. */
    void feed(byte[] piece, int offset, int length, List<byte[]> out) throws IOException {
        feed(ByteBuffer.wrap(piece, offset, length), out);
    }

    private void endOfLine(int length, List<byte[]> out) throws IOException {
        if (length == 0) {
            if (eventLength > 0) {
                endOfEvent(out);
            }
            return;
        }
        ensure(eventLength + length + 2);
        int start = eventLength;
        System.arraycopy(line, 0, event, start, length);
        eventLength += length;
        event[eventLength++] = '\n';
        if (length >= 5 && startsWithData(line)) {
            // the last data line of an event is its data (providers send one per event)
            int from = start + (length > 5 && line[5] == ' ' ? 6 : 5);
            dataStart = from;
            dataEnd = start + length;
        }
    }

    private static boolean startsWithData(byte[] l) {
        return l[0] == 'd' && l[1] == 'a' && l[2] == 't' && l[3] == 'a' && l[4] == ':';
    }

    private void endOfEvent(List<byte[]> out) throws IOException {
        boolean forward = true;
        if (dataStart >= 0) {
            if (Arrays.equals(event, dataStart, dataEnd, DONE, 0, DONE.length)) {
                finished = true;
            } else {
                JsonNode node = parse(event, dataStart, dataEnd - dataStart);
                if (node != null) {
                    usage.take(node);
                    usage.streamText(node);
                    String type = node.path("type").asString("");
                    if (type.equals("message_stop") || type.equals("response.completed")) {
                        finished = true;
                    }
                    if (surface == Surface.OPENAI_CHAT
                            && !clientWantsUsage
                            && node.path("choices").isArray()
                            && node.path("choices").isEmpty()
                            && node.path("usage").isObject()) {
                        forward = false;
                    }
                }
            }
        }
        if (forward) {
            event[eventLength++] = '\n';
            relayed += eventLength;
            if (relayed > budget) {
                throw new IOException("answer too large");
            }
            out.add(Arrays.copyOf(event, eventLength));
        }
        eventLength = 0;
        dataStart = -1;
    }

    private void ensure(int capacity) {
        if (capacity > event.length) {
            event = Arrays.copyOf(event, Math.max(capacity, event.length * 2));
        }
    }

    private @Nullable JsonNode parse(byte[] bytes, int offset, int length) {
        try {
            return json.readTree(bytes, offset, length);
        } catch (JacksonException e) {
            return null;
        }
    }
}
