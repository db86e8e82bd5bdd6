package dev.tokenkeeper.internal.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TokenCodecTest {
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private final SecureRandom random = new SecureRandom();

    @Test
    @DisplayName("generated secrets have the prefix, 52 base62 characters and a valid checksum")
    void generatedSecretsAreWellFormed() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String s = TokenCodec.generate(random);
            assertThat(s).hasSize(52).startsWith("tk_");
            assertThat(s.substring(3).chars().allMatch(c -> ALPHABET.indexOf(c) >= 0))
                    .isTrue();
            assertThat(TokenCodec.isWellFormed(s)).isTrue();
            assertThat(seen.add(s)).isTrue();
        }
    }

    @Test
    @DisplayName("every single-character substitution is caught by the checksum")
    void singleCharacterTyposAreCaught() {
        String s = TokenCodec.generate(random);
        for (int pos = 3; pos < s.length(); pos++) {
            for (char c : ALPHABET.toCharArray()) {
                if (c != s.charAt(pos)) {
                    String typo = s.substring(0, pos) + c + s.substring(pos + 1);
                    assertThat(TokenCodec.isWellFormed(typo)).as(typo).isFalse();
                }
            }
        }
    }

    @Test
    @DisplayName("random characters are spread over the whole alphabet")
    void alphabetIsCovered() {
        int[] counts = new int[128];
        for (int i = 0; i < 2000; i++) {
            String s = TokenCodec.generate(random);
            for (int j = 3; j < 46; j++) {
                counts[s.charAt(j)]++;
            }
        }
        // 86,000 draws over 62 symbols: about 1,387 each; a biased draw would starve some symbols
        for (char c : ALPHABET.toCharArray()) {
            assertThat(counts[c]).as("count of %s", c).isBetween(1100, 1700);
        }
    }
}
