package dev.tokenkeeper.internal.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RecentRequestsTest {
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    final Duration window = Duration.ofMinutes(10);

    @Test
    @DisplayName("a request seen again maps to what its first attempt was remembered as")
    void firstAttemptWins() {
        RecentRequests<String> recent = new RecentRequests<>(clock, window, 1_000);
        assertThat(recent.get("t\nreq-1", k -> "first")).isEqualTo("first");
        clock.advance(Duration.ofMinutes(3));
        assertThat(recent.get("t\nreq-1", k -> "second")).isEqualTo("first");
        assertThat(recent.get("t\nreq-2", k -> "other")).isEqualTo("other");
    }

    @Test
    @DisplayName("remembers for at least one window and forgets after two")
    void windowBounds() {
        RecentRequests<String> recent = new RecentRequests<>(clock, window, 1_000);
        clock.advance(Duration.ofMinutes(9));
        recent.get("late-in-generation", k -> "a");
        clock.advance(Duration.ofMinutes(2)); // the generation turns on the next call
        recent.get("early-in-next", k -> "b");
        clock.advance(Duration.ofMinutes(8)); // 10 min after "late-in-generation" was first seen
        assertThat(recent.get("late-in-generation", k -> "again")).isEqualTo("a");
        assertThat(recent.get("early-in-next", k -> "again")).isEqualTo("b");
        clock.advance(Duration.ofMinutes(12)); // two turns later both are gone
        recent.get("x", k -> "x");
        clock.advance(Duration.ofMinutes(11));
        assertThat(recent.get("late-in-generation", k -> "new")).isEqualTo("new");
        assertThat(recent.get("early-in-next", k -> "new")).isEqualTo("new");
    }

    @Test
    @DisplayName("holds no more than its entry bound, keeping the newest")
    void sizeBound() {
        RecentRequests<Integer> recent = new RecentRequests<>(clock, window, 100);
        for (int i = 0; i < 10_000; i++) {
            recent.get("req-" + i, k -> 0);
            assertThat(recent.size()).isLessThanOrEqualTo(100);
        }
        AtomicInteger created = new AtomicInteger();
        for (int i = 9_950; i < 10_000; i++) {
            recent.get("req-" + i, k -> created.incrementAndGet());
        }
        assertThat(created).hasValue(0);
    }

    @Test
    @DisplayName("forgetting a request makes its next attempt a first one")
    void forget() {
        RecentRequests<String> recent = new RecentRequests<>(clock, window, 1_000);
        recent.get("req", k -> "first");
        recent.forget("req");
        assertThat(recent.get("req", k -> "retry")).isEqualTo("retry");
    }

    @Test
    @DisplayName("under contention, each request is created once and every caller sees that value")
    void concurrentFirstSight() throws Exception {
        RecentRequests<Integer> recent = new RecentRequests<>(clock, window, 1_000_000);
        AtomicInteger created = new AtomicInteger();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<int[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            results.add(pool.submit(() -> {
                start.await();
                int[] seen = new int[5_000];
                for (int i = 0; i < seen.length; i++) {
                    seen[i] = recent.get("req-" + i, k -> created.incrementAndGet());
                }
                return seen;
            }));
        }
        start.countDown();
        int[] first = results.get(0).get();
        for (Future<int[]> f : results) {
            assertThat(f.get()).containsExactly(first);
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(created).hasValue(5_000);
    }
}
