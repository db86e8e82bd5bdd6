package dev.tokenkeeper.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.tokenkeeper.pricing.Cost;
import dev.tokenkeeper.pricing.Money;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RecordedUsageTest {
    private static final Cost COST = new Cost(
            new Cost.Split(Money.of("0.001"), Money.ZERO, Money.ZERO, Money.of("0.002"), Money.ZERO), null, true);

    @Test
    @DisplayName("a deferred result makes its id and cost when first asked, once, and equals the eager one")
    void deferredMakesValuesOnDemand() {
        AtomicInteger ids = new AtomicInteger();
        AtomicInteger costs = new AtomicInteger();
        RecordedUsage r = RecordedUsage.deferred(
                () -> {
                    ids.incrementAndGet();
                    return "e-1";
                },
                () -> {
                    costs.incrementAndGet();
                    return COST;
                },
                false);
        assertThat(r.durable()).isFalse();
        assertThat(ids).hasValue(0);
        assertThat(costs).hasValue(0);
        assertThat(r.eventId()).isEqualTo("e-1");
        assertThat(r.eventId()).isEqualTo("e-1");
        assertThat(ids).hasValue(1);
        assertThat(costs).hasValue(0);
        assertThat(r.cost().total()).isEqualTo(Money.of("0.003"));
        assertThat(r.cost()).isSameAs(r.cost());
        assertThat(costs).hasValue(1);

        RecordedUsage eager = new RecordedUsage("e-1", COST, false);
        assertThat(r).isEqualTo(eager).hasSameHashCodeAs(eager).hasToString(eager.toString());
        assertThat(r).isNotEqualTo(new RecordedUsage("e-1", COST, true));
        assertThat(r).isNotEqualTo(new RecordedUsage("e-2", COST, false));
        assertThat(eager.toString()).contains("eventId=e-1", "durable=false");
    }

    @Test
    @DisplayName("nulls are refused, given or supplied")
    void refusesNulls() {
        assertThatNullPointerException().isThrownBy(() -> new RecordedUsage(null, COST, true));
        assertThatNullPointerException().isThrownBy(() -> new RecordedUsage("e", null, true));
        assertThatNullPointerException().isThrownBy(() -> RecordedUsage.deferred(null, () -> COST, true));
        RecordedUsage suppliesNull = RecordedUsage.deferred(() -> null, () -> null, true);
        assertThatNullPointerException().isThrownBy(suppliesNull::eventId).withMessage("eventId");
        assertThatNullPointerException().isThrownBy(suppliesNull::cost).withMessage("cost");
    }
}
