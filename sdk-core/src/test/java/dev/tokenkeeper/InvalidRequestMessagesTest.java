package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.UsageEvent;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("messages of refused input")
class InvalidRequestMessagesTest {
    static final String MEGABYTE = "m".repeat(1 << 20);

    @Test
    @DisplayName("a megabyte value yields a message of a few hundred characters that says the length")
    void longValuesAreCut() {
        assertThatThrownBy(() -> UsageEvent.builder()
                        .requestId("r")
                        .tenant("t")
                        .provider("openai")
                        .model(MEGABYTE + "!")
                        .build())
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400).endsWith("characters)"));
        assertThatThrownBy(() -> TokenSpec.builder()
                        .tenant("t")
                        .name("n")
                        .allowedModels(Set.of(MEGABYTE + "!"))
                        .build())
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
        assertThatThrownBy(() -> UsageEvent.builder()
                        .requestId("r")
                        .tenant("t")
                        .provider(MEGABYTE.toUpperCase())
                        .model("m")
                        .build())
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
    }

    @Test
    @DisplayName("control characters and lone surrogates are escaped, never echoed raw")
    void controlCharactersAreEscaped() {
        assertThatThrownBy(() -> UsageEvent.builder()
                        .requestId("r")
                        .tenant("t")
                        .provider("openai")
                        .model("gpt\u001b[31m\n\ud800")
                        .build())
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .contains("gpt\\u001b[31m\\u000a\\ud800")
                        .doesNotContain("\u001b")
                        .doesNotContain("\n")
                        .doesNotContain("\ud800"));
    }

    @Test
    @DisplayName("names and ids must be Unicode text: a surrogate without its pair is refused")
    void loneSurrogates() {
        assertThatThrownBy(
                        () -> TokenSpec.builder().tenant("t").name("a\ud800b").build())
                .isInstanceOfSatisfying(
                        InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("name"));
        assertThatThrownBy(() ->
                        TokenSpec.builder().tenant("t").name("n").user("\udc00").build())
                .isInstanceOf(InvalidRequestException.class);
        assertThat(TokenSpec.builder()
                        .tenant("t")
                        .name("emoji \ud83d\ude00")
                        .build()
                        .name())
                .endsWith("\ud83d\ude00");
    }
}
