package dev.tokenkeeper.app.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class EventStreamTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String CHAT = "data: {\"choices\":[{\"delta\":{\"content\":\"héllo\"}}]}\r\n\r\n"
            + ": a comment line\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\" wörld\"}}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\n"
            + "data: [DONE]\n\n";

    private final Gateway.Usage usage = new Gateway.Usage(Surface.OPENAI_CHAT, new Estimator());

    @Test
    void eventsComeWholeHoweverThePiecesAreCut() throws IOException {
        byte[] bytes = CHAT.getBytes(StandardCharsets.UTF_8);
        for (int step : new int[] {1, 2, 3, 7, bytes.length}) {
            Gateway.Usage u = new Gateway.Usage(Surface.OPENAI_CHAT, new Estimator());
            EventStream events = new EventStream(Surface.OPENAI_CHAT, u, false, 1 << 20, JSON);
            List<byte[]> out = new ArrayList<>();
            ByteArrayOutputStream relayed = new ByteArrayOutputStream();
            for (int at = 0; at < bytes.length; at += step) {
                events.feed(bytes, at, Math.min(step, bytes.length - at), out);
                out.forEach(relayed::writeBytes);
                out.clear();
            }
            // the usage chunk the gateway asked for is held back; the rest relayed byte for byte
            // (a multi-byte character cut between pieces included), line ends made \n
            assertThat(relayed.toString(StandardCharsets.UTF_8))
                    .as("pieces of %d bytes", step)
                    .isEqualTo("data: {\"choices\":[{\"delta\":{\"content\":\"héllo\"}}]}\n\n"
                            + ": a comment line\ndata: {\"choices\":[{\"delta\":{\"content\":\" wörld\"}}]}\n\n"
                            + "data: [DONE]\n\n");
            assertThat(events.finished()).isTrue();
            Completion c = u.completion("gpt-4o-mini", 99, CallOutcome.SUCCESS, Duration.ZERO, null);
            assertThat(c.counts().input()).isEqualTo(7);
            assertThat(c.counts().output()).isEqualTo(3);
            assertThat(c.source()).isEqualTo(UsageSource.REPORTED);
        }
    }

    @Test
    void aClientThatAskedForTheUsageGetsIt() throws IOException {
        EventStream events = new EventStream(Surface.OPENAI_CHAT, usage, true, 1 << 20, JSON);
        List<byte[]> out = new ArrayList<>();
        byte[] bytes = CHAT.getBytes(StandardCharsets.UTF_8);
        events.feed(bytes, 0, bytes.length, out);
        assertThat(out).hasSize(4);
        assertThat(new String(out.get(2), StandardCharsets.UTF_8)).contains("\"usage\"");
    }

    @Test
    void aStreamWithoutItsLastEventIsNotFinished() throws IOException {
        EventStream events = new EventStream(Surface.OPENAI_CHAT, usage, false, 1 << 20, JSON);
        List<byte[]> out = new ArrayList<>();
        // an event not yet ended by its blank line is not relayed, and the stream is not finished
        byte[] cut = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n"
                .getBytes(StandardCharsets.UTF_8);
        events.feed(cut, 0, cut.length, out);
        assertThat(out).hasSize(1);
        assertThat(events.finished()).isFalse();
    }

    @Test
    void anthropicAndResponsesStreamsFinishOnTheirLastEvent() throws IOException {
        for (var s : List.of(
                List.of(Surface.ANTHROPIC_MESSAGES, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
                List.of(
                        Surface.OPENAI_RESPONSES,
                        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n"))) {
            Surface surface = (Surface) s.get(0);
            byte[] bytes = ((String) s.get(1)).getBytes(StandardCharsets.UTF_8);
            EventStream events =
                    new EventStream(surface, new Gateway.Usage(surface, new Estimator()), false, 1 << 20, JSON);
            List<byte[]> out = new ArrayList<>();
            events.feed(bytes, 0, bytes.length, out);
            assertThat(events.finished()).as(surface.id()).isTrue();
            assertThat(out).hasSize(1);
        }
    }

    @Test
    void limits() throws IOException {
        EventStream small = new EventStream(Surface.OPENAI_CHAT, usage, false, 100, JSON);
        byte[] event = ("data: {\"choices\":[{\"delta\":{\"content\":\"" + "x".repeat(40) + "\"}}]}\n\n")
                .getBytes(StandardCharsets.UTF_8);
        List<byte[]> out = new ArrayList<>();
        small.feed(event, 0, event.length, out);
        assertThat(out).hasSize(1);
        assertThatThrownBy(() -> small.feed(event, 0, event.length, out))
                .isInstanceOf(IOException.class)
                .hasMessage("answer too large");

        EventStream long1 = new EventStream(Surface.OPENAI_CHAT, usage, false, Long.MAX_VALUE, JSON);
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'a');
        assertThatThrownBy(() -> {
                    for (int i = 0; i <= EventStream.MAX_LINE / chunk.length; i++) {
                        long1.feed(chunk, 0, chunk.length, out);
                    }
                })
                .isInstanceOf(IOException.class)
                .hasMessage("event line too long");
    }
}
