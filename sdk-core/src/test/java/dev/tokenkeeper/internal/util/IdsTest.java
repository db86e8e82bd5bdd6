package dev.tokenkeeper.internal.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ids")
class IdsTest {
    private static final long MILLIS = 1_764_900_000_123L;

    @Test
    @DisplayName("uuid7 ids of one JVM strictly increase, also within one millisecond")
    void orderedIdsIncrease() {
        String previous = Ids.uuid7(MILLIS);
        for (int i = 0; i < 10_000; i++) {
            String next = Ids.uuid7(MILLIS);
            assertThat(next).isGreaterThan(previous);
            previous = next;
        }
    }

    @Test
    @DisplayName("an unordered uuid7 is a version 7 UUID of its millisecond with random bits after it")
    void unorderedIdsAreVersion7OfTheirMillisecond() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = Ids.uuid7Unordered(MILLIS);
            UUID u = UUID.fromString(id);
            assertThat(u.toString()).isEqualTo(id); // canonical lower-case form
            assertThat(u.version()).isEqualTo(7);
            assertThat(u.variant()).isEqualTo(2); // RFC 9562
            assertThat(u.getMostSignificantBits() >>> 16).isEqualTo(MILLIS);
            seen.add(id);
        }
        assertThat(seen).hasSize(10_000);
        // ordered by the millisecond: any id of a later millisecond sorts after every id of this one
        String lastOfMillisecond = new UUID((MILLIS << 16) | 0x7FFFL, 0xBFFF_FFFF_FFFF_FFFFL).toString();
        assertThat(seen).allSatisfy(id -> assertThat(id).isLessThanOrEqualTo(lastOfMillisecond));
        assertThat(Ids.uuid7Unordered(MILLIS + 1)).isGreaterThan(lastOfMillisecond);
    }

    @Test
    @DisplayName("a deferred unordered uuid7 writes its text once, in the canonical form of its own bits")
    void deferredIdText() {
        Ids.Deferred id = Ids.uuid7UnorderedDeferred(MILLIS);
        String text = id.toString();
        UUID u = UUID.fromString(text);
        assertThat(u.toString()).isEqualTo(text);
        assertThat(u.version()).isEqualTo(7);
        assertThat(u.variant()).isEqualTo(2);
        assertThat(u.getMostSignificantBits() >>> 16).isEqualTo(MILLIS);
        assertThat(id.toString()).isSameAs(text); // made once, then the same String
    }
}
