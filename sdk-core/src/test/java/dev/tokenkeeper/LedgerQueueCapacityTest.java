package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The ledger queue's capacity is checked when it is set, before anything is allocated. */
class LedgerQueueCapacityTest {

    @Test
    @DisplayName("ledgerQueueCapacity takes 1 to 1,000,000,000 and refuses the rest by name")
    void capacityBounds() {
        assertThatCode(() -> TokenKeeper.builder().ledgerQueueCapacity(1)).doesNotThrowAnyException();
        assertThatCode(() -> TokenKeeper.builder().ledgerQueueCapacity(1_000_000_000))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> TokenKeeper.builder().ledgerQueueCapacity(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ledgerQueueCapacity must be positive, was 0");
        assertThatThrownBy(() -> TokenKeeper.builder().ledgerQueueCapacity(1_000_000_001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ledgerQueueCapacity must be at most 1000000000, was 1000000001");
    }
}
