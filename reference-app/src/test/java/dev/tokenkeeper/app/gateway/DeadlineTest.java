package dev.tokenkeeper.app.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("a provider call's deadline")
class DeadlineTest {
    private final ScheduledThreadPoolExecutor watchdog = Gateway.watchdog();

    @AfterEach
    void stop() {
        watchdog.shutdownNow();
    }

    @Test
    @DisplayName("calls that end in time leave nothing in the watchdog's queue")
    void endedCallsLeaveNothing() {
        for (int i = 0; i < 10_000; i++) {
            try (Deadline d = new Deadline(watchdog, TimeUnit.MINUTES.toMillis(10))) {
                d.stopWith(() -> {});
            }
        }
        assertThat(watchdog.getQueue()).isEmpty();
    }

    @Test
    @DisplayName("when it passes, the stage registered last is stopped, and the call knows it timed out")
    void passingStopsTheCurrentStage() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        watchdog.execute(() -> {
            try {
                hold.await(); // the watchdog's one thread waits: the deadline passes when the test says
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        AtomicInteger request = new AtomicInteger();
        AtomicInteger answer = new AtomicInteger();
        CountDownLatch stopped = new CountDownLatch(1);
        try (Deadline d = new Deadline(watchdog, 0)) {
            d.stopWith(request::incrementAndGet);
            d.stopWith(() -> {
                answer.incrementAndGet();
                stopped.countDown();
            });
            assertThat(d.passed()).isFalse();
            hold.countDown();
            assertThat(stopped.await(1, TimeUnit.MINUTES)).isTrue();
            assertThat(d.passed()).isTrue();
            assertThat(request).hasValue(0);
            assertThat(answer).hasValue(1);
            // a stage registered after the deadline passed is stopped at once
            d.stopWith(request::incrementAndGet);
            assertThat(request).hasValue(1);
        }
    }
}
