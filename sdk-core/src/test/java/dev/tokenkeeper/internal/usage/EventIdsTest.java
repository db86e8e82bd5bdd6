package dev.tokenkeeper.internal.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.internal.util.SipHash;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventIdsTest {
    private static final byte[] KEY = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private final EventIds ids = new EventIds(KEY);

    /** The key as defined: SipHash-2-4-128 of tenant, a zero byte and request id, in UTF-8. */
    private static EventIds.RequestKey expected(byte[] hashKey, String tenant, String requestId) {
        byte[] t = tenant.getBytes(StandardCharsets.UTF_8);
        byte[] r = requestId.getBytes(StandardCharsets.UTF_8);
        byte[] in = new byte[t.length + 1 + r.length];
        System.arraycopy(t, 0, in, 0, t.length);
        System.arraycopy(r, 0, in, t.length + 1, r.length);
        long[] k = SipHash.key(hashKey);
        long[] out = new long[2];
        SipHash.hash128(k[0], k[1], in, 0, in.length, out);
        return new EventIds.RequestKey(out[0], out[1]);
    }

    @Test
    @DisplayName(
            "a request's key is SipHash-2-4-128 of (tenant, 0, request id) in UTF-8, whatever the characters and length")
    void keyIsTheKeyedHashOfTenantAndRequestId() {
        String[][] cases = {
            {"acme", "018f6a7e-1c2d-7e3f-8a9b-0c1d2e3f4a5b"},
            {"acme", ""},
            {"équipe", "requête-1"}, // not ASCII: encoded as UTF-8
            {"acme", "r".repeat(300)}, // longer than the thread's buffer
            {"a", "é".repeat(200)}, // not ASCII and longer than the buffer once encoded
        };
        for (String[] c : cases) {
            assertThat(ids.key(c[0], c[1])).as("%s / %s", c[0], c[1]).isEqualTo(expected(KEY, c[0], c[1]));
            assertThat(ids.key(c[0], c[1])).as("again").isEqualTo(expected(KEY, c[0], c[1]));
        }
    }

    @Test
    @DisplayName("the zero byte keeps tenant and request id apart, and another hash key gives other keys")
    void keysDiffer() {
        assertThat(ids.key("ab", "c")).isNotEqualTo(ids.key("a", "bc"));
        assertThat(ids.key("t", "req-1")).isNotEqualTo(ids.key("t", "req-2"));
        byte[] other = KEY.clone();
        other[15] ^= 1;
        assertThat(new EventIds(other).key("t", "req-1")).isNotEqualTo(ids.key("t", "req-1"));
    }

    @Test
    @DisplayName("an event id is a version-8 UUID of its time and the key's bits, ordered by time like lowerBound")
    void idLayout() {
        long at = 1_780_000_000_000L;
        EventIds.RequestKey key = ids.key("t", "req-1");
        UUID id = UUID.fromString(EventIds.of(at, key));
        assertThat(id.version()).isEqualTo(8);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(at);
        assertThat(id.getMostSignificantBits() & 0x0FFFL).isEqualTo(key.hi() & 0x0FFFL);
        assertThat(id.getLeastSignificantBits() & 0x3FFF_FFFF_FFFF_FFFFL).isEqualTo(key.lo() & 0x3FFF_FFFF_FFFF_FFFFL);
        assertThat(EventIds.of(at, key)).isGreaterThanOrEqualTo(EventIds.lowerBound(at));
        assertThat(EventIds.of(at, key)).isLessThan(EventIds.lowerBound(at + 1));
        assertThat(EventIds.of(at, key)).isEqualTo(EventIds.of(at, ids.key("t", "req-1")));
    }
}
