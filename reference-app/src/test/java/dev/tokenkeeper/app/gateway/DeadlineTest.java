package dev.tokenkeeper.app.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("a provider call's deadline")
class DeadlineTest {
    private final Deadlines deadlines = Deadlines.manual();

    @Test
    @DisplayName("calls that end in time leave nothing behind")
    void endedCallsLeaveNothing() {
        for (int i = 0; i < 10_000; i++) {
            try (Deadline d = deadlines.start(TimeUnit.MINUTES.toMillis(10))) {
                d.stopWith(() -> {});
                assertThat(deadlines.open()).isEqualTo(1);
            }
        }
        assertThat(deadlines.open()).isZero();
    }

    @Test
    @DisplayName("when it passes, the stage registered last is stopped, and the call knows it timed out")
    void passingStopsTheCurrentStage() {
        AtomicInteger request = new AtomicInteger();
        AtomicInteger answer = new AtomicInteger();
        try (Deadline d = deadlines.start(1_000)) {
            long due = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            d.stopWith(request::incrementAndGet);
            d.stopWith(answer::incrementAndGet);
            deadlines.sweep(due - TimeUnit.MILLISECONDS.toNanos(100)); // before it is due: nothing
            assertThat(d.passed()).isFalse();
            assertThat(answer).hasValue(0);
            deadlines.sweep(due + TimeUnit.MILLISECONDS.toNanos(1));
            assertThat(d.passed()).isTrue();
            assertThat(request).hasValue(0);
            assertThat(answer).hasValue(1);
            assertThat(deadlines.open()).isZero();
            deadlines.sweep(due + TimeUnit.SECONDS.toNanos(1)); // passed once only
            assertThat(answer).hasValue(1);
            // a stage registered after the deadline passed is stopped at once
            d.stopWith(request::incrementAndGet);
            assertThat(request).hasValue(1);
        }
    }

    @Test
    @DisplayName("a stage whose stop fails does not keep the other calls' deadlines from passing")
    void aFailingStopDoesNotBlockTheOthers() {
        AtomicInteger stopped = new AtomicInteger();
        try (Deadline failing = deadlines.start(0);
                Deadline other = deadlines.start(0)) {
            failing.stopWith(() -> {
                throw new IllegalStateException("the socket is gone");
            });
            other.stopWith(stopped::incrementAndGet);
            deadlines.sweep(System.nanoTime() + 1);
            assertThat(failing.passed()).isTrue();
            assertThat(other.passed()).isTrue();
            assertThat(stopped).hasValue(1);
        }
    }

    @Test
    @DisplayName("the thread passes a deadline that is due, with no sweep from the caller")
    void theThreadPassesDueDeadlines() throws Exception {
        try (Deadlines ticking = Deadlines.started()) {
            CountDownLatch stopped = new CountDownLatch(1);
            try (Deadline d = ticking.start(0)) {
                d.stopWith(stopped::countDown);
                assertThat(stopped.await(1, TimeUnit.MINUTES)).isTrue();
                assertThat(d.passed()).isTrue();
            }
        }
    }
}
