package dev.tokenkeeper.internal.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RecentRequestsTest {
    private static final EventIds IDS = new EventIds(new byte[16]);

    final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    final Duration window = Duration.ofMinutes(10);

    private static long firstAt(RecentRequests recent, String request, long at) {
        return recent.firstAt(IDS.key("t", request), at);
    }

    @Test
    @DisplayName("a request seen again maps to the time its first attempt was stamped with")
    void firstAttemptWins() {
        RecentRequests recent = new RecentRequests(clock, window, 1_000);
        assertThat(firstAt(recent, "req-1", 100)).isEqualTo(RecentRequests.NONE);
        clock.advance(Duration.ofMinutes(3));
        assertThat(firstAt(recent, "req-1", 200)).isEqualTo(100);
        assertThat(firstAt(recent, "req-2", 300)).isEqualTo(RecentRequests.NONE);
        assertThat(firstAt(recent, "req-2", 400)).isEqualTo(300);
        // the same request id in another tenant is another request
        assertThat(recent.firstAt(IDS.key("u", "req-1"), 500)).isEqualTo(RecentRequests.NONE);
    }

    @Test
    @DisplayName("remembers for at least one window and forgets after two")
    void windowBounds() {
        RecentRequests recent = new RecentRequests(clock, window, 1_000);
        clock.advance(Duration.ofMinutes(9));
        firstAt(recent, "late-in-generation", 1);
        clock.advance(Duration.ofMinutes(2)); // the generation turns on the next call
        firstAt(recent, "early-in-next", 2);
        clock.advance(Duration.ofMinutes(8)); // 10 min after "late-in-generation" was first seen
        assertThat(firstAt(recent, "late-in-generation", 3)).isEqualTo(1);
        assertThat(firstAt(recent, "early-in-next", 3)).isEqualTo(2);
        clock.advance(Duration.ofMinutes(12)); // two turns later both are gone
        firstAt(recent, "x", 4);
        clock.advance(Duration.ofMinutes(11));
        assertThat(firstAt(recent, "late-in-generation", 5)).isEqualTo(RecentRequests.NONE);
        assertThat(firstAt(recent, "early-in-next", 5)).isEqualTo(RecentRequests.NONE);
    }

    @Test
    @DisplayName("holds no more than its entry bound, keeping the newest")
    void sizeBound() {
        RecentRequests recent = new RecentRequests(clock, window, 100);
        for (int i = 0; i < 10_000; i++) {
            firstAt(recent, "req-" + i, i);
            assertThat(recent.size()).isLessThanOrEqualTo(100);
        }
        for (int i = 9_950; i < 10_000; i++) {
            assertThat(firstAt(recent, "req-" + i, 0)).isEqualTo(i);
        }
    }

    @Test
    @DisplayName("remembers every entry of a large generation as its tables grow")
    void growth() {
        RecentRequests recent = new RecentRequests(clock, window, 1_000_000);
        for (int i = 0; i < 200_000; i++) {
            assertThat(firstAt(recent, "req-" + i, i)).isEqualTo(RecentRequests.NONE);
        }
        assertThat(recent.size()).isEqualTo(200_000);
        for (int i = 0; i < 200_000; i++) {
            assertThat(firstAt(recent, "req-" + i, -1)).isEqualTo(i);
        }
    }

    @Test
    @DisplayName("forgetting a request makes its next attempt a first one, and leaves the others")
    void forget() {
        RecentRequests recent = new RecentRequests(clock, window, 1_000_000);
        for (int i = 0; i < 1_000; i++) {
            firstAt(recent, "req-" + i, i);
        }
        for (int i = 0; i < 1_000; i += 2) {
            recent.forget(IDS.key("t", "req-" + i));
        }
        assertThat(recent.size()).isEqualTo(500);
        // forgotten slots are skipped by lookups and reclaimed as the tables grow
        for (int i = 1_000; i < 50_000; i++) {
            firstAt(recent, "req-" + i, i);
        }
        for (int i = 0; i < 1_000; i++) {
            long expected = i % 2 == 0 ? RecentRequests.NONE : i;
            assertThat(firstAt(recent, "req-" + i, 7)).as("req-" + i).isEqualTo(expected);
        }
    }

    @Test
    @DisplayName("under contention, exactly one attempt of each request is the first, and every other sees its time")
    void concurrentFirstSight() throws Exception {
        RecentRequests recent = new RecentRequests(clock, window, 1_000_000);
        int threads = 8;
        int requests = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<long[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long stamp = 1_000_000L * (t + 1);
            results.add(pool.submit(() -> {
                start.await();
                long[] seen = new long[requests];
                for (int i = 0; i < requests; i++) {
                    long first = firstAt(recent, "req-" + i, stamp + i);
                    seen[i] = first == RecentRequests.NONE ? stamp + i : first;
                }
                return seen;
            }));
        }
        start.countDown();
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : results) {
            all.add(f.get());
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        for (long[] seen : all) {
            assertThat(seen).containsExactly(all.get(0)); // every thread agrees on each first time
        }
        assertThat(recent.size()).isEqualTo(requests);
    }

    @Test
    @DisplayName("under contention across many generation turns, exactly one attempt of each request is the first")
    void concurrentFirstSightAcrossTurns() throws Exception {
        // a generation takes one new entry: the first attempt of each request fills it, and the next
        // attempt turns it, while the other threads are looking the same request up. The threads move
        // in step, one request at a time, so no request is forgotten while a thread still has it to
        // try (forgetting takes two turns, that is two newer requests)
        RecentRequests recent = new RecentRequests(clock, window, 2);
        int threads = 4;
        int batch = 1;
        int requests = 5_000;
        CyclicBarrier step = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<boolean[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            results.add(pool.submit(() -> {
                boolean[] first = new boolean[requests];
                for (int from = 0; from < requests; from += batch) {
                    step.await(30, TimeUnit.SECONDS);
                    for (int i = from; i < from + batch; i++) {
                        first[i] = firstAt(recent, "req-" + i, i) == RecentRequests.NONE;
                    }
                }
                return first;
            }));
        }
        int[] firsts = new int[requests];
        for (Future<boolean[]> f : results) {
            boolean[] first = f.get();
            for (int i = 0; i < requests; i++) {
                firsts[i] += first[i] ? 1 : 0;
            }
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < requests; i++) {
            assertThat(firsts[i]).as("first attempts of req-" + i).isEqualTo(1);
        }
    }
}
