package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.DenialReason;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.limits.RateLimitBackend;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.embedded.RedisServer;

/**
 * Rate limits shared by several instances: Bucket4j's PostgreSQL backend on the keepers' database,
 * and Bucket4j with Lettuce on a real Redis server (embedded), including Redis going away and
 * coming back.
 */
@DisplayName("shared rate-limit backends: PostgreSQL and Redis")
class RateLimitBackendsIT {
    private static HikariDataSource pool;
    private static int redisPort;
    private static RedisServer redis;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-02T10:15:30Z"));
    private final List<TokenKeeper> keepers = new ArrayList<>();
    private String tenant;

    @BeforeAll
    static void start() throws IOException {
        pool = EmbeddedPostgres.freshDatabase();
        try (ServerSocket s = new ServerSocket(0)) {
            redisPort = s.getLocalPort();
        }
        redis = redisServer();
        redis.start();
    }

    private static RedisServer redisServer() throws IOException {
        return RedisServer.newRedisServer()
                .port(redisPort)
                .bind("127.0.0.1")
                .setting("save \"\"")
                .setting("appendonly no")
                .build();
    }

    @AfterAll
    static void stop() throws IOException {
        redis.stop();
        pool.close();
    }

    @AfterEach
    void close() {
        keepers.forEach(TokenKeeper::close);
    }

    private TokenKeeper keeper(RateLimitBackend backend, StorageFailurePolicy policy) {
        TokenKeeper k = TokenKeeper.builder()
                .dataSource(pool)
                .clock(clock)
                .shutdownHook(false)
                .rateLimitBackend(backend)
                .rateLimitFailurePolicy(policy)
                .build();
        keepers.add(k);
        if (tenant == null) {
            tenant = "t-" + UUID.randomUUID().toString().substring(0, 8);
            k.tenants().create(tenant, tenant, Actor.SYSTEM);
        }
        return k;
    }

    private static RateLimitBackend backend(String name) {
        return name.equals("redis")
                ? RateLimitBackend.redis("redis://127.0.0.1:" + redisPort)
                : RateLimitBackend.database();
    }

    private IssuedToken token(TokenKeeper k) {
        return k.tokens().issue(TokenSpec.builder().tenant(tenant).name("agent").build());
    }

    private static Admission call(TokenKeeper k, IssuedToken t, long in, long out) {
        return k.authorize(t.secret(), CallRequest.of("anthropic", "claude-haiku-4-5", in, out));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"postgresql", "redis"})
    @DisplayName("two instances share one bucket: a limit is global, not multiplied by the instances")
    void sharedRequests(String backendName) {
        TokenKeeper a = keeper(backend(backendName), StorageFailurePolicy.FAIL_OPEN);
        TokenKeeper b = keeper(backend(backendName), StorageFailurePolicy.FAIL_OPEN);
        IssuedToken t = token(a);
        Limit rpm = a.limits()
                .create(LimitSpec.builder(tenant)
                        .name("10 rpm")
                        .token(t.info().id())
                        .requests(10)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        int allowed = 0;
        Denial last = null;
        for (int i = 0; i < 16; i++) {
            TokenKeeper k = i % 2 == 0 ? a : b;
            var r = k.checkRequest(t.secret(), null);
            if (r.denial() == null) {
                allowed++;
            } else {
                last = r.denial();
            }
        }
        assertThat(allowed).isEqualTo(10);
        assertThat(last).isNotNull();
        assertThat(last.reason()).isEqualTo(DenialReason.RATE_LIMITED);
        assertThat(last.limit()).isEqualTo(rpm);
        assertThat(last.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(6));
        assertThat(a.rateLimitHealth().backend()).isEqualTo(backendName);
        assertThat(a.rateLimitHealth().up()).isTrue();
        // a minute later the shared bucket is full again, for both
        clock.advance(Duration.ofMinutes(1));
        assertThat(b.checkRequest(t.secret(), null).denial()).isNull();
        assertThat(a.checkRequest(t.secret(), null).denial()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"postgresql", "redis"})
    @DisplayName("tokens per minute: the estimate is taken up front and corrected to the real usage, across instances")
    void sharedTokens(String backendName) {
        TokenKeeper a = keeper(backend(backendName), StorageFailurePolicy.FAIL_OPEN);
        TokenKeeper b = keeper(backend(backendName), StorageFailurePolicy.FAIL_OPEN);
        IssuedToken t = token(a);
        a.limits()
                .create(LimitSpec.builder(tenant)
                        .name("1k tpm")
                        .token(t.info().id())
                        .tokens(1_000)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        Permit p = (Permit) call(a, t, 300, 300); // 600 taken, 400 left
        p.complete(TokenCounts.of(60, 40), Duration.ZERO); // really 100: 500 back, 900 left
        Permit q = (Permit) call(b, t, 400, 400); // 100 left
        assertThat(call(a, t, 100, 1)).isInstanceOf(Denial.class);
        assertThat(call(b, t, 50, 50)).isInstanceOf(Permit.class);
        q.release(); // 800 back
        assertThat(call(a, t, 400, 400)).isInstanceOf(Permit.class);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"postgresql", "redis"})
    @DisplayName("a changed amount reaches the shared bucket; a deleted limit's bucket goes")
    void changes(String backendName) {
        TokenKeeper a = keeper(backend(backendName), StorageFailurePolicy.FAIL_OPEN);
        IssuedToken t = token(a);
        Limit rpm = a.limits()
                .create(LimitSpec.builder(tenant)
                        .name("2 rpm")
                        .token(t.info().id())
                        .requests(2)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        assertThat(a.checkRequest(t.secret(), null).denial()).isNull();
        assertThat(a.checkRequest(t.secret(), null).denial()).isNull();
        assertThat(a.checkRequest(t.secret(), null).denial()).isNotNull();
        clock.advance(Duration.ofMillis(1)); // a later change time: the next configuration version
        a.limits().update(tenant, rpm.id(), dev.tokenkeeper.limits.LimitChange.amount(5), Actor.SYSTEM);
        // a minute later the shared bucket holds the new capacity, not the old one
        clock.advance(Duration.ofMinutes(1));
        for (int i = 0; i < 5; i++) {
            assertThat(a.checkRequest(t.secret(), null).denial())
                    .as("request %d", i + 1)
                    .isNull();
        }
        assertThat(a.checkRequest(t.secret(), null).denial()).isNotNull();
        a.limits().delete(tenant, rpm.id(), Actor.SYSTEM);
        assertThat(a.checkRequest(t.secret(), null).denial()).isNull();
    }

    @Test
    @DisplayName("Redis going away: open admits and counts the skip, closed refuses; both recover without a restart")
    void redisDown() throws Exception {
        TokenKeeper open = keeper(backend("redis"), StorageFailurePolicy.FAIL_OPEN);
        TokenKeeper closed = keeper(backend("redis"), StorageFailurePolicy.FAIL_CLOSED);
        IssuedToken t = token(open);
        open.limits()
                .create(LimitSpec.builder(tenant)
                        .name("100 rpm")
                        .token(t.info().id())
                        .requests(100)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        assertThat(closed.checkRequest(t.secret(), null).denial()).isNull();
        redis.stop();
        try {
            assertThat(open.checkRequest(t.secret(), null).denial()).isNull();
            assertThat(open.rateLimitChecksSkipped()).isEqualTo(1);
            assertThat(call(open, t, 10, 10)).isInstanceOf(Permit.class);
            assertThat(closed.checkRequest(t.secret(), null).denial()).satisfies(d -> {
                assertThat(d.reason()).isEqualTo(DenialReason.STORAGE_UNAVAILABLE);
                assertThat(d.message()).contains("redis").doesNotContain("127.0.0.1:" + redisPort + "@");
                assertThat(d.retryAfter()).isEqualTo(Duration.ofSeconds(1));
            });
            assertThat(call(closed, t, 10, 10))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.STORAGE_UNAVAILABLE));
            assertThat(closed.rateLimitHealth().up()).isFalse();
        } finally {
            redis = redisServer();
            redis.start();
        }
        // Real time on purpose: Lettuce reconnects on its own event loop with its own back-off, which
        // no TokenKeeper clock drives; the loop ends at the first answered check (30 s only as a bound).
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (closed.checkRequest(t.secret(), null).denial() != null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(closed.checkRequest(t.secret(), null).denial()).isNull();
        assertThat(closed.rateLimitHealth().up()).isTrue();
        assertThat(open.checkRequest(t.secret(), null).denial()).isNull();
    }

    @Test
    @DisplayName("buckets in the database need PostgreSQL: on SQLite the keeper refuses to start, saying so")
    void databaseBackendNeedsPostgres(@TempDir Path dir) {
        assertThatThrownBy(() -> TokenKeeper.builder()
                        .sqliteFile(dir.resolve("x.db"))
                        .shutdownHook(false)
                        .rateLimitBackend(RateLimitBackend.database())
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PostgreSQL");
        assertThatThrownBy(() -> RateLimitBackend.redis("http://localhost"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis");
        assertThat(RateLimitBackend.redis("redis://:secret@cache.internal:6380/2")
                        .toString())
                .isEqualTo("redis://cache.internal:6380")
                .doesNotContain("secret");
    }
}
