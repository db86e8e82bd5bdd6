package dev.tokenkeeper.internal.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SecretHasherTest {
    private final SecureRandom random = new SecureRandom();

    @Test
    @DisplayName("the cache key of a well-formed secret is its SHA-256, the hash that is stored")
    void keyIsTheStoredHash() throws Exception {
        SecretHasher hasher = new SecretHasher(null);
        for (int i = 0; i < 100; i++) {
            String secret = TokenCodec.generate(random);
            byte[] expected = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
            HashKey key = hasher.keyIfWellFormed(secret);
            assertThat(key).isEqualTo(HashKey.of(expected));
            assertThat(key.bytes()).isEqualTo(expected).isEqualTo(hasher.hash(secret));
        }
    }

    @Test
    @DisplayName("with a pepper the key is the HMAC-SHA-256 of the secret")
    void pepperedKey() throws Exception {
        byte[] pepper = "a pepper of thirty-two bytes!!!!".getBytes(StandardCharsets.US_ASCII);
        SecretHasher hasher = new SecretHasher(pepper);
        String secret = TokenCodec.generate(random);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(pepper, "HmacSHA256"));
        byte[] expected = mac.doFinal(secret.getBytes(StandardCharsets.US_ASCII));
        assertThat(hasher.keyIfWellFormed(secret).bytes()).isEqualTo(expected).isEqualTo(hasher.hash(secret));
    }

    @Test
    @DisplayName("a malformed secret has no key: wrong length, prefix, alphabet, checksum, or not ASCII")
    void malformedSecretsHaveNoKey() {
        SecretHasher hasher = new SecretHasher(null);
        String good = TokenCodec.generate(random);
        char last = good.charAt(good.length() - 1);
        String[] bad = {
            "",
            good.substring(1),
            good + "0",
            "tx_" + good.substring(3),
            good.substring(0, 10) + "-" + good.substring(11),
            good.substring(0, 10) + "é" + good.substring(11),
            good.substring(0, good.length() - 1) + (last == '0' ? '1' : '0'),
        };
        for (String s : bad) {
            assertThat(hasher.keyIfWellFormed(s)).as(s).isNull();
            assertThat(TokenCodec.isWellFormed(s)).as(s).isFalse();
        }
        assertThat(hasher.keyIfWellFormed(good)).isNotNull();
    }
}
