package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.DenialReason;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEntry;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.audit.AuditQuery;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.limits.LimitChange;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.ModelPrice;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.PriceMissingException;
import dev.tokenkeeper.pricing.PricingCatalog;
import dev.tokenkeeper.pricing.Rates;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.RejectionReason;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenInfo;
import dev.tokenkeeper.tokens.TokenQuery;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.tokens.TokenStatus;
import dev.tokenkeeper.tokens.VerificationResult;
import dev.tokenkeeper.traces.Trace;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.Granularity;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageBreakdown;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageEvent;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageSeries;
import dev.tokenkeeper.usage.UsageService;
import dev.tokenkeeper.usage.UsageTotals;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The storage contract, through the public API: every backend runs these tests unchanged. A
 * subclass supplies one database per test class; each test works in a tenant of its own.
 */
public abstract class TokenKeeperContract {
    /** The database of this test class; shared by every test in it. */
    protected abstract DataSource database();

    /** {@code sqlite} or {@code postgresql}. */
    protected abstract StorageBackend expectedBackend();

    protected final MutableClock clock = new MutableClock(Instant.parse("2026-11-02T10:15:30Z"));
    protected CountingDataSource counting;
    protected TokenKeeper keeper;
    protected String tenant;
    private final List<TokenKeeper> extra = new ArrayList<>();

    /**
     * A keeper on this class's database whose periodic work never runs by itself: a test advances
     * {@link #clock} and calls {@code runDueMaintenance()} (or {@code flush()}).
     */
    protected TokenKeeper.Builder quietBuilder(DataSource ds) {
        return TokenKeeper.builder()
                .dataSource(ds)
                .clock(clock)
                .backgroundMaintenance(false)
                .tokenSyncInterval(Duration.ofHours(1))
                .limitSyncInterval(Duration.ofHours(1))
                .offlineGrace(Duration.ofHours(2))
                .lastUsedFlushInterval(Duration.ofHours(1))
                .failureAuditWindow(Duration.ofHours(1));
    }

    protected TokenKeeper another(TokenKeeper.Builder builder) {
        TokenKeeper k = builder.build();
        extra.add(k);
        return k;
    }

    /** The storage of {@link #keeper} and of the keepers built by {@link #withFaults}, hooks and all. */
    private final Map<TokenKeeper, FaultyStorage> faults = new java.util.IdentityHashMap<>();

    /** Another keeper, on a storage whose writes the test can hook ({@link #faults(TokenKeeper)}). */
    protected TokenKeeper withFaults(TokenKeeper.Builder builder) {
        FaultyStorage[] storage = new FaultyStorage[1];
        TokenKeeper k = another(builder.storageDecorator(s -> storage[0] = new FaultyStorage(s)));
        faults.put(k, storage[0]);
        return k;
    }

    protected FaultyStorage faults(TokenKeeper k) {
        return java.util.Objects.requireNonNull(faults.get(k), "not built with faults");
    }

    @BeforeEach
    void open() {
        counting = new CountingDataSource(database());
        FaultyStorage[] storage = new FaultyStorage[1];
        keeper = quietBuilder(counting)
                .storageDecorator(st -> storage[0] = new FaultyStorage(st))
                .build();
        faults.put(keeper, storage[0]);
        tenant = "t-" + UUID.randomUUID().toString().substring(0, 8);
        keeper.tenants().create(tenant, "Tenant " + tenant, Actor.of("admin:alice"));
    }

    @AfterEach
    void close() {
        extra.forEach(TokenKeeper::close);
        keeper.close();
    }

    protected IssuedToken issue(String name) {
        return keeper.tokens()
                .issue(TokenSpec.builder().tenant(tenant).name(name).build());
    }

    protected static RejectionReason reason(VerificationResult r) {
        assertThat(r).isInstanceOf(VerificationResult.Rejected.class);
        return ((VerificationResult.Rejected) r).reason();
    }

    protected long count(String sql) {
        try (Connection c = database().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("the backend is detected and its schema is migrated")
    void backendIsDetected() {
        assertThat(keeper.backend()).isEqualTo(expectedBackend());
        StorageHealth health = keeper.storageHealth();
        assertThat(health.up()).isTrue();
        assertThat(health.backend()).isEqualTo(expectedBackend());
        assertThat(health.schemaVersion()).isEqualTo("14");
    }

    @Nested
    @DisplayName("issuing")
    class Issuing {
        @Test
        @DisplayName("returns a well-formed secret once and stores only its hash")
        void secretIsReturnedOnceAndOnlyItsHashIsStored() {
            IssuedToken t = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("  ci-bot  ")
                            .user("alice@example.com")
                            .project("search")
                            .role(Role.AGENT)
                            .scope("chat:write")
                            .allowedProviders(Set.of("openai"))
                            .allowedModels(Set.of("gpt-4o*"))
                            .expiresAt(clock.instant().plus(Duration.ofDays(30)))
                            .metadata("team", "platform")
                            .actor(Actor.of("admin:alice", "10.0.0.7"))
                            .build());

            assertThat(t.secret()).startsWith("tk_").hasSize(52);
            assertThat(t.toString()).doesNotContain(t.secret());
            TokenInfo info = t.info();
            assertThat(info.name()).isEqualTo("ci-bot");
            assertThat(info.displayPrefix()).isEqualTo(t.secret().substring(0, 8));
            assertThat(info.status()).isEqualTo(TokenStatus.ACTIVE);
            assertThat(info.createdBy()).isEqualTo("admin:alice");
            assertThat(info.metadata()).containsEntry("team", "platform");
            assertThat(info.toString()).doesNotContain(t.secret());

            String secretPart = t.secret().substring(8);
            assertThat(count("SELECT COUNT(*) FROM tk_token_secrets WHERE secret_hash LIKE '%" + secretPart + "%'"))
                    .isZero();
            assertThat(count("SELECT COUNT(*) FROM tk_tokens WHERE id = '" + info.id() + "'"))
                    .isOne();
            assertThat(count("SELECT COUNT(*) FROM tk_token_secrets WHERE token_id = '" + info.id()
                            + "' AND LENGTH(secret_hash) = 64"))
                    .isOne();
        }

        @Test
        @DisplayName("verification yields the full principal")
        void verificationYieldsThePrincipal() {
            IssuedToken t = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("bot")
                            .user("u1")
                            .project("p1")
                            .role(Role.ADMIN)
                            .scopes(Set.of("a", "b"))
                            .allowedProviders(Set.of("anthropic"))
                            .allowedModels(Set.of("claude-*"))
                            .build());
            VerificationResult r = keeper.tokens().verify(t.secret());
            assertThat(r.isVerified()).isTrue();
            Principal p = r.principalIfVerified().orElseThrow();
            assertThat(p.tenantId()).isEqualTo(tenant);
            assertThat(p.tokenId()).isEqualTo(t.info().id());
            assertThat(p.userId()).isEqualTo("u1");
            assertThat(p.projectId()).isEqualTo("p1");
            assertThat(p.role()).isEqualTo(Role.ADMIN);
            assertThat(p.scopes()).containsExactlyInAnyOrder("a", "b");
            assertThat(p.allows("anthropic", "claude-sonnet-4-5")).isTrue();
            assertThat(p.allows("openai", "claude-sonnet-4-5")).isFalse();
            assertThat(p.allows("anthropic", "gpt-4o")).isFalse();
            assertThat(p.displayPrefix()).isEqualTo(t.info().displayPrefix());
        }

        @Test
        @DisplayName("refuses an unknown tenant and writes nothing")
        void unknownTenantIsRefused() {
            long before = count("SELECT COUNT(*) FROM tk_tokens");
            long secretsBefore = count("SELECT COUNT(*) FROM tk_token_secrets");
            long auditBefore = count("SELECT COUNT(*) FROM tk_audit_events");
            assertThatThrownBy(() -> keeper.tokens()
                            .issue(TokenSpec.builder()
                                    .tenant("nope-" + tenant)
                                    .name("x")
                                    .build()))
                    .isInstanceOf(NotFoundException.class)
                    .extracting(e -> ((NotFoundException) e).code())
                    .isEqualTo(ErrorCode.TENANT_NOT_FOUND);
            assertThat(count("SELECT COUNT(*) FROM tk_tokens")).isEqualTo(before);
            assertThat(count("SELECT COUNT(*) FROM tk_token_secrets")).isEqualTo(secretsBefore);
            assertThat(count("SELECT COUNT(*) FROM tk_audit_events")).isEqualTo(auditBefore);
        }

        @Test
        @DisplayName("refuses an expiry that is not in the future")
        void pastExpiryIsRefused() {
            assertThatThrownBy(() -> keeper.tokens()
                            .issue(TokenSpec.builder()
                                    .tenant(tenant)
                                    .name("x")
                                    .expiresAt(clock.instant())
                                    .build()))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("expiresAt"));
        }

        @Test
        @DisplayName("refuses blank names, oversized metadata and bad model patterns, naming the field")
        void badSpecsNameTheField() {
            assertThatThrownBy(
                            () -> TokenSpec.builder().tenant(tenant).name("   ").build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("name"));
            assertThatThrownBy(() -> TokenSpec.builder()
                            .tenant(tenant)
                            .name("x")
                            .metadata("k", "v".repeat(2000))
                            .build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("metadata"));
            assertThatThrownBy(() -> TokenSpec.builder()
                            .tenant(tenant)
                            .name("x")
                            .allowedModels(Set.of("gpt 4"))
                            .build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("allowedModels"));
            assertThatThrownBy(() -> TokenSpec.builder().name("x").build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("tenant"));
        }
    }

    @Nested
    @DisplayName("verification")
    class Verification {
        @Test
        @DisplayName("refuses malformed secrets and bad checksums without touching storage")
        void malformedSecretsNeedNoIo() {
            IssuedToken t = issue("bot");
            String s = t.secret();
            char last = s.charAt(s.length() - 1);
            String badChecksum = s.substring(0, s.length() - 1) + (last == 'a' ? 'b' : 'a');
            String typo = s.substring(0, 10) + (s.charAt(10) == 'x' ? 'y' : 'x') + s.substring(11);
            // the real secret is in the caches: its neighbours are still refused by their checksum
            assertThat(keeper.tokens().verify(s)).isInstanceOf(VerificationResult.Verified.class);
            int before = counting.takenHere();
            for (String bad : List.of(
                    "",
                    "tk_",
                    "Bearer x",
                    s.substring(1),
                    s + "a",
                    badChecksum,
                    typo,
                    s.replace("tk_", "gh_"),
                    "tk_" + "é".repeat(49))) {
                assertThat(reason(keeper.tokens().verify(bad))).as(bad).isEqualTo(RejectionReason.INVALID);
            }
            assertThat(counting.takenHere()).isEqualTo(before);
        }

        @Test
        @DisplayName(
                "a cached token is read again once the token cache TTL has passed: a change made around the keepers applies then")
        void cachedStateExpiresAfterTtl() throws Exception {
            TokenKeeper k = another(quietBuilder(database()).tokenCacheTtl(Duration.ofMinutes(10)));
            IssuedToken t = k.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("bot").build());
            for (int i = 0; i < 3; i++) { // cached, then served from the cache
                assertThat(k.tokens().verify(t.secret()).isVerified()).isTrue();
            }
            try (Connection c = database().getConnection();
                    Statement s = c.createStatement()) {
                // an operator's UPDATE: no keeper hears of it, and the change feed is never read here
                s.executeUpdate("UPDATE tk_tokens SET revoked_at = " + clock.millis() + " WHERE id = '"
                        + t.info().id() + "'");
            }
            clock.advance(Duration.ofMinutes(10).minusMillis(1));
            assertThat(k.tokens().verify(t.secret()).isVerified())
                    .as("within the TTL the cached state serves")
                    .isTrue();
            clock.advance(Duration.ofMillis(1));
            assertThat(reason(k.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
        }

        @Test
        @DisplayName(
                "a step of the clock back by more than the offline grace distrusts the cached tokens, as a lapsed feed does")
        void clockStepBackPastGraceReadsAgain() throws Exception {
            TokenKeeper k = another(quietBuilder(database())); // offline grace 2 h, the feed never read
            IssuedToken t = k.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("bot").build());
            assertThat(k.tokens().verify(t.secret()).isVerified()).isTrue(); // cached now
            try (Connection c = database().getConnection();
                    Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE tk_tokens SET revoked_at = " + clock.millis() + " WHERE id = '"
                        + t.info().id() + "'");
            }
            clock.advance(Duration.ofMinutes(-5));
            assertThat(k.tokens().verify(t.secret()).isVerified())
                    .as("a step back by less than the grace: the cached state serves")
                    .isTrue();
            clock.advance(Duration.ofHours(-2)); // the feed's last read now lies 2 h 5 min ahead
            assertThat(reason(k.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
        }

        @Test
        @DisplayName("refuses a well-formed secret that was never issued")
        void unknownSecretIsNotFound() {
            String forged = dev.tokenkeeper.internal.tokens.TokenCodec.generate(new java.security.SecureRandom());
            assertThat(reason(keeper.tokens().verify(forged))).isEqualTo(RejectionReason.NOT_FOUND);
            int before = counting.takenHere();
            assertThat(reason(keeper.tokens().verify(forged))).isEqualTo(RejectionReason.NOT_FOUND);
            assertThat(counting.takenHere())
                    .as("unknown secrets are remembered")
                    .isEqualTo(before);
        }

        @Test
        @DisplayName("a cached token verifies without storage")
        void cachedTokenNeedsNoIo() {
            IssuedToken t = issue("bot");
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            int before = counting.takenHere();
            for (int i = 0; i < 100; i++) {
                assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            }
            assertThat(counting.takenHere()).isEqualTo(before);
        }

        @Test
        @DisplayName("concurrent misses for one token load it once")
        void concurrentMissesLoadOnce() throws Exception {
            IssuedToken t = issue("bot");
            int threads = 16;
            CountDownLatch start = new CountDownLatch(1);
            // connections are counted on the verifying threads only: background work (checkpoints,
            // the reservation sweep, the price sync) takes its own at any moment
            ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "verifier"));
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return keeper.tokens().verify(t.secret()).isVerified();
                }));
            }
            start.countDown();
            for (Future<Boolean> f : results) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isTrue();
            }
            pool.shutdown();
            // one read yields the token id and its state, for all sixteen threads
            assertThat(counting.takenByThreadsNamed("verifier")).isEqualTo(1);
        }

        @Test
        @DisplayName("an expired token is refused as EXPIRED once the clock passes its expiry")
        void expiredTokenIsRefused() {
            IssuedToken t = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("short")
                            .expiresAt(clock.instant().plus(Duration.ofMinutes(5)))
                            .build());
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            clock.advance(Duration.ofMinutes(5));
            assertThat(reason(keeper.tokens().verify(t.secret()))).isEqualTo(RejectionReason.EXPIRED);
            assertThat(keeper.tokens().get(tenant, t.info().id()).status()).isEqualTo(TokenStatus.EXPIRED);
        }

        @Test
        @DisplayName("last-used times are written in batches, not per call")
        void lastUsedIsBatched() {
            IssuedToken t = issue("bot");
            keeper.tokens().verify(t.secret());
            keeper.tokens().verify(t.secret());
            assertThat(keeper.tokens().get(tenant, t.info().id()).lastUsedAt()).isNull();
            keeper.flush();
            assertThat(keeper.tokens().get(tenant, t.info().id()).lastUsedAt()).isEqualTo(clock.instant());
        }

        @Test
        @DisplayName("while storage is down, cached tokens keep verifying and other calls fail with StorageException")
        void storageOutage() {
            IssuedToken t = issue("bot");
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            counting.down = true;
            try {
                assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
                assertThatThrownBy(() -> issue("other"))
                        .isInstanceOf(StorageException.class)
                        .extracting(e -> ((StorageException) e).code())
                        .isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
                String unknown = dev.tokenkeeper.internal.tokens.TokenCodec.generate(new java.security.SecureRandom());
                assertThatThrownBy(() -> keeper.tokens().verify(unknown)).isInstanceOf(StorageException.class);
                assertThat(keeper.storageHealth().up()).isFalse();
            } finally {
                counting.down = false;
            }
            assertThat(keeper.storageHealth().up()).isTrue();
        }
    }

    @Nested
    @DisplayName("rotation")
    class Rotation {
        @Test
        @DisplayName("issues a new secret for the same id and refuses the old one at once by default")
        void rotationWithoutGrace() {
            IssuedToken t = issue("bot");
            keeper.tokens().verify(t.secret());
            IssuedToken r = keeper.tokens().rotate(tenant, t.info().id());
            assertThat(r.info().id()).isEqualTo(t.info().id());
            assertThat(r.secret()).isNotEqualTo(t.secret());
            assertThat(r.info().rotatedAt()).isEqualTo(clock.instant());
            assertThat(r.info().displayPrefix()).isEqualTo(r.secret().substring(0, 8));
            assertThat(keeper.tokens().verify(r.secret()).isVerified()).isTrue();
            assertThat(reason(keeper.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
        }

        @Test
        @DisplayName("keeps the old secret working for the grace period, then refuses it")
        void rotationWithGrace() {
            IssuedToken t = issue("bot");
            IssuedToken r = keeper.tokens().rotate(tenant, t.info().id(), Duration.ofHours(1), Actor.of("ops"));
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            assertThat(keeper.tokens().verify(r.secret()).isVerified()).isTrue();
            clock.advance(Duration.ofMinutes(59));
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            clock.advance(Duration.ofMinutes(1));
            assertThat(reason(keeper.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
            assertThat(keeper.tokens().verify(r.secret()).isVerified()).isTrue();
        }

        @Test
        @DisplayName("a second rotation ends the grace of the first one's old secret no later than its own")
        void secondRotationCapsGrace() {
            IssuedToken t = issue("bot");
            IssuedToken r1 = keeper.tokens().rotate(tenant, t.info().id(), Duration.ofHours(1), Actor.SYSTEM);
            IssuedToken r2 = keeper.tokens().rotate(tenant, t.info().id(), Duration.ZERO, Actor.SYSTEM);
            assertThat(reason(keeper.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
            assertThat(reason(keeper.tokens().verify(r1.secret()))).isEqualTo(RejectionReason.REVOKED);
            assertThat(keeper.tokens().verify(r2.secret()).isVerified()).isTrue();
        }

        @Test
        @DisplayName("a grace longer than maxRotationGrace is refused, one within it is given")
        void maxRotationGrace() {
            TokenKeeper k = another(quietBuilder(database()).maxRotationGrace(Duration.ofHours(2)));
            IssuedToken t = k.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("graced").build());
            assertThatThrownBy(() -> k.tokens().rotate(tenant, t.info().id(), Duration.ofHours(3), Actor.SYSTEM))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("gracePeriod");
            IssuedToken r = k.tokens().rotate(tenant, t.info().id(), Duration.ofHours(2), Actor.SYSTEM);
            assertThat(k.tokens().verify(t.secret()).isVerified()).isTrue();
            assertThat(k.tokens().verify(r.secret()).isVerified()).isTrue();
            assertThatThrownBy(() -> TokenKeeper.builder()
                            .maxRotationGrace(Duration.ofHours(1))
                            .defaultRotationGrace(Duration.ofHours(2))
                            .build())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("defaultRotationGrace");
        }

        @Test
        @DisplayName("refuses to rotate a revoked or expired token, and a negative grace")
        void rotationConflicts() {
            IssuedToken t = issue("bot");
            keeper.tokens().revoke(tenant, t.info().id());
            assertThatThrownBy(() -> keeper.tokens().rotate(tenant, t.info().id()))
                    .isInstanceOfSatisfying(
                            ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOKEN_REVOKED));
            IssuedToken e = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("e")
                            .expiresAt(clock.instant().plusSeconds(60))
                            .build());
            clock.advance(Duration.ofMinutes(2));
            assertThatThrownBy(() -> keeper.tokens().rotate(tenant, e.info().id()))
                    .isInstanceOfSatisfying(
                            ConflictException.class, x -> assertThat(x.code()).isEqualTo(ErrorCode.TOKEN_EXPIRED));
            assertThatThrownBy(
                            () -> keeper.tokens().rotate(tenant, t.info().id(), Duration.ofSeconds(-1), Actor.SYSTEM))
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> keeper.tokens().rotate(tenant, "missing"))
                    .isInstanceOfSatisfying(
                            NotFoundException.class, x -> assertThat(x.code()).isEqualTo(ErrorCode.TOKEN_NOT_FOUND));
        }
    }

    @Nested
    @DisplayName("revocation and expiry changes")
    class Revocation {
        @Test
        @DisplayName("revocation is immediate on this instance and idempotent")
        void revocationIsImmediateAndIdempotent() {
            IssuedToken t = issue("bot");
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            TokenInfo revoked = keeper.tokens().revoke(tenant, t.info().id(), "leaked", Actor.of("admin:alice"));
            assertThat(revoked.status()).isEqualTo(TokenStatus.REVOKED);
            assertThat(reason(keeper.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
            TokenInfo again = keeper.tokens().revoke(tenant, t.info().id(), "again", Actor.of("admin:bob"));
            assertThat(again.revokedAt()).isEqualTo(revoked.revokedAt());
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant)
                                    .action(AuditAction.TOKEN_REVOKED)
                                    .build())
                            .items())
                    .singleElement()
                    .satisfies(e -> {
                        assertThat(e.actor()).isEqualTo("admin:alice");
                        assertThat(e.metadata()).containsEntry("reason", "leaked");
                    });
        }

        @Test
        @DisplayName("moving the expiry forward revives an expired token; the past is refused")
        void expiryChanges() {
            IssuedToken t = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("e")
                            .expiresAt(clock.instant().plusSeconds(60))
                            .build());
            keeper.tokens().verify(t.secret());
            clock.advance(Duration.ofMinutes(2));
            assertThat(reason(keeper.tokens().verify(t.secret()))).isEqualTo(RejectionReason.EXPIRED);
            assertThatThrownBy(
                            () -> keeper.tokens().updateExpiry(tenant, t.info().id(), clock.instant(), Actor.SYSTEM))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("expiresAt"));
            TokenInfo info = keeper.tokens().updateExpiry(tenant, t.info().id(), null, Actor.of("ops"));
            assertThat(info.expiresAt()).isNull();
            assertThat(info.status()).isEqualTo(TokenStatus.ACTIVE);
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
            AuditEvent event = keeper.audit()
                    .query(AuditQuery.builder(tenant)
                            .action(AuditAction.TOKEN_EXPIRY_CHANGED)
                            .build())
                    .items()
                    .get(0);
            assertThat(event.metadata()).containsEntry("expires_at", "never");
            keeper.tokens().revoke(tenant, t.info().id());
            assertThatThrownBy(
                            () -> keeper.tokens().updateExpiry(tenant, t.info().id(), null, Actor.SYSTEM))
                    .isInstanceOfSatisfying(
                            ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOKEN_REVOKED));
        }
    }

    @Nested
    @DisplayName("tenancy")
    class Tenancy {
        @Test
        @DisplayName("no read or write crosses tenants")
        void tenantsAreIsolated() {
            IssuedToken t = issue("bot");
            String other = "o-" + tenant;
            keeper.tenants().create(other, "Other");
            assertThat(keeper.tokens().find(other, t.info().id())).isEmpty();
            assertThatThrownBy(() -> keeper.tokens().revoke(other, t.info().id()))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> keeper.tokens().rotate(other, t.info().id()))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(
                            () -> keeper.tokens().updateExpiry(other, t.info().id(), null, Actor.SYSTEM))
                    .isInstanceOf(NotFoundException.class);
            assertThat(keeper.tokens().list(TokenQuery.builder(other).build()).items())
                    .isEmpty();
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(other)
                                    .action(AuditAction.TOKEN_CREATED)
                                    .build())
                            .items())
                    .isEmpty();
            assertThat(keeper.tokens().verify(t.secret()).isVerified()).isTrue();
        }

        @Test
        @DisplayName("tenants are created once; reserved and malformed ids are refused")
        void tenantRules() {
            assertThatThrownBy(() -> keeper.tenants().create(tenant, "again"))
                    .isInstanceOfSatisfying(
                            ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TENANT_EXISTS));
            assertThatThrownBy(() -> keeper.tenants().create("_mine", "x")).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> keeper.tenants().create("has space", "x"))
                    .isInstanceOf(InvalidRequestException.class);
            assertThat(keeper.tenants().ensure(tenant, "ignored").name()).isEqualTo("Tenant " + tenant);
            assertThat(keeper.tenants().list())
                    .extracting(t -> t.id())
                    .contains(tenant)
                    .doesNotContain("_system");
        }
    }

    @Nested
    @DisplayName("listing")
    class Listing {
        @Test
        @DisplayName("pages through every token once, newest first, with filters")
        void keysetPagination() {
            List<String> issued = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                clock.advance(Duration.ofMillis(1));
                issued.add(keeper.tokens()
                        .issue(TokenSpec.builder()
                                .tenant(tenant)
                                .name("t" + i)
                                .user(i % 2 == 0 ? "even" : "odd")
                                .project("p" + (i % 3))
                                .build())
                        .info()
                        .id());
            }
            keeper.tokens().revoke(tenant, issued.get(0));
            List<String> seen = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                Page<TokenInfo> page = keeper.tokens()
                        .list(TokenQuery.builder(tenant)
                                .limit(10)
                                .cursor(cursor)
                                .build());
                page.items().forEach(i -> seen.add(i.id()));
                cursor = page.nextCursor();
                pages++;
            } while (cursor != null);
            assertThat(pages).isEqualTo(3);
            assertThat(seen).hasSize(25).doesNotHaveDuplicates();
            List<String> newestFirst = new ArrayList<>(issued);
            java.util.Collections.reverse(newestFirst);
            assertThat(seen).isEqualTo(newestFirst);

            assertThat(keeper.tokens()
                            .list(TokenQuery.builder(tenant).user("even").build())
                            .items())
                    .hasSize(13);
            assertThat(keeper.tokens()
                            .list(TokenQuery.builder(tenant)
                                    .project("p0")
                                    .user("odd")
                                    .build())
                            .items())
                    .hasSize(4);
            assertThat(keeper.tokens()
                            .list(TokenQuery.builder(tenant)
                                    .status(TokenStatus.REVOKED)
                                    .build())
                            .items())
                    .extracting(TokenInfo::id)
                    .containsExactly(issued.get(0));
            assertThat(keeper.tokens()
                            .list(TokenQuery.builder(tenant)
                                    .status(TokenStatus.ACTIVE)
                                    .build())
                            .items())
                    .hasSize(24);
        }

        @Test
        @DisplayName("refuses a cursor it did not issue")
        void badCursor() {
            assertThatThrownBy(() -> keeper.tokens()
                            .list(TokenQuery.builder(tenant).cursor("!!!").build()))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("cursor"));
            assertThatThrownBy(() -> keeper.audit()
                            .query(AuditQuery.builder(tenant)
                                    .cursor(Cursors64.of("x"))
                                    .build()))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("cursor"));
        }
    }

    @Nested
    @DisplayName("audit log")
    class Audit {
        @Test
        @DisplayName("records every change with actor, action, target and outcome, newest first")
        void everyChangeIsAudited() {
            Actor alice = Actor.of("admin:alice", "10.1.2.3");
            IssuedToken t = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("bot")
                            .actor(alice)
                            .build());
            clock.advance(Duration.ofSeconds(1));
            keeper.tokens().rotate(tenant, t.info().id(), Duration.ZERO, alice);
            clock.advance(Duration.ofSeconds(1));
            keeper.tokens().updateExpiry(tenant, t.info().id(), clock.instant().plus(Duration.ofDays(1)), alice);
            clock.advance(Duration.ofSeconds(1));
            keeper.tokens().revoke(tenant, t.info().id(), null, alice);

            List<AuditEvent> events =
                    keeper.audit().query(AuditQuery.builder(tenant).build()).items();
            assertThat(events)
                    .extracting(AuditEvent::action)
                    .containsExactly(
                            AuditAction.TOKEN_REVOKED,
                            AuditAction.TOKEN_EXPIRY_CHANGED,
                            AuditAction.TOKEN_ROTATED,
                            AuditAction.TOKEN_CREATED,
                            AuditAction.TENANT_CREATED);
            AuditEvent created = events.get(3);
            assertThat(created.actor()).isEqualTo("admin:alice");
            assertThat(created.source()).isEqualTo("10.1.2.3");
            assertThat(created.targetType()).isEqualTo("token");
            assertThat(created.targetId()).isEqualTo(t.info().id());
            assertThat(created.outcome()).isEqualTo(AuditOutcome.SUCCESS);
            assertThat(created.tenantId()).isEqualTo(tenant);
            for (AuditEvent e : events) {
                assertThat(e.metadata().values())
                        .noneMatch(v -> v.contains(t.secret().substring(8)));
            }
        }

        @Test
        @DisplayName("filters by action and time range and pages by keyset")
        void filtersAndPages() {
            Instant start = clock.instant();
            for (int i = 0; i < 7; i++) {
                clock.advance(Duration.ofSeconds(10));
                issue("bot" + i);
            }
            Instant mid = start.plusSeconds(35);
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant)
                                    .action(AuditAction.TOKEN_CREATED)
                                    .from(mid)
                                    .build())
                            .items())
                    .hasSize(4);
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant)
                                    .action(AuditAction.TOKEN_CREATED)
                                    .to(mid)
                                    .build())
                            .items())
                    .hasSize(3);
            Set<String> ids = new HashSet<>();
            String cursor = null;
            do {
                Page<AuditEvent> page = keeper.audit()
                        .query(AuditQuery.builder(tenant)
                                .limit(3)
                                .cursor(cursor)
                                .build());
                page.items().forEach(e -> assertThat(ids.add(e.id())).isTrue());
                cursor = page.nextCursor();
            } while (cursor != null);
            assertThat(ids).hasSize(8);
        }

        @Test
        @DisplayName("filters by actor: its own events and its delegates' (actor/...), not a longer id's")
        void filtersByActor() {
            for (String actor : List.of("user:42", "user:42/token:tk_1", "user:421", "user:4", "token:9")) {
                clock.advance(Duration.ofSeconds(1));
                keeper.tokens()
                        .issue(TokenSpec.builder()
                                .tenant(tenant)
                                .name("by " + actor.replace('/', '-'))
                                .actor(Actor.of(actor))
                                .build());
            }
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant).actor("user:42").build())
                            .items())
                    .extracting(AuditEvent::actor)
                    .containsExactly("user:42/token:tk_1", "user:42");
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant).actor("token:9").build())
                            .items())
                    .extracting(AuditEvent::actor)
                    .containsExactly("token:9");
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant).actor("nobody").build())
                            .items())
                    .isEmpty();
        }

        @Test
        @DisplayName("aggregates failed verifications into one event per reason, source and window")
        void failedVerificationBursts() {
            IssuedToken t = issue("bot");
            keeper.tokens().revoke(tenant, t.info().id());
            for (int i = 0; i < 5; i++) {
                keeper.tokens().verify("tk_garbage", "203.0.113.9");
                keeper.tokens().verify(t.secret(), "203.0.113.9");
            }
            keeper.flush();
            AuditEvent burst = keeper.audit()
                    .query(AuditQuery.builder(tenant)
                            .action(AuditAction.TOKEN_VERIFICATION_FAILED)
                            .build())
                    .items()
                    .get(0);
            assertThat(burst.metadata()).containsEntry("reason", "REVOKED").containsEntry("count", "5");
            assertThat(burst.targetId()).isEqualTo(t.info().id());
            assertThat(burst.source()).isEqualTo("203.0.113.9");
            assertThat(burst.outcome()).isEqualTo(AuditOutcome.FAILURE);
            List<AuditEvent> system = keeper.audit()
                    .query(AuditQuery.builder("_system")
                            .action(AuditAction.TOKEN_VERIFICATION_FAILED)
                            .limit(1000)
                            .build())
                    .items();
            assertThat(system)
                    .anySatisfy(e -> assertThat(e.metadata())
                            .containsEntry("reason", "INVALID")
                            .containsEntry("count", "5"));
        }

        @Test
        @DisplayName("an application's own event is written at once and read back with everything it said")
        void applicationEventIsRecorded() {
            Actor bob = Actor.of("user:bob", "198.51.100.7");
            AuditAction login = AuditAction.of("user.login");
            AuditEvent written = keeper.audit()
                    .record(new AuditEntry(
                            tenant, bob, login, "user", "bob", AuditOutcome.SUCCESS, Map.of("method", "password")));
            List<AuditEvent> read = keeper.audit()
                    .query(AuditQuery.builder(tenant).action(login).build())
                    .items();
            assertThat(read).containsExactly(written);
            assertThat(written.actor()).isEqualTo("user:bob");
            assertThat(written.source()).isEqualTo("198.51.100.7");
            assertThat(written.targetId()).isEqualTo("bob");
            assertThat(written.metadata()).containsExactly(Map.entry("method", "password"));
            assertThat(written.at()).isEqualTo(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        }

        @Test
        @DisplayName("an application cannot write into TokenKeeper's own namespaces, nor a malformed action")
        void reservedAndMalformedActionsAreRefused() {
            Actor bob = Actor.of("user:bob");
            for (AuditAction own : AuditAction.builtIn()) {
                assertThatThrownBy(() -> AuditEntry.of(tenant, bob, own, "token", AuditOutcome.SUCCESS))
                        .isInstanceOf(InvalidRequestException.class)
                        .hasMessageContaining("namespace");
            }
            for (String bad : new String[] {
                "login", "User.Login", "user..login", ".user", "user.", "user.1st", "user.log in", "a." + "b".repeat(64)
            }) {
                assertThatThrownBy(() -> AuditAction.of(bad)).as(bad).isInstanceOf(InvalidRequestException.class);
                assertThat(AuditAction.fromId(bad)).as(bad).isEmpty();
            }
            assertThatThrownBy(() -> new AuditEntry(
                            tenant,
                            bob,
                            AuditAction.ACCESS_DENIED,
                            "endpoint",
                            null,
                            AuditOutcome.FAILURE,
                            Map.of("user_agent", "curl\n/8")))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("metadata.user_agent");
            long before = count("SELECT COUNT(*) FROM tk_audit_events");
            assertThatThrownBy(() -> keeper.audit()
                            .recordAggregated(new AuditEntry(
                                    tenant,
                                    bob,
                                    AuditAction.ACCESS_DENIED,
                                    "endpoint",
                                    null,
                                    AuditOutcome.FAILURE,
                                    Map.of("count", "1"))))
                    .isInstanceOf(InvalidRequestException.class);
            keeper.flush();
            assertThat(count("SELECT COUNT(*) FROM tk_audit_events")).isEqualTo(before);
        }

        @Test
        @DisplayName("identical aggregated events in one window become one event with their count")
        void aggregatedEventsAreCounted() {
            AuditEntry denied = new AuditEntry(
                    tenant,
                    Actor.of("token:x", "203.0.113.5"),
                    AuditAction.ACCESS_DENIED,
                    "endpoint",
                    "PUT /api/v1/prices",
                    AuditOutcome.FAILURE,
                    Map.of("reason", "operator_only"));
            AuditEntry other = new AuditEntry(
                    tenant,
                    Actor.of("token:x", "203.0.113.5"),
                    AuditAction.ACCESS_DENIED,
                    "endpoint",
                    "PUT /api/v1/prices",
                    AuditOutcome.FAILURE,
                    Map.of("reason", "operator_only", "user_agent", "scanner/2"));
            Instant start = clock.instant();
            for (int i = 0; i < 7; i++) {
                keeper.audit().recordAggregated(denied);
            }
            keeper.audit().recordAggregated(other);
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant)
                                    .action(AuditAction.ACCESS_DENIED)
                                    .build())
                            .items())
                    .as("nothing is written before the window ends")
                    .isEmpty();
            clock.advance(Duration.ofSeconds(30));
            keeper.flush();
            List<AuditEvent> events = keeper.audit()
                    .query(AuditQuery.builder(tenant)
                            .action(AuditAction.ACCESS_DENIED)
                            .build())
                    .items();
            assertThat(events).hasSize(2);
            assertThat(events)
                    .anySatisfy(e -> assertThat(e.metadata())
                            .containsEntry("count", "7")
                            .containsEntry("reason", "operator_only")
                            .doesNotContainKey("user_agent")
                            .containsEntry(
                                    "window_end",
                                    clock.instant()
                                            .truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                                            .toString()));
            assertThat(events)
                    .anySatisfy(e -> assertThat(e.metadata())
                            .containsEntry("count", "1")
                            .containsEntry("user_agent", "scanner/2"));
            assertThat(events).allSatisfy(e -> {
                assertThat(e.actor()).isEqualTo("token:x");
                assertThat(e.source()).isEqualTo("203.0.113.5");
                assertThat(e.targetId()).isEqualTo("PUT /api/v1/prices");
                assertThat(Instant.parse(e.metadata().get("window_start")))
                        .isAfterOrEqualTo(start.minus(Duration.ofHours(1)));
            });
        }

        @Test
        @DisplayName("a token's or a limit's tenant is known across tenants, and nothing for an unknown id")
        void tenantOfIds() {
            IssuedToken t = issue("bot");
            Limit l = keeper.limits()
                    .create(LimitSpec.builder(tenant).name("cap").tokens(100).build());
            assertThat(keeper.tokens().tenantOf(t.info().id())).contains(tenant);
            assertThat(keeper.limits().tenantOf(l.id())).contains(tenant);
            assertThat(keeper.tokens().tenantOf("no-such-token")).isEmpty();
            assertThat(keeper.limits().tenantOf("no-such-limit")).isEmpty();
            assertThatThrownBy(() -> keeper.tokens().tenantOf("x".repeat(200)))
                    .isInstanceOf(InvalidRequestException.class);
        }

        @Test
        @DisplayName("the database refuses to change or delete an audit event")
        void auditIsAppendOnly() throws SQLException {
            issue("bot");
            try (Connection c = database().getConnection();
                    Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.executeUpdate("UPDATE tk_audit_events SET actor = 'mallory'"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("append-only");
                assertThatThrownBy(() -> s.executeUpdate("DELETE FROM tk_audit_events"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("append-only");
            }
        }
    }

    @Nested
    @DisplayName("several instances on one database")
    class SeveralInstances {
        @Test
        @DisplayName("a revocation on one instance reaches the other at its next sync")
        void revocationReachesTheOtherInstance() {
            TokenKeeper b = another(quietBuilder(database()));
            IssuedToken t = issue("bot");
            assertThat(b.tokens().verify(t.secret()).isVerified()).isTrue();
            keeper.tokens().revoke(tenant, t.info().id());
            assertThat(reason(keeper.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
            assertThat(b.tokens().verify(t.secret()).isVerified())
                    .as("cached until b syncs")
                    .isTrue();
            b.flush();
            assertThat(reason(b.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
        }

        @Test
        @DisplayName("a changed token is read again once per instance, not at every pass of the feed over it")
        void changedTokenIsReadOnce() {
            TokenKeeper b = another(quietBuilder(counting));
            IssuedToken t = issue("bot");
            assertThat(b.tokens().verify(t.secret()).isVerified()).isTrue();
            keeper.tokens().revoke(tenant, t.info().id());
            b.flush();
            int before = counting.takenHere();
            assertThat(reason(b.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
            assertThat(counting.takenHere() - before)
                    .as("the revoked state is read")
                    .isEqualTo(1);
            b.flush(); // the feed's margin returns the revocation again
            before = counting.takenHere();
            assertThat(reason(b.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
            assertThat(counting.takenHere() - before)
                    .as("the cached state reflects it already")
                    .isZero();
        }

        @Test
        @DisplayName("changes in one millisecond are told apart: a revocation right after a rotation is not missed")
        void changesInOneMillisecond() {
            TokenKeeper b = another(quietBuilder(database()));
            IssuedToken t = issue("bot"); // the test clock stands still: every change below has the same time
            IssuedToken rotated = keeper.tokens().rotate(tenant, t.info().id());
            b.flush();
            assertThat(b.tokens().verify(rotated.secret()).isVerified()).isTrue(); // b caches the rotated state
            keeper.tokens().revoke(tenant, t.info().id());
            b.flush();
            assertThat(reason(b.tokens().verify(rotated.secret()))).isEqualTo(RejectionReason.REVOKED);
        }

        @Test
        @DisplayName("a rotation reaches the other instance, and the background sync keeps the bound by itself")
        void rotationReachesTheOtherInstanceWithinTheBound() throws InterruptedException {
            TokenKeeper b = another(quietBuilder(database()).tokenSyncInterval(Duration.ofMillis(100)));
            IssuedToken t = issue("bot");
            assertThat(b.tokens().verify(t.secret()).isVerified()).isTrue();
            IssuedToken r = keeper.tokens().rotate(tenant, t.info().id());
            clock.advance(Duration.ofMillis(99));
            assertThat(b.runDueMaintenance()).doesNotContain("token sync");
            assertThat(b.tokens().verify(t.secret()).isVerified())
                    .as("cached until the next sync")
                    .isTrue();
            clock.advance(Duration.ofMillis(1));
            assertThat(b.runDueMaintenance()).contains("token sync");
            assertThat(reason(b.tokens().verify(t.secret()))).isEqualTo(RejectionReason.REVOKED);
            assertThat(b.tokens().verify(r.secret()).isVerified()).isTrue();
        }

        @Test
        @DisplayName(
                "the request keys' hash key is the database's: one for every instance, and a hand-broken one refuses to start")
        void requestKeyHashKeyIsShared() throws SQLException {
            String select = "SELECT setting_value FROM tk_settings WHERE setting_key = 'request_key_hash_key'";
            String stored;
            try (Connection c = database().getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery(select)) {
                assertThat(rs.next()).isTrue();
                stored = rs.getString(1);
            }
            assertThat(stored).matches("[0-9a-f]{32}");
            another(quietBuilder(database())); // a second instance keeps the key it finds
            try (Connection c = database().getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery(select)) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(stored);
            }
            try (Connection c = database().getConnection();
                    Statement s = c.createStatement()) {
                s.executeUpdate(
                        "UPDATE tk_settings SET setting_value = 'not hex' WHERE setting_key = 'request_key_hash_key'");
                try {
                    assertThatThrownBy(() -> another(quietBuilder(database())))
                            .isInstanceOfSatisfying(
                                    TokenKeeperException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIGURATION_INVALID))
                            .hasMessageContaining("request_key_hash_key");
                } finally {
                    s.executeUpdate("UPDATE tk_settings SET setting_value = '" + stored
                            + "' WHERE setting_key = 'request_key_hash_key'");
                }
            }
        }

        @Test
        @DisplayName("an instance with a different pepper refuses to start")
        void pepperMismatchIsRefused() {
            assertThatThrownBy(() -> another(quietBuilder(database()).pepper(new byte[32])))
                    .isInstanceOfSatisfying(
                            TokenKeeperException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIGURATION_INVALID));
        }
    }

    @Nested
    @DisplayName("usage ledger")
    class Ledger {
        final Instant t0 = Instant.parse("2026-11-02T09:00:00Z");

        UsageEvent event(String requestId, TokenCounts counts, Instant at) {
            return UsageEvent.builder()
                    .requestId(requestId)
                    .tenant(tenant)
                    .token("tok-1")
                    .user("u1")
                    .project("p1")
                    .provider("anthropic")
                    .model("claude-sonnet-4-5-20250929")
                    .counts(counts)
                    .latency(Duration.ofMillis(250))
                    .at(at)
                    .build();
        }

        long eventCount() {
            return count("SELECT COUNT(*) FROM tk_usage_events WHERE tenant_id = '" + tenant + "'");
        }

        long rollupRequests() {
            return count("SELECT COALESCE(SUM(requests), 0) FROM tk_usage_hourly WHERE tenant_id = '" + tenant + "'");
        }

        @Test
        @DisplayName("stores the exact cost of every event, and the roll-ups equal the raw events")
        void exactCostAndRollups() {
            java.util.SplittableRandom r = new java.util.SplittableRandom(7);
            java.math.BigInteger expected = java.math.BigInteger.ZERO;
            long input = 0;
            for (int i = 0; i < 600; i++) {
                TokenCounts c = new TokenCounts(
                        r.nextLong(20_000), r.nextLong(5_000), r.nextLong(2_000), r.nextLong(3_000), r.nextLong(1_000));
                RecordedUsage rec = keeper.usage().record(event("req-" + i, c, t0.plusSeconds(i * 12L)));
                expected = expected.add(rec.cost().total().toPicos());
                input += c.input();
            }
            keeper.usage().flush();
            String t = "tenant_id = '" + tenant + "'";
            assertThat(eventCount()).isEqualTo(600);
            assertThat(java.math.BigInteger.valueOf(count("SELECT SUM(cost_pico) FROM tk_usage_events WHERE " + t)))
                    .isEqualTo(expected);
            assertThat(count("SELECT SUM(cost_pico) FROM tk_usage_hourly WHERE " + t))
                    .isEqualTo(expected.longValueExact());
            assertThat(count("SELECT SUM(input_tokens) FROM tk_usage_hourly WHERE " + t))
                    .isEqualTo(input);
            assertThat(
                            count(
                                    "SELECT COUNT(*) FROM tk_usage_events WHERE " + t
                                            + " AND cost_pico <> cost_input_pico"
                                            + " + cost_cached_input_pico + cost_cache_write_pico + cost_output_pico + cost_reasoning_pico"))
                    .isZero();
            // 600 events 12 s apart span two hours: per hour, the roll-up equals the raw events
            for (long hour : new long[] {t0.toEpochMilli(), t0.toEpochMilli() + 3_600_000}) {
                assertThat(count("SELECT SUM(requests) FROM tk_usage_hourly WHERE " + t + " AND hour_start = " + hour))
                        .isEqualTo(count("SELECT COUNT(*) FROM tk_usage_events WHERE " + t + " AND at >= " + hour
                                + " AND at < " + (hour + 3_600_000)));
                assertThat(count("SELECT SUM(cost_pico) FROM tk_usage_hourly WHERE " + t + " AND hour_start = " + hour))
                        .isEqualTo(count("SELECT SUM(cost_pico) FROM tk_usage_events WHERE " + t + " AND at >= " + hour
                                + " AND at < " + (hour + 3_600_000)));
                // and the tenant's hourly totals equal both
                assertThat(count(
                                "SELECT requests FROM tk_usage_tenant_hourly WHERE " + t + " AND hour_start = " + hour))
                        .isEqualTo(count(
                                "SELECT SUM(requests) FROM tk_usage_hourly WHERE " + t + " AND hour_start = " + hour));
                assertThat(count("SELECT cost_pico FROM tk_usage_tenant_hourly WHERE " + t + " AND hour_start = "
                                + hour))
                        .isEqualTo(count(
                                "SELECT SUM(cost_pico) FROM tk_usage_hourly WHERE " + t + " AND hour_start = " + hour));
            }
        }

        @Test
        @DisplayName("stores text exactly: backslashes, tabs, line breaks, quotes and non-ASCII in every text column")
        void textIsStoredExactly() {
            String error = "line 1\nline 2\r\n\ttabbed \\N \\. \"quoted\" 'single' ü 日本 \uD83D\uDE00\n\\.";
            Map<String, String> metadata = Map.of("key.a", "v\\al\nue\t", "key.b", "\\N", "key.c", "\\.");
            List<String> ids = new ArrayList<>();
            // in a batch of its own, and among others
            for (int i = 0; i < 50; i++) {
                ids.add(keeper.usage()
                        .record(UsageEvent.builder()
                                .requestId("req\\N\\.\\" + i)
                                .tenant(tenant)
                                .token("tok\\1")
                                .user("üser \"x\"")
                                .project("p'1\\")
                                .provider("anthropic")
                                .model("claude-sonnet-4-5-20250929")
                                .counts(TokenCounts.of(10, 1))
                                .outcome(CallOutcome.ERROR)
                                .errorMessage(error)
                                .metadata(metadata)
                                .latency(Duration.ofMillis(5))
                                .at(t0.plusSeconds(i))
                                .build())
                        .eventId());
                if (i == 0) {
                    keeper.usage().flush();
                }
            }
            keeper.usage().flush();
            for (int i = 0; i < 50; i++) {
                Trace t = keeper.traces().find(tenant, ids.get(i)).orElseThrow();
                assertThat(t.requestId()).isEqualTo("req\\N\\.\\" + i);
                assertThat(t.tokenId()).isEqualTo("tok\\1");
                assertThat(t.userId()).isEqualTo("üser \"x\"");
                assertThat(t.projectId()).isEqualTo("p'1\\");
                assertThat(t.errorMessage()).isEqualTo(error);
                assertThat(t.metadata()).isEqualTo(metadata);
            }
            assertThat(keeper.usage()
                            .totals(UsageQuery.builder(tenant, t0, t0.plus(Duration.ofHours(1)))
                                    .token("tok\\1")
                                    .build())
                            .requests())
                    .isEqualTo(50);
        }

        @Test
        @DisplayName("a retried event is counted once, also after a restart and when re-stamped")
        void idempotency() {
            UsageEvent e = event("req-dup", TokenCounts.of(1000, 100), t0);
            String id = keeper.usage().record(e).eventId();
            assertThat(keeper.usage().record(e).eventId()).isEqualTo(id);
            keeper.usage().flush();
            TokenKeeper restarted = another(quietBuilder(database()));
            restarted.usage().record(e);
            restarted.usage().flush();
            // re-stamped retries (no explicit time) on one instance
            UsageEvent unstamped = UsageEvent.builder()
                    .requestId("req-unstamped")
                    .tenant(tenant)
                    .provider("anthropic")
                    .model("claude-haiku-4-5")
                    .counts(TokenCounts.of(10, 10))
                    .build();
            keeper.usage().record(unstamped);
            clock.advance(Duration.ofMinutes(3));
            keeper.usage().record(unstamped);
            keeper.usage().flush();
            assertThat(eventCount()).isEqualTo(2);
            assertThat(rollupRequests()).isEqualTo(2);
            assertThat(keeper.usage().stats().duplicates()
                            + restarted.usage().stats().duplicates())
                    .isEqualTo(3);
        }

        @Test
        @DisplayName("stored events re-sent inside a large batch are skipped; the rest of the batch counts once")
        void duplicatesInsideALargeBatch() {
            for (int i = 0; i < 3; i++) {
                keeper.usage().record(event("req-old-" + i, TokenCounts.of(1000, 100), t0.plusSeconds(i)));
            }
            keeper.usage().flush();
            // Another instance (no memory of them) gets the three again, spread among 1,200 new events,
            // so that the writer meets them inside full multi-row chunks.
            TokenKeeper other = another(quietBuilder(database()));
            for (int i = 0; i < 1_200; i++) {
                if (i % 400 == 7) {
                    int old = i / 400;
                    other.usage().record(event("req-old-" + old, TokenCounts.of(1000, 100), t0.plusSeconds(old)));
                }
                other.usage().record(event("req-new-" + i, TokenCounts.of(10, 1), t0.plusSeconds(i)));
            }
            other.usage().flush();
            assertThat(eventCount()).isEqualTo(1_203);
            assertThat(rollupRequests()).isEqualTo(1_203);
            assertThat(count("SELECT SUM(input_tokens) FROM tk_usage_hourly WHERE tenant_id = '" + tenant + "'"))
                    .isEqualTo(3 * 1000 + 1_200 * 10);
            assertThat(other.usage().stats().duplicates()).isEqualTo(3);
            assertThat(other.usage().stats().written()).isEqualTo(1_200);
        }

        @Test
        @DisplayName("synchronous mode commits before record returns")
        void synchronousMode() {
            TokenKeeper sync = another(quietBuilder(database()).synchronousLedger(true));
            RecordedUsage rec = sync.usage().record(event("req-sync", TokenCounts.of(5, 5), t0));
            assertThat(rec.durable()).isTrue();
            assertThat(eventCount()).isEqualTo(1);
            assertThat(rollupRequests()).isEqualTo(1);
        }

        @Test
        @DisplayName("unknown tenants, unpriced models and absurd counts are refused; FLAG records a flagged zero")
        void refusals() {
            assertThatThrownBy(() -> keeper.usage()
                            .record(UsageEvent.builder()
                                    .requestId("r")
                                    .tenant("nope-" + tenant)
                                    .provider("anthropic")
                                    .model("claude-haiku-4-5")
                                    .build()))
                    .isInstanceOfSatisfying(
                            NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TENANT_NOT_FOUND));
            assertThatThrownBy(() -> keeper.usage()
                            .record(UsageEvent.builder()
                                    .requestId("r")
                                    .tenant(tenant)
                                    .provider("nobody")
                                    .model("unpriced-1")
                                    .build()))
                    .isInstanceOf(dev.tokenkeeper.pricing.PriceMissingException.class);
            assertThatThrownBy(() -> TokenCounts.of(-5, 0)).isInstanceOf(InvalidRequestException.class);
            TokenKeeper flagging = another(
                    quietBuilder(database()).unknownPricePolicy(dev.tokenkeeper.pricing.UnknownPricePolicy.FLAG));
            RecordedUsage rec = flagging.usage()
                    .record(UsageEvent.builder()
                            .requestId("r-flag")
                            .tenant(tenant)
                            .provider("nobody")
                            .model("unpriced-1")
                            .counts(TokenCounts.of(100, 10))
                            .at(t0)
                            .build());
            flagging.usage().flush();
            assertThat(rec.cost().priceMissing()).isTrue();
            assertThat(count("SELECT price_missing FROM tk_usage_events WHERE tenant_id = '" + tenant + "'"))
                    .isOne();
            assertThat(count("SELECT price_missing_requests FROM tk_usage_hourly WHERE tenant_id = '" + tenant + "'"))
                    .isOne();
            keeper.usage().flush();
            assertThat(eventCount()).isOne();
        }

        @Test
        @DisplayName("a batch killed inside its transaction leaves nothing behind, then commits exactly once")
        void killedBatchIsAllOrNothing() {
            UsageService ledger = keeper.usage();
            java.util.concurrent.atomic.AtomicInteger kills = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicLong visibleDuringKill = new java.util.concurrent.atomic.AtomicLong(-1);
            faults(keeper).afterEventsInserted(ids -> {
                if (kills.getAndIncrement() == 0) {
                    visibleDuringKill.set(eventCount());
                    throw new IllegalStateException("writer killed mid-batch (test)");
                }
            });
            for (int i = 0; i < 300; i++) {
                ledger.record(event("kill-" + i, TokenCounts.of(100, 10), t0.plusMillis(i)));
            }
            ledger.flush();
            assertThat(kills.get()).isGreaterThanOrEqualTo(2);
            assertThat(visibleDuringKill.get())
                    .as("rows of the killed batch seen from outside")
                    .isZero();
            assertThat(eventCount()).isEqualTo(300);
            assertThat(rollupRequests()).isEqualTo(300);
            assertThat(ledger.stats().failedBatches()).isPositive();
        }

        /**
         * Records an event "gate" and holds the writer on its batch until the returned latch opens, so
         * that what is recorded meanwhile queues up into one batch; from then on every batch that
         * {@code fails} matches cannot be stored.
         */
        CountDownLatch holdWriterAtGate(
                UsageService ledger,
                java.util.function.Predicate<List<dev.tokenkeeper.internal.storage.UsageRow>> fails) {
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch writerAtGate = new CountDownLatch(1);
            faults(keeper).afterEventsInserted(batch -> {
                if (batch.stream().anyMatch(r -> r.requestId().equals("gate"))) {
                    writerAtGate.countDown();
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (fails.test(batch)) {
                    throw new IllegalStateException("this event cannot be stored (test)");
                }
            });
            ledger.record(event("gate", TokenCounts.of(1, 1), t0));
            try {
                assertThat(writerAtGate.await(30, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return gate;
        }

        @Test
        @DisplayName("one event that cannot be stored is isolated and counted; the rest of its batch commits")
        void badEventDoesNotPoisonItsBatch() {
            UsageService ledger = keeper.usage();
            java.util.concurrent.atomic.AtomicInteger largestPoisonedBatch =
                    new java.util.concurrent.atomic.AtomicInteger();
            CountDownLatch gate = holdWriterAtGate(ledger, batch -> {
                boolean bad = batch.stream().anyMatch(r -> r.requestId().equals("poison"));
                if (bad) {
                    largestPoisonedBatch.accumulateAndGet(batch.size(), Math::max);
                }
                return bad;
            });
            String badId = ledger.record(event("poison", TokenCounts.of(1, 1), t0.plusMillis(7)))
                    .eventId();
            for (int i = 0; i < 99; i++) {
                ledger.record(event("fine-" + i, TokenCounts.of(10, 1), t0.plusMillis(100 + i)));
            }
            gate.countDown();
            ledger.flush();
            assertThat(largestPoisonedBatch.get())
                    .as("the bad event travelled with the others")
                    .isEqualTo(100);
            assertThat(eventCount()).isEqualTo(100);
            assertThat(rollupRequests()).isEqualTo(100);
            assertThat(ledger.stats().dropped()).isOne();
            assertThat(count("SELECT COUNT(*) FROM tk_usage_events WHERE id = '" + badId + "'"))
                    .isZero();
            assertThat(dev.tokenkeeper.testing.CapturedLog.lines("ERROR"))
                    .singleElement()
                    .asString()
                    .contains("1 of 100 events of a batch cannot be stored and were dropped")
                    .contains(badId);
        }

        @Test
        @DisplayName("a batch whose every event fails while the database answers is taken apart without waits")
        void batchOfBadEventsIsTakenApartPromptly() {
            UsageService ledger = keeper.usage();
            CountDownLatch gate = holdWriterAtGate(
                    ledger, batch -> batch.stream().anyMatch(r -> r.requestId().startsWith("bad-")));
            for (int i = 0; i < 1_000; i++) {
                ledger.record(event("bad-" + i, TokenCounts.of(1, 1), t0.plusMillis(10 + i)));
            }
            gate.countDown();
            // With a 50 ms wait before each retry, taking 1,000 events apart one by one took 100 s.
            assertTimeoutPreemptively(Duration.ofSeconds(60), ledger::flush, "the bad batch was taken apart");
            assertThat(ledger.stats().dropped()).isEqualTo(1_000);
            assertThat(eventCount()).isEqualTo(1);
            // one line for the batch, not one per event
            assertThat(dev.tokenkeeper.testing.CapturedLog.lines("ERROR"))
                    .singleElement()
                    .asString()
                    .contains("1000 of 1000 events of a batch cannot be stored");
        }

        @Test
        @DisplayName("a graceful shutdown under load loses no event")
        void gracefulShutdownLosesNothing() throws Exception {
            TokenKeeper k = quietBuilder(database()).ledgerBatchSize(500).build();
            int threads = 4;
            int each = 2_500;
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        k.usage()
                                .record(event(
                                        "load-" + thread + "-" + i,
                                        TokenCounts.of(50, 5),
                                        t0.plusMillis(thread * 100_000L + i)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            k.close();
            assertThat(eventCount()).isEqualTo((long) threads * each);
            assertThat(rollupRequests()).isEqualTo((long) threads * each);
        }

        @Test
        @DisplayName(
                "under light load the writer waits for a batch to fill; a full batch, flush() and close() end the wait")
        void groupCommit() throws Exception {
            TokenKeeper k = quietBuilder(database())
                    .ledgerBatchSize(3)
                    .ledgerFlushInterval(Duration.ofHours(1))
                    .build();
            k.usage().record(event("gc-1", TokenCounts.of(1, 1), t0));
            k.usage().record(event("gc-2", TokenCounts.of(1, 1), t0.plusMillis(1)));
            // the writer waits, up to an hour, for a third event to fill its batch
            assertThat(k.usage().stats().unwritten()).isEqualTo(2);
            assertThat(eventCount()).isZero();
            k.usage().record(event("gc-3", TokenCounts.of(1, 1), t0.plusMillis(2)));
            assertTimeoutPreemptively(
                    Duration.ofSeconds(30),
                    () -> {
                        while (k.usage().stats().written() < 3) {
                            Thread.sleep(1);
                        }
                    },
                    "a full batch is committed without waiting for the interval");
            assertThat(eventCount()).isEqualTo(3);
            k.usage().record(event("gc-4", TokenCounts.of(1, 1), t0.plusMillis(3)));
            assertTimeoutPreemptively(Duration.ofSeconds(30), k.usage()::flush, "flush() ends the wait");
            assertThat(eventCount()).isEqualTo(4);
            k.usage().record(event("gc-5", TokenCounts.of(1, 1), t0.plusMillis(4)));
            assertTimeoutPreemptively(Duration.ofSeconds(30), k::close, "close() ends the wait");
            assertThat(eventCount()).isEqualTo(5);
        }

        @Test
        @DisplayName("with ledgerMaxLag set, the writer waits for a batch at most a quarter of that bound")
        void groupCommitWaitCappedByMaxLag() throws Exception {
            TokenKeeper k = another(quietBuilder(database())
                    .ledgerBatchSize(1_000)
                    .ledgerFlushInterval(Duration.ofHours(1))
                    .ledgerMaxLag(Duration.ofMillis(400)));
            k.usage().record(event("cap-1", TokenCounts.of(1, 1), t0));
            // a lone event, no flush: committed after 100 ms, not after the hour's interval
            assertTimeoutPreemptively(
                    Duration.ofSeconds(30),
                    () -> {
                        while (k.usage().stats().written() < 1) {
                            Thread.sleep(1);
                        }
                    },
                    "the wait is capped at ledgerMaxLag / 4");
            assertThat(eventCount()).isOne();
        }

        /**
         * Records an event and holds the writer inside that event's batch until the returned latch
         * opens: what is recorded meanwhile stays queued.
         */
        CountDownLatch holdWriterOnFirstEvent(TokenKeeper k, String requestId) throws InterruptedException {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch held = new CountDownLatch(1);
            faults(k).afterEventsInserted(ids -> {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            k.usage().record(event(requestId, TokenCounts.of(1, 1), t0));
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            return release;
        }

        @Test
        @DisplayName(
                "the writer tells its storage session it is idle when its queue is empty, not between the batches of a backlog")
        void writerIdleOnlyWithEmptyQueue() throws InterruptedException {
            TokenKeeper k = withFaults(quietBuilder(database()).ledgerBatchSize(50));
            CountDownLatch release = holdWriterOnFirstEvent(k, "first");
            for (int i = 0; i < 300; i++) {
                k.usage().record(event("backlog-" + i, TokenCounts.of(1, 1), t0.plusMillis(i)));
            }
            List<Long> unwrittenAtIdle = new java.util.concurrent.CopyOnWriteArrayList<>();
            faults(k).onWriterIdle(() -> unwrittenAtIdle.add(k.usage().stats().unwritten()));

            release.countDown();
            k.usage().flush();

            // the time bound only stops a broken build
            assertThat(faults(k).awaitWriterIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(unwrittenAtIdle).isNotEmpty().containsOnly(0L);
            assertThat(eventCount()).isEqualTo(301);
        }

        @Test
        @DisplayName("a full queue refuses with LedgerFullException and counts it; nothing accepted is lost")
        void backPressure() throws Exception {
            TokenKeeper k = withFaults(quietBuilder(database())
                    .ledgerQueueCapacity(5)
                    .ledgerBatchSize(1)
                    .ledgerOverflowPolicy(dev.tokenkeeper.usage.LedgerOverflowPolicy.REJECT));
            CountDownLatch release = holdWriterOnFirstEvent(k, "bp-first"); // a batch of one, held
            int accepted = 1;
            int refusedCount = 0;
            for (int i = 0; i < 50; i++) {
                try {
                    k.usage().record(event("bp-" + i, TokenCounts.of(1, 1), t0.plusMillis(i)));
                    accepted++;
                } catch (dev.tokenkeeper.usage.LedgerFullException e) {
                    refusedCount++;
                }
            }
            assertThat(accepted).isEqualTo(6); // the held batch and a full queue
            // the writer is held: the oldest event not yet committed has waited as long as the clock moved
            clock.advance(Duration.ofMillis(50));
            assertThat(k.usage().stats().lag()).isGreaterThanOrEqualTo(Duration.ofMillis(50));
            assertThat(k.usage().stats().queued()).isEqualTo(5);
            assertThat(k.usage().stats().writing()).isOne(); // the held batch: not durable either
            assertThat(k.usage().stats().unwritten()).isEqualTo(accepted);
            release.countDown();
            k.usage().flush();
            assertThat(k.usage().stats().lag()).isZero();
            assertThat(refusedCount).isPositive();
            assertThat(k.usage().stats().refused()).isEqualTo(refusedCount);
            assertThat(eventCount()).isEqualTo(accepted);
        }

        @Test
        @DisplayName("under BLOCK, a full queue holds the caller until the writer takes a batch; nothing is lost")
        void blockWaitsForRoom() throws Exception {
            TokenKeeper k = withFaults(quietBuilder(database())
                    .ledgerQueueCapacity(2)
                    .ledgerBatchSize(1)
                    .ledgerOverflowPolicy(dev.tokenkeeper.usage.LedgerOverflowPolicy.BLOCK)
                    .ledgerBlockTimeout(Duration.ofMinutes(5)));
            CountDownLatch release = holdWriterOnFirstEvent(k, "blk-first"); // a batch of one, held
            k.usage().record(event("blk-1", TokenCounts.of(1, 1), t0.plusMillis(1)));
            k.usage().record(event("blk-2", TokenCounts.of(1, 1), t0.plusMillis(2))); // the queue is full
            java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                    new java.util.concurrent.atomic.AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    k.usage().record(event("blk-3", TokenCounts.of(1, 1), t0.plusMillis(3)));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            caller.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (caller.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(caller.getState()).isEqualTo(Thread.State.TIMED_WAITING); // held, not refused
            assertThat(caller.isAlive()).isTrue();
            release.countDown();
            caller.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(caller.isAlive()).isFalse();
            assertThat(failure.get()).isNull();
            k.usage().flush();
            assertThat(eventCount()).isEqualTo(4);
            assertThat(k.usage().stats().refused()).isZero();
        }

        @Test
        @DisplayName("under BLOCK, a queue still full after ledgerBlockTimeout refuses with LedgerFullException")
        void blockGivesUpAfterItsTimeout() throws Exception {
            TokenKeeper k = withFaults(quietBuilder(database())
                    .ledgerQueueCapacity(1)
                    .ledgerBatchSize(1)
                    .ledgerOverflowPolicy(dev.tokenkeeper.usage.LedgerOverflowPolicy.BLOCK)
                    .ledgerBlockTimeout(Duration.ofMillis(50)));
            CountDownLatch release = holdWriterOnFirstEvent(k, "bgu-first");
            k.usage().record(event("bgu-1", TokenCounts.of(1, 1), t0.plusMillis(1))); // the queue is full
            long started = System.nanoTime();
            assertThatThrownBy(() -> k.usage().record(event("bgu-2", TokenCounts.of(1, 1), t0.plusMillis(2))))
                    .isInstanceOf(dev.tokenkeeper.usage.LedgerFullException.class);
            assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
            assertThat(k.usage().stats().refused()).isOne();
            release.countDown();
            k.usage().flush();
            assertThat(eventCount()).isEqualTo(2);
        }

        @Test
        @DisplayName("with ledgerMaxLag, an event is refused once the oldest uncommitted one has waited longer")
        void maxLagBoundsTheCrashWindow() throws Exception {
            TokenKeeper k = withFaults(quietBuilder(database())
                    .ledgerMaxLag(Duration.ofSeconds(1))
                    .ledgerOverflowPolicy(dev.tokenkeeper.usage.LedgerOverflowPolicy.REJECT));
            CountDownLatch release = holdWriterOnFirstEvent(k, "lag-0");
            clock.advance(Duration.ofMillis(1_000));
            k.usage().record(event("lag-1", TokenCounts.of(1, 1), t0)); // 1 s behind: within the bound
            clock.advance(Duration.ofMillis(1));
            assertThatThrownBy(() -> k.usage().record(event("lag-2", TokenCounts.of(1, 1), t0)))
                    .isInstanceOf(dev.tokenkeeper.usage.LedgerFullException.class)
                    .hasMessageContaining("ledgerMaxLag");
            assertThat(k.usage().stats().refused()).isOne();
            assertThat(k.usage().stats().unwritten()).isEqualTo(2);
            release.countDown();
            k.usage().flush();
            k.usage().record(event("lag-3", TokenCounts.of(1, 1), t0)); // caught up: accepted again
            k.usage().flush();
            assertThat(k.usage().stats().written()).isEqualTo(3);
            assertThat(k.usage().stats().unwritten()).isZero();
        }
    }

    @Nested
    @DisplayName("bad input through the Java API")
    class BadInput {
        @Test
        @DisplayName("instants out of range are refused with the field named, never an ArithmeticException")
        void instantsOutOfRange() {
            IssuedToken t = issue("bot");
            Instant farFuture = Instant.parse("+1000000000-01-01T00:00:00Z");
            for (Instant bad : List.of(Instant.MAX, farFuture, Instant.MIN, Instant.parse("1969-12-31T23:59:59Z"))) {
                assertThatThrownBy(() -> keeper.tokens()
                                .issue(TokenSpec.builder()
                                        .tenant(tenant)
                                        .name("x")
                                        .expiresAt(bad)
                                        .build()))
                        .as(bad.toString())
                        .isInstanceOfSatisfying(
                                InvalidRequestException.class,
                                e -> assertThat(e.field()).isEqualTo("expiresAt"));
                assertThatThrownBy(() ->
                                keeper.tokens().updateExpiry(tenant, t.info().id(), bad, Actor.SYSTEM))
                        .as(bad.toString())
                        .isInstanceOf(InvalidRequestException.class);
                assertThatThrownBy(() -> keeper.traces()
                                .list(TraceQuery.builder(tenant).from(bad).build()))
                        .isInstanceOf(InvalidRequestException.class);
                assertThatThrownBy(() -> keeper.audit()
                                .query(dev.tokenkeeper.audit.AuditQuery.builder(tenant)
                                        .to(bad)
                                        .build()))
                        .isInstanceOf(InvalidRequestException.class);
                assertThatThrownBy(() -> UsageEvent.builder()
                                .requestId("r")
                                .tenant(tenant)
                                .provider("anthropic")
                                .model("m")
                                .at(bad)
                                .build())
                        .isInstanceOf(InvalidRequestException.class);
            }
            assertThat(keeper.tokens().get(tenant, t.info().id()).expiresAt()).isNull(); // nothing was written
        }

        @Test
        @DisplayName("a missing secret is refused like a malformed one; a missing call or completion is a typed error")
        void nulls() {
            assertThat(keeper.authorize(null, CallRequest.of("anthropic", "claude-haiku-4-5", 10, 10)))
                    .isInstanceOfSatisfying(
                            dev.tokenkeeper.admission.Denial.class,
                            d -> assertThat(d.reason())
                                    .isEqualTo(dev.tokenkeeper.admission.DenialReason.TOKEN_INVALID));
            assertThat(keeper.checkRequest(null, null).allowed()).isFalse();
            IssuedToken t = issue("bot");
            assertThatThrownBy(() -> keeper.authorize(t.secret(), null))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("call"));
            Permit p = (Permit) keeper.authorize(t.secret(), CallRequest.of("anthropic", "claude-haiku-4-5", 10, 10));
            assertThatThrownBy(() -> p.complete(null))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("completion"));
            p.release();
            assertThat(keeper.openPermits()).isZero();
        }
    }

    @Nested
    @DisplayName("usage analytics")
    class Analytics {
        final Instant t0 = Instant.parse("2026-11-02T09:00:00Z");

        RecordedUsage record(String id, String project, String model, long in, long out, Instant at) {
            return keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId(id)
                            .tenant(tenant)
                            .token("tok-" + project)
                            .project(project.isEmpty() ? null : project)
                            .provider("anthropic")
                            .model(model)
                            .counts(TokenCounts.of(in, out))
                            .latency(Duration.ofMillis(100))
                            .at(at)
                            .build());
        }

        @Test
        @DisplayName("totals equal the recorded events exactly, filter by dimension and stay within the tenant")
        void totals() {
            java.math.BigInteger all = java.math.BigInteger.ZERO;
            java.math.BigInteger search = java.math.BigInteger.ZERO;
            for (int i = 0; i < 300; i++) {
                String project = i % 3 == 0 ? "search" : "chat";
                RecordedUsage r = record(
                        "a-" + i,
                        project,
                        i % 2 == 0 ? "claude-haiku-4-5" : "claude-sonnet-4-5",
                        1000 + i,
                        100 + i,
                        t0.plusSeconds(i * 36L));
                all = all.add(r.cost().total().toPicos());
                if (project.equals("search")) {
                    search = search.add(r.cost().total().toPicos());
                }
            }
            String other = "x-" + tenant;
            keeper.tenants().create(other, "Other");
            keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId("a-0")
                            .tenant(other)
                            .provider("anthropic")
                            .model("claude-opus-4-5")
                            .counts(TokenCounts.of(1_000_000, 0))
                            .at(t0)
                            .build());
            keeper.usage().flush();

            UsageQuery q =
                    UsageQuery.builder(tenant, t0, t0.plus(Duration.ofHours(3))).build();
            UsageTotals totals = keeper.usage().totals(q);
            assertThat(totals.requests()).isEqualTo(300);
            assertThat(totals.cost().toPicos()).isEqualTo(all);
            assertThat(totals.inputTokens()).isEqualTo(300 * 1000 + 299 * 300 / 2);
            assertThat(totals.averageLatencyMillis()).isEqualTo(100.0);
            UsageTotals searchOnly = keeper.usage()
                    .totals(UsageQuery.builder(tenant, t0, t0.plus(Duration.ofHours(3)))
                            .project("search")
                            .build());
            assertThat(searchOnly.requests()).isEqualTo(100);
            assertThat(searchOnly.cost().toPicos()).isEqualTo(search);
            assertThat(keeper.usage()
                            .totals(UsageQuery.builder(tenant, t0, t0.plus(Duration.ofHours(3)))
                                    .model("claude-haiku-4-5")
                                    .provider("anthropic")
                                    .build())
                            .requests())
                    .isEqualTo(150);
            assertThat(keeper.usage()
                            .totals(UsageQuery.builder(
                                            tenant, t0.plus(Duration.ofHours(5)), t0.plus(Duration.ofHours(6)))
                                    .build()))
                    .isEqualTo(UsageTotals.ZERO);
        }

        @Test
        @DisplayName("an hourly series has a point per hour, empty ones included; ranges widen to whole hours")
        void hourlySeries() {
            record("h-1", "p", "claude-haiku-4-5", 10, 1, t0.plusSeconds(60));
            record("h-2", "p", "claude-haiku-4-5", 10, 1, t0.plusSeconds(2 * 3600 + 60));
            keeper.usage().flush();
            UsageSeries s = keeper.usage()
                    .series(
                            UsageQuery.builder(tenant, t0.plusSeconds(1200), t0.plus(Duration.ofHours(3)))
                                    .build(),
                            Granularity.HOUR,
                            java.time.ZoneOffset.UTC);
            assertThat(s.from()).isEqualTo(t0);
            assertThat(s.points()).extracting(p -> p.totals().requests()).containsExactly(1L, 0L, 1L);
            assertThat(s.approximate()).isFalse();
        }

        @Test
        @DisplayName("day buckets follow the zone's calendar across a daylight-saving change")
        void dailySeriesAcrossDst() {
            java.time.ZoneId paris = java.time.ZoneId.of("Europe/Paris"); // summer time ends 2026-10-25 03:00 local
            record("d-1", "p", "claude-haiku-4-5", 10, 1, Instant.parse("2026-10-24T21:30:00Z")); // 24th, 23:30 local
            record("d-2", "p", "claude-haiku-4-5", 10, 1, Instant.parse("2026-10-24T22:30:00Z")); // 25th, 00:30 local
            record("d-3", "p", "claude-haiku-4-5", 10, 1, Instant.parse("2026-10-25T22:30:00Z")); // 25th, 23:30 local
            record("d-4", "p", "claude-haiku-4-5", 10, 1, Instant.parse("2026-10-25T23:30:00Z")); // 26th, 00:30 local
            keeper.usage().flush();
            UsageSeries s = keeper.usage()
                    .series(
                            UsageQuery.builder(
                                            tenant,
                                            Instant.parse("2026-10-23T22:00:00Z"),
                                            Instant.parse("2026-10-26T23:00:00Z"))
                                    .build(),
                            Granularity.DAY,
                            paris);
            assertThat(s.points())
                    .extracting(UsageSeries.Point::start)
                    .containsExactly(
                            Instant.parse("2026-10-23T22:00:00Z"),
                            Instant.parse("2026-10-24T22:00:00Z"),
                            Instant.parse("2026-10-25T23:00:00Z"));
            assertThat(s.points()).extracting(p -> p.totals().requests()).containsExactly(1L, 2L, 1L);
            assertThat(s.approximate()).isFalse();
            assertThat(keeper.usage()
                            .series(
                                    UsageQuery.builder(
                                                    tenant,
                                                    Instant.parse("2026-10-23T22:00:00Z"),
                                                    Instant.parse("2026-10-26T23:00:00Z"))
                                            .build(),
                                    Granularity.DAY,
                                    java.time.ZoneId.of("Asia/Kolkata"))
                            .approximate())
                    .isTrue();
        }

        @Test
        @DisplayName("a breakdown lists the costliest groups first, with calls lacking the dimension under ''")
        void breakdown() {
            record("b-1", "big", "claude-opus-4-5", 100_000, 10_000, t0);
            record("b-2", "small", "claude-haiku-4-5", 1_000, 100, t0);
            record("b-3", "", "claude-haiku-4-5", 10, 1, t0);
            keeper.usage().flush();
            UsageQuery q =
                    UsageQuery.builder(tenant, t0, t0.plus(Duration.ofHours(1))).build();
            UsageBreakdown byProject = keeper.usage().breakdown(q, UsageDimension.PROJECT, 10);
            assertThat(byProject.rows()).extracting(UsageBreakdown.Row::key).containsExactly("big", "small", "");
            assertThat(keeper.usage().breakdown(q, UsageDimension.MODEL, 1).rows())
                    .singleElement()
                    .satisfies(r -> assertThat(r.key()).isEqualTo("claude-opus-4-5"));
            assertThatThrownBy(() -> keeper.usage().breakdown(q, UsageDimension.MODEL, 0))
                    .isInstanceOf(InvalidRequestException.class);
        }

        @Test
        @DisplayName("a breakdown over whole days and partial end days equals the raw events, per dimension")
        void breakdownAcrossDays() {
            Instant start = Instant.parse("2026-10-10T00:00:00Z");
            String[] models = {"claude-haiku-4-5", "claude-sonnet-4-5"};
            Instant from = start.plus(Duration.ofHours(5));
            Instant to = start.plus(Duration.ofDays(3)).plus(Duration.ofHours(7));
            java.util.Map<UsageDimension, java.util.Map<String, long[]>> expected =
                    new java.util.EnumMap<>(UsageDimension.class);
            for (int i = 0; i < 320; i++) {
                Instant at = start.plus(Duration.ofMinutes(17L * i));
                String token = "tok-" + i % 7;
                String user = i % 5 == 0 ? null : "u" + i % 4;
                RecordedUsage rec = keeper.usage()
                        .record(UsageEvent.builder()
                                .requestId("d-" + i)
                                .tenant(tenant)
                                .token(token)
                                .user(user)
                                .project("p" + i % 3)
                                .provider("anthropic")
                                .model(models[i % 2])
                                .counts(TokenCounts.of(1_000 + i, 100 + i))
                                .at(at)
                                .build());
                if (at.isBefore(from) || !at.isBefore(to)) {
                    continue;
                }
                java.util.Map<UsageDimension, String> keys = java.util.Map.of(
                        UsageDimension.TOKEN,
                        token,
                        UsageDimension.USER,
                        user == null ? "" : user,
                        UsageDimension.PROJECT,
                        "p" + i % 3,
                        UsageDimension.PROVIDER,
                        "anthropic",
                        UsageDimension.MODEL,
                        models[i % 2]);
                keys.forEach((d, k) -> {
                    long[] sums = expected.computeIfAbsent(d, x -> new java.util.HashMap<>())
                            .computeIfAbsent(k, x -> new long[2]);
                    sums[0]++;
                    sums[1] += rec.cost().total().toPicosExact();
                });
            }
            keeper.usage().flush();
            UsageQuery q = UsageQuery.builder(tenant, from, to).build();
            for (UsageDimension d : UsageDimension.values()) {
                java.util.Map<String, long[]> actual = new java.util.HashMap<>();
                for (UsageBreakdown.Row row :
                        keeper.usage().breakdown(q, d, 100).rows()) {
                    actual.put(row.key(), new long[] {
                        row.totals().requests(), row.totals().cost().toPicosExact()
                    });
                }
                assertThat(actual.keySet())
                        .as(d.name())
                        .isEqualTo(expected.get(d).keySet());
                expected.get(d)
                        .forEach((k, v) ->
                                assertThat(actual.get(k)).as(d + " " + k).containsExactly(v));
            }
            // the same with a filter (read from the hourly roll-ups alone) agrees too
            UsageQuery oneModel =
                    UsageQuery.builder(tenant, from, to).model(models[0]).build();
            assertThat(keeper.usage()
                            .breakdown(oneModel, UsageDimension.MODEL, 10)
                            .rows())
                    .singleElement()
                    .satisfies(r -> assertThat(r.totals().requests())
                            .isEqualTo(expected.get(UsageDimension.MODEL).get(models[0])[0]));
        }

        @Test
        @DisplayName("empty, reversed and overlong ranges are refused")
        void badRanges() {
            assertThatThrownBy(() -> UsageQuery.builder(tenant, t0, t0).build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("from"));
            assertThatThrownBy(() -> UsageQuery.builder(tenant, t0, t0.plus(Duration.ofDays(401)))
                            .build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("to"));
        }
    }

    @Nested
    @DisplayName("traces")
    class Traces {
        final Instant t0 = Instant.parse("2026-11-02T09:00:00Z");

        void record(String id, String token, CallOutcome outcome, String error, Instant at) {
            keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId(id)
                            .tenant(tenant)
                            .token(token)
                            .provider("anthropic")
                            .model("claude-haiku-4-5")
                            .counts(TokenCounts.of(100, 10))
                            .outcome(outcome)
                            .errorMessage(error)
                            .latency(Duration.ofMillis(42))
                            .at(at)
                            .build());
        }

        @Test
        @DisplayName(
                "a refused call is a DENIED trace with its reason and limit, no cost, no roll-up; a storm is bounded")
        void refusalsAreTraced() {
            TokenKeeper k = another(quietBuilder(database()).refusalTracesPerMinute(3));
            IssuedToken t = k.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("runaway")
                            .user("u9")
                            .allowedModels(Set.of("claude-haiku*"))
                            .build());
            Limit tiny = k.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("tiny")
                            .token(t.info().id())
                            .tokens(10)
                            .period(LimitPeriod.DAY)
                            .build());
            assertThat(k.authorize(
                            t.secret(),
                            CallRequest.of("anthropic", "claude-haiku-4-5", 100, 100)
                                    .withRequestId("over-budget")))
                    .isInstanceOf(Denial.class);
            assertThat(k.authorize(t.secret(), CallRequest.of("anthropic", "claude-opus-4-5", 1, 1)))
                    .isInstanceOf(Denial.class);
            for (int i = 0; i < 8; i++) { // the storm: one more traced, seven counted
                k.authorize(t.secret(), CallRequest.of("anthropic", "claude-haiku-4-5", 100, 100));
            }
            k.usage().flush();
            List<Trace> denied = k.traces()
                    .list(TraceQuery.builder(tenant).outcome(CallOutcome.DENIED).build())
                    .items();
            assertThat(denied).hasSize(3);
            assertThat(denied)
                    .anySatisfy(tr -> {
                        assertThat(tr.requestId()).isEqualTo("over-budget");
                        assertThat(tr.tokenId()).isEqualTo(t.info().id());
                        assertThat(tr.userId()).isEqualTo("u9");
                        assertThat(tr.model()).isEqualTo("claude-haiku-4-5");
                        assertThat(tr.metadata())
                                .containsEntry("denial_reason", "budget_exceeded")
                                .containsEntry("limit_id", tiny.id());
                        assertThat(tr.cost().total().isZero()).isTrue();
                        assertThat(tr.counts()).isEqualTo(TokenCounts.NONE);
                        assertThat(tr.errorMessage()).contains("tiny");
                    })
                    .anySatisfy(tr -> assertThat(tr.metadata()).containsEntry("denial_reason", "model_not_allowed"));
            assertThat(k.usage().stats().refusalsNotTraced()).isEqualTo(7);
            assertThat(k.usage()
                            .totals(UsageQuery.builder(
                                            tenant,
                                            clock.instant().minus(Duration.ofDays(1)),
                                            clock.instant().plus(Duration.ofDays(1)))
                                    .build())
                            .requests())
                    .as("no roll-up")
                    .isZero();
            assertThat(k.limits().usage(tenant, tiny.id()).used()).isZero();
            // the next minute traces again
            clock.advance(Duration.ofMinutes(1));
            k.authorize(t.secret(), CallRequest.of("anthropic", "claude-haiku-4-5", 100, 100));
            k.usage().flush();
            assertThat(k.traces()
                            .list(TraceQuery.builder(tenant)
                                    .outcome(CallOutcome.DENIED)
                                    .build())
                            .items())
                    .hasSize(4);
        }

        @Test
        @DisplayName("are listed newest first, filtered, paged by keyset, found by id, and stay within the tenant")
        void listAndFind() {
            for (int i = 0; i < 25; i++) {
                record(
                        "t-" + i,
                        i % 5 == 0 ? "tok-a" : "tok-b",
                        i % 5 == 0 ? CallOutcome.ERROR : CallOutcome.SUCCESS,
                        i % 5 == 0 ? "upstream 529" : null,
                        t0.plusSeconds(i));
            }
            keeper.usage().flush();
            List<String> seen = new ArrayList<>();
            TraceQuery q = TraceQuery.builder(tenant).limit(10).build();
            Page<Trace> page;
            do {
                page = keeper.traces().list(q);
                page.items().forEach(t -> seen.add(t.requestId()));
                q = q.withCursor(page.nextCursor());
            } while (page.hasNext());
            assertThat(seen).hasSize(25).doesNotHaveDuplicates();
            assertThat(seen.get(0)).isEqualTo("t-24");
            assertThat(seen.get(24)).isEqualTo("t-0");
            List<Trace> errors = keeper.traces()
                    .list(TraceQuery.builder(tenant).outcome(CallOutcome.ERROR).build())
                    .items();
            assertThat(errors).hasSize(5).allSatisfy(t -> {
                assertThat(t.tokenId()).isEqualTo("tok-a");
                assertThat(t.errorMessage()).isEqualTo("upstream 529");
            });
            // the roll-ups count them the same way, for any range and grouping
            UsageQuery failed = UsageQuery.builder(tenant, t0, t0.plus(Duration.ofHours(2)))
                    .outcome(CallOutcome.ERROR)
                    .build();
            assertThat(keeper.usage().totals(failed).requests()).isEqualTo(5);
            assertThat(keeper.usage()
                            .totals(UsageQuery.builder(tenant, t0, t0.plus(Duration.ofHours(2)))
                                    .outcome(CallOutcome.SUCCESS)
                                    .build())
                            .requests())
                    .isEqualTo(20);
            assertThat(keeper.usage()
                            .breakdown(failed, UsageDimension.TOKEN, 10)
                            .rows())
                    .singleElement()
                    .satisfies(r -> {
                        assertThat(r.key()).isEqualTo("tok-a");
                        assertThat(r.totals().requests()).isEqualTo(5);
                    });
            assertThat(keeper.traces()
                            .list(TraceQuery.builder(tenant)
                                    .token("tok-b")
                                    .from(t0.plusSeconds(10))
                                    .to(t0.plusSeconds(20))
                                    .build())
                            .items())
                    .hasSize(8);
            Trace one = errors.get(0);
            assertThat(keeper.traces().find(tenant, one.id())).hasValue(one);
            assertThat(one.cost().total()).isEqualTo(Money.of("0.00015"));
            assertThat(one.latency()).isEqualTo(Duration.ofMillis(42));
            String other = "tr-" + tenant;
            keeper.tenants().create(other, "Other");
            assertThat(keeper.traces().find(other, one.id())).isEmpty();
            assertThat(keeper.traces().list(TraceQuery.builder(other).build()).items())
                    .isEmpty();
        }

        @Test
        @DisplayName("export as RFC 4180 CSV with spreadsheet formulas neutralised")
        void csvExport() throws Exception {
            record("=HYPERLINK(\"http://x\")", "tok", CallOutcome.ERROR, "-2+3, said \"the\" provider\nthen quit", t0);
            record("plain", "tok", CallOutcome.SUCCESS, null, t0.plusSeconds(1));
            keeper.usage().flush();
            java.io.StringWriter out = new java.io.StringWriter();
            long n = keeper.traces()
                    .exportCsv(TraceQuery.builder(tenant).limit(1).build(), out);
            assertThat(n).isEqualTo(2);
            String csv = out.toString();
            assertThat(csv).startsWith("id,at,request_id,").contains("\r\n");
            List<List<String>> rows = parseCsv(csv);
            assertThat(rows).hasSize(3);
            List<String> header = rows.get(0);
            List<String> first = rows.get(2); // newest first: "plain" then the formula row
            assertThat(first.get(header.indexOf("request_id"))).isEqualTo("'=HYPERLINK(\"http://x\")");
            assertThat(first.get(header.indexOf("error_message"))).isEqualTo("'-2+3, said \"the\" provider\nthen quit");
            assertThat(first.get(header.indexOf("cost_usd"))).isEqualTo("0.00015");
            assertThat(rows.get(1).get(header.indexOf("request_id"))).isEqualTo("plain");
        }

        @Test
        @DisplayName("retention removes old raw traces and keeps the roll-ups")
        void retention() {
            record("old", "tok", CallOutcome.SUCCESS, null, t0.minus(Duration.ofDays(40)));
            record("new", "tok", CallOutcome.SUCCESS, null, t0.minus(Duration.ofDays(1)));
            keeper.usage().flush();
            UsageQuery all = UsageQuery.builder(tenant, t0.minus(Duration.ofDays(41)), t0)
                    .build();
            assertThat(keeper.usage().totals(all).requests()).isEqualTo(2);
            assertThat(keeper.traces().purgeBefore(t0.minus(Duration.ofDays(30))))
                    .isGreaterThanOrEqualTo(1);
            assertThat(keeper.traces().list(TraceQuery.builder(tenant).build()).items())
                    .extracting(Trace::requestId)
                    .containsExactly("new");
            assertThat(keeper.usage().totals(all).requests()).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("runtime prices")
    class RuntimePrices {
        /** A provider of this test only: the class's database is shared by its tests. */
        final String provider = "acme-" + UUID.randomUUID().toString().substring(0, 8);

        final Instant t1 = Instant.parse("2026-12-01T00:00:00Z");
        final Actor alice = Actor.of("admin:alice");

        ModelPrice price(String model, Instant from, String input, String output) {
            return new ModelPrice(
                    provider,
                    model,
                    from,
                    new Rates(Money.of(input), Money.of("0"), Money.of("0"), Money.of(output)),
                    null,
                    "https://example.test/pricing",
                    LocalDate.parse("2026-11-22"));
        }

        List<AuditEvent> priceAudit() {
            return keeper
                    .audit()
                    .query(AuditQuery.builder("_system")
                            .actions(java.util.Set.of(AuditAction.PRICE_SET, AuditAction.PRICE_REMOVED))
                            .limit(100)
                            .build())
                    .items()
                    .stream()
                    .filter(e -> e.targetId() != null && e.targetId().startsWith(provider + "/"))
                    .toList();
        }

        @Test
        @DisplayName("a price set at runtime applies from its instant, is audited, and is removed again")
        void setAndRemove() {
            TokenCounts c = TokenCounts.of(1_000_000, 1_000_000);
            assertThatThrownBy(() -> keeper.pricing().cost(provider, "m1", c, t1))
                    .isInstanceOf(PriceMissingException.class);
            keeper.pricing().putPrice(price("M1", Instant.EPOCH, "1", "2"), alice);
            keeper.pricing().putPrice(price("m1", t1, "3", "4"), alice);
            assertThat(keeper.pricing()
                            .cost(provider, "m1", c, t1.minusMillis(1))
                            .total())
                    .isEqualTo(Money.of("3"));
            assertThat(keeper.pricing().cost(provider, "m1", c, t1).total()).isEqualTo(Money.of("7"));
            // a dated snapshot id finds it; the id was stored in lower case
            assertThat(keeper.pricing().cost(provider, "m1-20261201", c, t1).total())
                    .isEqualTo(Money.of("7"));
            assertThat(keeper.pricing().runtimePrices())
                    .filteredOn(p -> p.provider().equals(provider))
                    .extracting(ModelPrice::model)
                    .containsOnly("m1");
            // an event recorded at t1 carries the runtime price
            RecordedUsage rec = keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId("r-" + provider)
                            .tenant(tenant)
                            .provider(provider)
                            .model("m1")
                            .counts(c)
                            .at(t1.plusSeconds(5))
                            .build());
            assertThat(rec.cost().total()).isEqualTo(Money.of("7"));
            // setting the same price again changes nothing and audits nothing
            keeper.pricing().putPrice(price("m1", t1, "3", "4"), alice);
            assertThat(priceAudit()).hasSize(2).allSatisfy(e -> {
                assertThat(e.action()).isEqualTo(AuditAction.PRICE_SET);
                assertThat(e.actor()).isEqualTo("admin:alice");
            });
            assertThat(priceAudit())
                    .anySatisfy(e -> assertThat(e.metadata())
                            .containsEntry("input", "3")
                            .containsEntry("output", "4")
                            .containsEntry("replaced", "false"));
            keeper.pricing().putPrice(price("m1", t1, "5", "4"), alice);
            assertThat(priceAudit())
                    .anySatisfy(e ->
                            assertThat(e.metadata()).containsEntry("input", "5").containsEntry("replaced", "true"));
            assertThat(keeper.pricing().cost(provider, "m1", c, t1).total()).isEqualTo(Money.of("9"));

            assertThat(keeper.pricing().removePrice(provider, "m1", t1, alice)).isTrue();
            assertThat(keeper.pricing().removePrice(provider, "m1", t1, alice)).isFalse();
            assertThat(keeper.pricing().cost(provider, "m1", c, t1).total()).isEqualTo(Money.of("3"));
            assertThat(priceAudit())
                    .filteredOn(e -> e.action().equals(AuditAction.PRICE_REMOVED))
                    .singleElement()
                    .satisfies(e -> assertThat(e.metadata()).containsEntry("input", "5"));
        }

        @Test
        @DisplayName(
                "a permit is costed at the price authorize found, unless the prices change before it completes: then at the corrected one")
        void permitCostedAtItsStart() {
            String secret = issue("priced").secret();
            TokenCounts c = TokenCounts.of(1_000_000, 1_000_000);
            keeper.pricing().putPrice(price("m3", Instant.EPOCH, "1", "2"), alice);
            Permit unchanged = (Permit) keeper.authorize(secret, CallRequest.of(provider, "m3", 10, 10));
            assertThat(unchanged.complete(c, Duration.ofMillis(5)).cost().total())
                    .isEqualTo(Money.of("3"));
            Permit corrected = (Permit) keeper.authorize(secret, CallRequest.of(provider, "m3", 10, 10));
            keeper.pricing().putPrice(price("m3", Instant.EPOCH, "3", "4"), alice); // a correction, in force since
            assertThat(corrected.complete(c, Duration.ofMillis(5)).cost().total())
                    .isEqualTo(Money.of("7"));
            keeper.usage().flush();
            assertThat(keeper.usage()
                            .totals(UsageQuery.builder(
                                            tenant,
                                            clock.instant().minusSeconds(60),
                                            clock.instant().plusSeconds(60))
                                    .provider(provider)
                                    .build())
                            .cost())
                    .isEqualTo(Money.of("10"));
        }

        /** A budget of $5 a day on the token: an estimate of $2 fits it, one of $20 or $200 does not. */
        void fiveDollarsADay(TokenKeeper k, IssuedToken t) {
            k.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("five dollars")
                            .token(t.info().id())
                            .costUsd(Money.of("5"))
                            .period(LimitPeriod.DAY)
                            .build());
        }

        @Test
        @DisplayName("a token's next call is quoted anew for another model, a changed catalog, or a price that starts")
        void quotedAnew() {
            IssuedToken t = issue("quoted");
            fiveDollarsADay(keeper, t);
            keeper.pricing().putPrice(price("q1", Instant.EPOCH, "1", "1"), alice);
            keeper.pricing().putPrice(price("q2", Instant.EPOCH, "100", "100"), alice);
            // an estimate of a million tokens in and out: $2 at the cheap prices, $200 at the dear ones
            Function<String, Admission> call =
                    model -> keeper.authorize(t.secret(), CallRequest.of(provider, model, 1_000_000, 1_000_000));
            Admission cheap = call.apply("q1");
            assertThat(cheap).isInstanceOf(Permit.class);
            ((Permit) cheap).release();
            assertThat(call.apply("q2")) // the same second, another model
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED));

            keeper.pricing().putPrice(price("q1", Instant.EPOCH, "10", "10"), alice); // $20 from now on
            assertThat(call.apply("q1"))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED));

            clock.advance(Duration.ofSeconds(2)); // what a token's calls remember lasts a second
            Instant dearFrom = clock.instant().plusMillis(1);
            keeper.pricing().putPrice(price("q3", Instant.EPOCH, "1", "1"), alice);
            keeper.pricing().putPrice(price("q3", dearFrom, "100", "100"), alice);
            Admission before = call.apply("q3");
            assertThat(before).isInstanceOf(Permit.class);
            ((Permit) before).release();
            clock.advance(Duration.ofMillis(1));
            assertThat(call.apply("q3"))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED));
        }

        @Test
        @DisplayName("a model without a price yet is quoted anew once its first price starts (unknown prices flagged)")
        void quotedAnewOncePriced() {
            TokenKeeper flagging = another(
                    quietBuilder(database()).unknownPricePolicy(dev.tokenkeeper.pricing.UnknownPricePolicy.FLAG));
            IssuedToken t = flagging.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("unpriced").build());
            fiveDollarsADay(flagging, t);
            flagging.pricing().putPrice(price("q5", clock.instant().plusMillis(1), "100", "100"), alice);
            Supplier<Admission> call =
                    () -> flagging.authorize(t.secret(), CallRequest.of(provider, "q5", 1_000_000, 1_000_000));
            Admission unpriced = call.get(); // no price in force yet: flagged, reserved at nothing
            assertThat(unpriced).isInstanceOf(Permit.class);
            ((Permit) unpriced).release();
            clock.advance(Duration.ofMillis(1)); // $200 from now on
            assertThat(call.get())
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED));
        }

        @Test
        @DisplayName("a runtime price wins over a catalog price of the same instant, on every instance")
        void overridesTheCatalogEverywhere() {
            PricingCatalog catalog = PricingCatalog.of(
                    List.of(price("m2", Instant.EPOCH, "1", "1")), Map.of(provider + "/m2-latest", "m2"));
            TokenKeeper a = another(quietBuilder(database()).pricingCatalog(catalog));
            TokenKeeper b = another(quietBuilder(database()).pricingCatalog(catalog));
            TokenCounts c = TokenCounts.of(1_000_000, 0);
            assertThat(b.pricing().cost(provider, "m2", c, t1).total()).isEqualTo(Money.of("1"));
            // named by its alias, the price applies to the model
            a.pricing().putPrice(price("m2-latest", Instant.EPOCH, "8", "8"), alice);
            assertThat(a.pricing().cost(provider, "m2", c, t1).total()).isEqualTo(Money.of("8"));
            assertThat(b.pricing().cost(provider, "m2", c, t1).total()).isEqualTo(Money.of("1"));
            b.pricing().refresh(); // what b's price-sync schedule does
            assertThat(b.pricing().cost(provider, "m2-latest", c, t1).total()).isEqualTo(Money.of("8"));
            assertThat(b.pricing().catalog().find(provider, "m2", t1))
                    .get()
                    .extracting(p -> p.rates().input())
                    .isEqualTo(Money.of("8"));
        }

        @Test
        @DisplayName("a price file is applied all or nothing, audited once, and read at start")
        void priceFile() throws Exception {
            String good = "{\"format\":1,\"models\":[" + entry("f1", "1") + "," + entry("f2", "2") + "]}";
            Actor file = Actor.of("file:prices.json");
            assertThat(keeper.pricing().importPrices(stream(good), file)).isEqualTo(2);
            assertThat(keeper.pricing().importPrices(stream(good), file)).isZero();
            assertThat(priceAudit())
                    .hasSize(2)
                    .allSatisfy(e -> assertThat(e.actor()).isEqualTo("file:prices.json"));
            String bad = "{\"format\":1,\"models\":[" + entry("f3", "3") + "," + entry("f4", "-1") + "]}";
            assertThatThrownBy(() -> keeper.pricing().importPrices(stream(bad), file))
                    .isInstanceOf(TokenKeeperException.class)
                    .hasMessageContaining("f4");
            assertThat(keeper.pricing().find(provider, "f3", t1)).isEmpty();
            String aliased = "{\"format\":1,\"models\":[{\"provider\":\"" + provider
                    + "\",\"model\":\"f5\",\"aliases\":[\"f5-latest\"],\"prices\":[" + priceJson("1") + "]}]}";
            assertThatThrownBy(() -> keeper.pricing().importPrices(stream(aliased), file))
                    .isInstanceOf(TokenKeeperException.class)
                    .hasMessageContaining("aliases");
            // the builder's price file
            java.nio.file.Path path = java.nio.file.Files.createTempFile("prices", ".json");
            try {
                java.nio.file.Files.writeString(path, "{\"format\":1,\"models\":[" + entry("f6", "6") + "]}");
                TokenKeeper started = another(quietBuilder(database()).priceFile(path));
                assertThat(started.pricing().find(provider, "f6", t1))
                        .get()
                        .extracting(p -> p.rates().input())
                        .isEqualTo(Money.of("6"));
                assertThat(priceAudit())
                        .filteredOn(e -> e.targetId().startsWith(provider + "/f6@"))
                        .singleElement()
                        .satisfies(e -> assertThat(e.actor()).startsWith("file:prices"));
            } finally {
                java.nio.file.Files.delete(path);
            }
        }

        String entry(String model, String input) {
            return "{\"provider\":\"" + provider + "\",\"model\":\"" + model + "\",\"prices\":[" + priceJson(input)
                    + "]}";
        }

        String priceJson(String input) {
            return "{\"effective_from\":\"2026-01-01T00:00:00Z\",\"input\":\"" + input + "\",\"cached_input\":\"0\","
                    + "\"cache_write\":\"0\",\"output\":\"1\",\"source\":\"https://example.test\","
                    + "\"checked_on\":\"2026-11-22\"}";
        }

        java.io.InputStream stream(String s) {
            return new java.io.ByteArrayInputStream(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Nested
    @DisplayName("limits")
    class Limits {
        final Actor alice = Actor.of("admin:alice");

        LimitSpec.Builder spec(String name) {
            return LimitSpec.builder(tenant).name(name).actor(alice);
        }

        @Test
        @DisplayName("are created, found, changed and deleted, each change audited with what it was")
        void lifecycle() {
            Limit created = keeper.limits()
                    .create(spec("search: $200 a month")
                            .project("search")
                            .costUsd(Money.of("200"))
                            .graceUsd(Money.of("10"))
                            .period(LimitPeriod.MONTH)
                            .zone(java.time.ZoneId.of("Europe/Paris"))
                            .build());
            assertThat(created.metric()).isEqualTo(LimitMetric.COST_USD);
            assertThat(created.amountUsd()).isEqualTo(Money.of("200"));
            assertThat(created.alertThresholds()).containsExactly(50, 80, 100);
            assertThat(keeper.limits().find(tenant, created.id())).contains(created);

            clock.advance(Duration.ofMinutes(1));
            Limit changed = keeper.limits()
                    .update(
                            tenant,
                            created.id(),
                            LimitChange.amountUsd(Money.of("150")).withGrace(0).withAlertThresholds(List.of(90, 75)),
                            alice);
            assertThat(changed.amountUsd()).isEqualTo(Money.of("150"));
            assertThat(changed.grace()).isZero();
            assertThat(changed.alertThresholds()).containsExactly(75, 90);
            assertThat(changed.updatedAt()).isAfter(created.updatedAt());
            // what the limit counts stays as it was
            assertThat(changed.scopeId()).isEqualTo("search");
            assertThat(changed.zone()).isEqualTo(created.zone());
            assertThat(keeper.limits().find(tenant, created.id())).contains(changed);

            assertThat(keeper.limits().delete(tenant, created.id(), alice)).isTrue();
            assertThat(keeper.limits().delete(tenant, created.id(), alice)).isFalse();
            assertThat(keeper.limits().find(tenant, created.id())).isEmpty();

            List<AuditEvent> audit = keeper.audit()
                    .query(AuditQuery.builder(tenant)
                            .actions(Set.of(
                                    AuditAction.LIMIT_CREATED, AuditAction.LIMIT_UPDATED, AuditAction.LIMIT_DELETED))
                            .build())
                    .items();
            assertThat(audit)
                    .extracting(AuditEvent::action)
                    .containsExactly(AuditAction.LIMIT_DELETED, AuditAction.LIMIT_UPDATED, AuditAction.LIMIT_CREATED);
            assertThat(audit).allSatisfy(e -> assertThat(e.actor()).isEqualTo("admin:alice"));
            assertThat(audit.get(1).metadata())
                    .containsEntry("amount", "150")
                    .containsEntry("previous_amount", "200")
                    .containsEntry("previous_grace", "10")
                    .containsEntry("scope_id", "search");
            assertThatThrownBy(() -> keeper.limits().update(tenant, created.id(), LimitChange.amount(5), alice))
                    .isInstanceOfSatisfying(
                            NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_NOT_FOUND));
        }

        @Test
        @DisplayName(
                "a limit changed in the database by hand is picked up by the background refresh of the cached limits")
        void changedBehindTheFeed() throws Exception {
            // the backend's default budgets: leased shared budgets on PostgreSQL, whose lease the refresh
            // takes back, and this instance's counters on SQLite
            TokenKeeper keeper = another(quietBuilder(counting));
            IssuedToken t = keeper.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("bot").build());
            Limit l = keeper.limits()
                    .create(spec("bot: 1,000 tokens a day")
                            .token(t.info().id())
                            .tokens(1_000)
                            .period(LimitPeriod.DAY)
                            .build());
            CallRequest call = CallRequest.of("anthropic", "claude-haiku-4-5", 10, 10);
            ((Permit) keeper.authorize(t.secret(), call)).release(); // the scope's limits are cached now
            try (Connection c = database().getConnection();
                    Statement s = c.createStatement()) {
                // an operator's UPDATE: no keeper hears of it, and the change feed is never read here
                s.executeUpdate("UPDATE tk_limits SET amount = 5 WHERE id = '" + l.id() + "'");
            }
            assertThat(keeper.authorize(t.secret(), call)).isInstanceOfSatisfying(Permit.class, Permit::release);

            // past the refresh age (twice the limit-sync interval of an hour): the next call still gets the
            // cached list at once, and sets off a re-read in the background
            clock.advance(Duration.ofHours(2).plusMinutes(1));
            Admission first = keeper.authorize(t.secret(), call);
            if (first instanceof Permit p) {
                p.release();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Admission a;
            do {
                a = keeper.authorize(t.secret(), call);
                if (a instanceof Permit p) {
                    p.release();
                    Thread.onSpinWait();
                }
            } while (a instanceof Permit && System.nanoTime() < deadline);
            assertThat(a).isInstanceOfSatisfying(Denial.class, d -> {
                assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED);
                assertThat(d.limit()).isNotNull();
                assertThat(d.limit().amount()).isEqualTo(5);
            });
        }

        @Test
        @DisplayName("list by page and scope, stay within the tenant, and say which apply to a call")
        void listingAndApplicable() {
            Limit tenantWide =
                    keeper.limits().create(spec("all").tokens(10_000_000).build());
            Limit user = keeper.limits()
                    .create(spec("alice")
                            .user("alice")
                            .requests(1_000)
                            .period(LimitPeriod.DAY)
                            .build());
            Limit tokenOnGpt = keeper.limits()
                    .create(spec("tok-1 on gpt")
                            .token("tok-1")
                            .provider("openai")
                            .model("gpt-4o*")
                            .tokens(50_000)
                            .period(LimitPeriod.HOUR)
                            .build());
            Limit otherProject = keeper.limits()
                    .create(spec("other").project("other").tokens(1).build());
            String other = "t-" + UUID.randomUUID().toString().substring(0, 8);
            keeper.tenants().create(other, "Other", alice);
            keeper.limits()
                    .create(LimitSpec.builder(other).name("elsewhere").tokens(5).build());

            Page<Limit> first = keeper.limits().list(tenant, null, null, 3, null);
            assertThat(first.items()).containsExactly(tenantWide, user, tokenOnGpt);
            Page<Limit> second = keeper.limits().list(tenant, null, null, 3, first.nextCursor());
            assertThat(second.items()).containsExactly(otherProject);
            assertThat(second.hasNext()).isFalse();
            assertThat(keeper.limits()
                            .list(tenant, LimitScope.USER, "alice", 10, null)
                            .items())
                    .containsExactly(user);
            assertThat(keeper.limits().find(other, user.id())).isEmpty();

            assertThat(keeper.limits().applicable(tenant, "alice", "search", "tok-1", "openai", "gpt-4o-mini"))
                    .containsExactly(tenantWide, user, tokenOnGpt);
            assertThat(keeper.limits().applicable(tenant, "alice", "search", "tok-1", "anthropic", "claude-haiku-4-5"))
                    .containsExactly(tenantWide, user);
            assertThat(keeper.limits().applicable(tenant, null, "other", null, "openai", "gpt-4o"))
                    .containsExactly(tenantWide, otherProject);
        }

        @Test
        @DisplayName("bad specs are refused with the field named; an unknown tenant is refused")
        void validation() {
            assertThatThrownBy(() -> spec("x").tokens(0).build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("amount"));
            assertThatThrownBy(() -> spec("x").costUsd(Money.of("1000000000")).build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("amount"));
            assertThatThrownBy(
                            () -> spec("x").tokens(Long.MAX_VALUE / 2).grace(1).build())
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> spec("x").tokens(10).grace(-1).build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("grace"));
            assertThatThrownBy(() -> spec("x").build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("amount"));
            assertThatThrownBy(() -> spec("x")
                            .tokens(10)
                            .alertThresholds(List.of(50, 50))
                            .build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("alertThresholds"));
            assertThatThrownBy(() ->
                            spec("x").tokens(10).alertThresholds(List.of(0)).build())
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() ->
                            spec("x").scope(LimitScope.USER, null).tokens(10).build())
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("scopeId"));
            assertThatThrownBy(() ->
                            spec("x").scope(LimitScope.TENANT, "u").tokens(10).build())
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> spec("x").provider("OpenAI").tokens(10).build())
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> keeper.limits()
                            .create(LimitSpec.builder("no-such-tenant")
                                    .name("x")
                                    .tokens(1)
                                    .build()))
                    .isInstanceOfSatisfying(
                            NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TENANT_NOT_FOUND));
            assertThatThrownBy(() -> keeper.limits().list(tenant, null, null, 0, null))
                    .isInstanceOf(InvalidRequestException.class);
            assertThat(keeper.limits().list(tenant, null, null, 10, null).items())
                    .isEmpty();
        }
    }

    @Nested
    @DisplayName("admission: authorize, permit, complete")
    class Admissions {
        final String model = "claude-haiku-4-5";

        IssuedToken token(String project) {
            return keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant(tenant)
                            .name("agent")
                            .user("u1")
                            .project(project)
                            .role(Role.AGENT)
                            .allowedModels(Set.of("claude-haiku*", "claude-sonnet-4-5"))
                            .build());
        }

        Limit tokenBudget(IssuedToken t, long amount, long grace) {
            return keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("daily")
                            .token(t.info().id())
                            .tokens(amount)
                            .grace(grace)
                            .period(LimitPeriod.DAY)
                            .build());
        }

        Admission call(IssuedToken t, long in, long maxOut) {
            return keeper.authorize(t.secret(), CallRequest.of("anthropic", model, in, maxOut));
        }

        long counted(Limit l) {
            return count("SELECT COALESCE(SUM(used), 0) FROM tk_limit_counters WHERE limit_id = '" + l.id() + "'");
        }

        @Test
        @DisplayName("admits what fits, refuses the rest with the limit and its reset, settles to the real usage")
        void budget() {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 10_000, 0);
            Permit first = (Permit) call(t, 1_000, 3_000);
            Permit second = (Permit) call(t, 1_000, 3_000);
            Admission third = call(t, 1_000, 3_000);
            assertThat(third).isInstanceOfSatisfying(Denial.class, d -> {
                assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED);
                assertThat(d.limit()).isEqualTo(daily);
                assertThat(d.resetAt()).isEqualTo(Instant.parse("2026-11-03T00:00:00Z"));
                assertThat(d.reason().retryableSoon()).isFalse();
            });
            // the first call used less than it reserved: the rest is free again
            first.complete(TokenCounts.of(600, 400), Duration.ofMillis(900));
            Permit fourth = (Permit) call(t, 1_000, 3_000); // claimed: 1,000 used + 4,000 + 4,000
            second.release(); // 1,000 + 4,000
            Permit fifth = (Permit) call(t, 500, 500); // 6,000
            Permit exact = (Permit) call(t, 2_000, 2_000); // exactly 10,000: a call that fits is admitted
            assertThat(exact.warnings()).isEmpty();
            assertThat(call(t, 0, 1)).isInstanceOf(Denial.class); // 10,001 does not fit
            assertThat(keeper.openPermits()).isEqualTo(3);
            for (Permit p : List.of(fourth, fifth, exact)) {
                p.release();
            }
            assertThat(keeper.openPermits()).isZero();
            keeper.usage().flush();
            assertThat(counted(daily)).isEqualTo(1_000);
            assertThat(keeper.traces()
                            .list(TraceQuery.builder(tenant)
                                    .outcome(CallOutcome.SUCCESS)
                                    .build())
                            .items())
                    .singleElement()
                    .satisfies(tr -> assertThat(tr.tokenId()).isEqualTo(t.info().id()));
            assertThat(keeper.traces()
                            .list(TraceQuery.builder(tenant)
                                    .outcome(CallOutcome.DENIED)
                                    .build())
                            .items())
                    .as("the two refusals")
                    .hasSize(2);
            assertThatThrownBy(() -> first.complete(TokenCounts.of(1, 1), Duration.ZERO))
                    .isInstanceOf(IllegalStateException.class);
        }

        @Test
        @DisplayName("budgets not shared: a limit's status shows what the permits in flight hold, until they settle")
        void reservedShowsPermitsInFlight() {
            TokenKeeper k = another(quietBuilder(database()).sharedBudgets(false));
            IssuedToken t = k.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("reserver").build());
            Limit daily = k.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("daily")
                            .token(t.info().id())
                            .tokens(100_000)
                            .period(LimitPeriod.DAY)
                            .build());
            Permit a = (Permit) k.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 3_000));
            Permit b = (Permit) k.authorize(t.secret(), CallRequest.of("anthropic", model, 200, 300));
            assertThat(k.limits().usage(tenant, daily.id()).reserved()).isEqualTo(4_500);
            a.complete(TokenCounts.of(900, 100), Duration.ofMillis(10));
            assertThat(k.limits().usage(tenant, daily.id()).reserved()).isEqualTo(500);
            b.release();
            assertThat(k.limits().usage(tenant, daily.id()).reserved()).isZero();
            k.usage().flush();
            assertThat(k.limits().usage(tenant, daily.id()).used()).isEqualTo(1_000);
            // the budget's room is what it was less the usage: the settled and released holds left nothing
            assertThat(k.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 98_000)))
                    .isInstanceOf(Permit.class);
            assertThat(k.authorize(t.secret(), CallRequest.of("anthropic", model, 1, 1)))
                    .isInstanceOf(Denial.class);
        }

        @Test
        @DisplayName("a token's calls on both sides of midnight are counted in their own days")
        void callsAcrossAWindowsEnd() {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 10_000, 0);
            Instant nov2 = Instant.parse("2026-11-02T00:00:00Z");
            Instant nov3 = Instant.parse("2026-11-03T00:00:00Z");
            clock.advance(Duration.between(clock.instant(), nov3.minusMillis(400)));
            ((Permit) call(t, 1_000, 3_000)).complete(TokenCounts.of(6_000, 3_000), Duration.ofMillis(10));
            // the same token a moment later, within its cached limits' second: the day is full
            clock.advance(Duration.ofMillis(200));
            assertThat(call(t, 1_000, 3_000)).isInstanceOf(Denial.class);
            // after midnight the same call falls in a new window, which starts empty
            clock.advance(Duration.ofMillis(300));
            Permit next = (Permit) call(t, 1_000, 3_000);
            next.complete(TokenCounts.of(1_000, 500), Duration.ofMillis(10));
            keeper.usage().flush();
            assertThat(keeper.limits().usage(tenant, daily.id()).used()).isEqualTo(1_500);
            assertThat(count("SELECT used FROM tk_limit_counters WHERE limit_id = '" + daily.id()
                            + "' AND window_start = " + nov2.toEpochMilli()))
                    .isEqualTo(9_000);
            assertThat(count("SELECT used FROM tk_limit_counters WHERE limit_id = '" + daily.id()
                            + "' AND window_start = " + nov3.toEpochMilli()))
                    .isEqualTo(1_500);
            // and the new day's counter is the one later calls reserve on
            assertThat(call(t, 1_000, 7_600)).isInstanceOf(Denial.class); // 1,500 + 8,600 > 10,000
            ((Permit) call(t, 1_000, 7_000)).release();
        }

        @Test
        @DisplayName("a call retried under its request id is counted once, in the ledger and in its budget")
        void retriedCallCountsOnce() {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 1_000_000, 0);
            CallRequest request = CallRequest.of("anthropic", model, 100, 100).withRequestId("call-1");
            Permit first = (Permit) keeper.authorize(t.secret(), request);
            String id = first.complete(TokenCounts.of(100, 50), Duration.ofMillis(10))
                    .eventId();
            keeper.usage().flush();
            // the client retries later: a second permit under the same request id, in another batch
            clock.advance(Duration.ofMinutes(3));
            Permit retry = (Permit) keeper.authorize(t.secret(), request);
            retry.complete(TokenCounts.of(100, 50), Duration.ofMillis(10));
            // and a third attempt in one batch with a fourth, recorded by hand without a time
            clock.advance(Duration.ofMinutes(1));
            ((Permit) keeper.authorize(t.secret(), request)).complete(TokenCounts.of(100, 50), Duration.ZERO);
            RecordedUsage byHand = keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId("call-1")
                            .tenant(tenant)
                            .token(t.info().id())
                            .user("u1")
                            .project("search")
                            .provider("anthropic")
                            .model(model)
                            .counts(TokenCounts.of(100, 50))
                            .build());
            keeper.usage().flush();
            assertThat(byHand.eventId()).isEqualTo(id);
            assertThat(count("SELECT COUNT(*) FROM tk_usage_events WHERE tenant_id = '" + tenant + "'"))
                    .isEqualTo(1);
            // the id the permit's caller was given is the stored event's, though the writer made the row
            assertThat(count("SELECT COUNT(*) FROM tk_usage_events WHERE id = '" + id + "'"))
                    .isEqualTo(1);
            assertThat(count("SELECT COALESCE(SUM(requests), 0) FROM tk_usage_hourly WHERE tenant_id = '" + tenant
                            + "'"))
                    .isEqualTo(1);
            assertThat(counted(daily)).isEqualTo(150);
            assertThat(keeper.limits().usage(tenant, daily.id()).used()).isEqualTo(150);
            assertThat(keeper.usage().stats().duplicates()).isEqualTo(3); // the retry, the third, the one by hand
        }

        @Test
        @DisplayName(
                "a completion's id and cost, first asked for after the writer stored the event, are the stored ones")
        void completionNamesTheStoredEvent() {
            IssuedToken t = token("search");
            tokenBudget(t, 1_000_000, 0);
            Permit permit = (Permit) keeper.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 100));
            RecordedUsage recorded = permit.complete(new TokenCounts(1_000, 200, 0, 300, 0), Duration.ofMillis(5));
            keeper.usage().flush();
            String id = recorded.eventId();
            assertThat(count("SELECT COUNT(*) FROM tk_usage_events WHERE id = '" + id + "' AND request_id = '"
                            + permit.requestId() + "'"))
                    .isEqualTo(1);
            assertThat(count("SELECT cost_pico FROM tk_usage_events WHERE id = '" + id + "'"))
                    .isPositive()
                    .isEqualTo(recorded.cost().total().toPicosExact());
            assertThat(count("SELECT cost_cached_input_pico FROM tk_usage_events WHERE id = '" + id + "'"))
                    .isPositive()
                    .isEqualTo(recorded.cost().split().cachedInput().toPicosExact());
            assertThat(recorded.eventId()).isSameAs(id);
            assertThat(recorded)
                    .isEqualTo(new RecordedUsage(id, recorded.cost(), recorded.durable()))
                    .hasSameHashCodeAs(new RecordedUsage(id, recorded.cost(), recorded.durable()));
        }

        @Test
        @DisplayName("a limit created while a call is in flight counts that call when it completes")
        void limitCreatedDuringACall() {
            IssuedToken t = token("search");
            Limit before = tokenBudget(t, 1_000_000, 0);
            Permit inFlight = (Permit) call(t, 100, 100);
            Limit during = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("project")
                            .project("search")
                            .tokens(1_000_000)
                            .period(LimitPeriod.DAY)
                            .build());
            inFlight.complete(TokenCounts.of(70, 30), Duration.ofMillis(10));
            keeper.usage().flush();
            assertThat(counted(before)).isEqualTo(100);
            assertThat(counted(during)).isEqualTo(100);
        }

        @Test
        @DisplayName("a limit created, changed or deleted on one instance applies on the other at its next limit sync")
        void limitChangesReachTheOtherInstance() {
            TokenKeeper b = another(quietBuilder(database()));
            IssuedToken t = token("search");
            Admission a = b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000));
            ((Permit) a).release(); // b caches the token's limits: none
            Limit tight = tokenBudget(t, 500, 0);
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000)))
                    .as("b has not read the feed yet")
                    .isInstanceOfSatisfying(Permit.class, Permit::release);
            b.flush();
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000)))
                    .isInstanceOfSatisfying(Denial.class, d -> {
                        assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED);
                        assertThat(d.limit().id()).isEqualTo(tight.id());
                    });
            keeper.limits().update(tenant, tight.id(), dev.tokenkeeper.limits.LimitChange.amount(5_000), Actor.SYSTEM);
            b.flush();
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000)))
                    .isInstanceOfSatisfying(Permit.class, Permit::release);
            Limit tenantWide = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("tenant")
                            .tokens(100)
                            .period(LimitPeriod.MONTH)
                            .build());
            keeper.limits().delete(tenant, tight.id(), Actor.SYSTEM);
            b.flush();
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000)))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.limit().id()).isEqualTo(tenantWide.id()));
            keeper.limits().delete(tenant, tenantWide.id(), Actor.SYSTEM);
            b.flush();
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000)))
                    .isInstanceOfSatisfying(Permit.class, p -> {
                        assertThat(p.warnings()).isEmpty();
                        p.release();
                    });
            // a run's and a project's limits reach the lists of the calls they apply to
            CallRequest inRun = CallRequest.of("anthropic", model, 1_000, 1_000).withRun("run-7");
            ((Permit) b.authorize(t.secret(), inRun)).release();
            Limit runCap = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("run")
                            .run("run-7")
                            .tokens(100)
                            .period(LimitPeriod.TOTAL)
                            .build());
            Limit projectCap = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("project")
                            .project("search")
                            .tokens(100)
                            .period(LimitPeriod.DAY)
                            .build());
            b.flush();
            assertThat(b.authorize(t.secret(), inRun))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.limit().id()).isIn(runCap.id(), projectCap.id()));
            keeper.limits().delete(tenant, projectCap.id(), Actor.SYSTEM);
            b.flush();
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000)))
                    .as("outside the run")
                    .isInstanceOfSatisfying(Permit.class, Permit::release);
            assertThat(b.authorize(t.secret(), inRun))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.limit().id()).isEqualTo(runCap.id()));
        }

        @Test
        @DisplayName("a change to one scope's limits updates the cached limits in place: no other scope is read again")
        void limitChangeRereadsOnlyItsScope() {
            TokenKeeper k = another(quietBuilder(counting).sharedBudgets(false));
            IssuedToken x = token("search");
            IssuedToken y = token("search");
            CallRequest c = CallRequest.of("anthropic", model, 100, 100);
            clock.advance(Duration.ofHours(3));
            k.flush();
            k.flush(); // the token feed's margin has passed the new tokens: they stay cached from here
            ((Permit) k.authorize(x.secret(), c)).release();
            ((Permit) k.authorize(y.secret(), c)).release(); // both tokens and their limits are cached
            int before = counting.takenHere();
            Limit tight = k.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("daily")
                            .token(x.info().id())
                            .tokens(150)
                            .period(LimitPeriod.DAY)
                            .build());
            k.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("run")
                            .run("run-1")
                            .tokens(10)
                            .period(LimitPeriod.TOTAL)
                            .build());
            int afterChanges = counting.takenHere();
            assertThat(afterChanges - before)
                    .as("two transactions, and one read of x's scope (the run is in no cached list: not read)")
                    .isEqualTo(3);
            assertThat(k.authorize(x.secret(), c))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.limit().id()).isEqualTo(tight.id()));
            ((Permit) k.authorize(y.secret(), c)).release();
            assertThat(counting.takenHere() - afterChanges)
                    .as("only the new limit's counter is read")
                    .isEqualTo(1);
            int beforeSync = counting.takenHere();
            k.flush(); // this instance reads its own changes from the feed as well
            int afterSync = counting.takenHere();
            assertThat(afterSync - beforeSync)
                    .as("the last-used times, the token feed, the limit feed and one read of x's scope")
                    .isLessThanOrEqualTo(4);
            assertThat(k.authorize(x.secret(), c))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.limit().id()).isEqualTo(tight.id()));
            ((Permit) k.authorize(y.secret(), c)).release();
            assertThat(counting.takenHere() - afterSync)
                    .as("the feed left both scopes cached")
                    .isZero();
            String feed = "SELECT COUNT(*) FROM tk_limit_changes WHERE tenant_id = '" + tenant + "'";
            assertThat(count(feed)).isEqualTo(2);
            clock.advance(Duration.ofHours(21)); // ten sync margins (of two hours here) and more
            k.flush();
            assertThat(count(feed)).as("pruned once no instance can need them").isZero();
        }

        @Test
        @DisplayName("threshold and grace crossings are announced once per window, to listeners and the audit log")
        void alerts() {
            List<LimitAlert> heard = java.util.Collections.synchronizedList(new ArrayList<>());
            TokenKeeper k = another(
                    quietBuilder(database()).limitAlertListener(heard::add).limitAlertListener(a -> {
                        throw new IllegalStateException("a broken listener does not stop the others");
                    }));
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 1_000, 100);
            java.util.function.LongConsumer use = n -> {
                k.usage()
                        .record(UsageEvent.builder()
                                .requestId("a-" + UUID.randomUUID())
                                .tenant(tenant)
                                .token(t.info().id())
                                .user("u1")
                                .project("search")
                                .provider("anthropic")
                                .model(model)
                                .counts(TokenCounts.of(n, 0))
                                .build());
                k.usage().flush();
            };
            use.accept(400);
            assertThat(heard).isEmpty();
            use.accept(200); // 600: 50 %
            use.accept(300); // 900: 80 %
            use.accept(150); // 1,050: 100 % and grace
            use.accept(10);
            assertThat(heard)
                    .extracting(a -> a.kind() + ":" + a.thresholdPercent() + ":" + a.used())
                    .containsExactly("THRESHOLD:50:600", "THRESHOLD:80:900", "THRESHOLD:100:1050", "GRACE:0:1050");
            assertThat(heard).allSatisfy(a -> {
                assertThat(a.limit().id()).isEqualTo(daily.id());
                assertThat(a.window().start()).isEqualTo(Instant.parse("2026-11-02T00:00:00Z"));
            });
            // another instance adding to the same window announces nothing again
            TokenKeeper other = another(quietBuilder(database()).limitAlertListener(heard::add));
            other.usage()
                    .record(UsageEvent.builder()
                            .requestId("a-other")
                            .tenant(tenant)
                            .token(t.info().id())
                            .user("u1")
                            .project("search")
                            .provider("anthropic")
                            .model(model)
                            .counts(TokenCounts.of(5, 0))
                            .build());
            other.usage().flush();
            assertThat(heard).hasSize(4);
            // the next day is a new window
            clock.advance(Duration.ofDays(1));
            use.accept(500);
            assertThat(heard).hasSize(5);
            assertThat(heard.get(4).window().start()).isEqualTo(Instant.parse("2026-11-03T00:00:00Z"));
            assertThat(keeper.audit()
                            .query(AuditQuery.builder(tenant)
                                    .action(AuditAction.LIMIT_ALERT)
                                    .build())
                            .items())
                    .hasSize(5)
                    .first()
                    .satisfies(e -> assertThat(e.metadata())
                            .containsEntry("threshold", "50%")
                            .containsEntry("used", "500"));
        }

        @Test
        @DisplayName("in one batch charging many limits, exactly the limits whose levels are crossed announce")
        void alertsInOneBatch() {
            List<LimitAlert> heard = java.util.Collections.synchronizedList(new ArrayList<>());
            TokenKeeper k = another(quietBuilder(database()).limitAlertListener(heard::add));
            List<IssuedToken> tokens = new ArrayList<>();
            List<Limit> limits = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                IssuedToken t = token("batch-" + i);
                tokens.add(t);
                // two share a threshold list, one has none and no grace, the others differ
                List<Integer> thresholds = switch (i) {
                    case 0, 1 -> List.of(50, 90);
                    case 2 -> List.of();
                    case 3 -> List.of(75);
                    case 4 -> List.of(70);
                    default -> List.of(100);
                };
                limits.add(keeper.limits()
                        .create(LimitSpec.builder(tenant)
                                .name("batch " + i)
                                .token(t.info().id())
                                .tokens(1_000)
                                .grace(i == 5 ? 100 : 0)
                                .alertThresholds(thresholds)
                                .period(LimitPeriod.DAY)
                                .build()));
            }
            long[] used = {600, 400, 2_000, 740, 760, 1_010};
            for (int i = 0; i < tokens.size(); i++) {
                k.usage()
                        .record(UsageEvent.builder()
                                .requestId("batch-" + i)
                                .tenant(tenant)
                                .token(tokens.get(i).info().id())
                                .provider("anthropic")
                                .model(model)
                                .counts(TokenCounts.of(used[i], 0))
                                .build());
            }
            k.usage().flush(); // one batch
            assertThat(heard)
                    .extracting(a -> a.limit().name() + ":" + a.kind() + ":" + a.thresholdPercent())
                    .containsExactlyInAnyOrder(
                            "batch 0:THRESHOLD:50", // 600 of 1,000: 50 %, not 90 % (batch 1's 400: neither)
                            "batch 4:THRESHOLD:70", // 760: 70 % (batch 3's 740 is short of its 75 %)
                            "batch 5:THRESHOLD:100", // 1,010: the amount, and into grace
                            "batch 5:GRACE:0");
            assertThat(heard)
                    .allSatisfy(a -> assertThat(limits)
                            .extracting(Limit::id)
                            .contains(a.limit().id()));
        }

        @Test
        @DisplayName("listeners observe every decision, the usage accepted with its cost, and alerts")
        void listeners() {
            List<String> heard = java.util.Collections.synchronizedList(new ArrayList<>());
            TokenKeeper k = another(quietBuilder(database())
                    .listener(new TokenKeeperListener() {
                        @Override
                        public void onAuthorize(CallRequest call, Admission a) {
                            heard.add("authorize:" + call.model() + ":"
                                    + (a instanceof Denial d ? d.reason() : "permit"));
                        }

                        @Override
                        public void onRequestCheck(RequestAdmission a) {
                            heard.add("request:"
                                    + (a.denial() == null
                                            ? "allowed"
                                            : a.denial().reason()));
                        }

                        @Override
                        public void onUsage(UsageEvent e, RecordedUsage r) {
                            heard.add("usage:" + e.counts().output() + ":"
                                    + r.cost().total().toPicosExact());
                        }

                        @Override
                        public void onAlert(LimitAlert a) {
                            heard.add("alert:" + a.kind() + ":" + a.thresholdPercent());
                        }
                    })
                    .listener(new TokenKeeperListener() {
                        @Override
                        public void onAuthorize(CallRequest call, Admission a) {
                            throw new IllegalStateException("a broken listener changes nothing");
                        }
                    }));
            IssuedToken t = token("search");
            Limit daily = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("daily")
                            .token(t.info().id())
                            .tokens(1_000)
                            .grace(0)
                            .alertThresholds(List.of(50))
                            .period(LimitPeriod.DAY)
                            .build());
            Permit p = (Permit) k.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 500));
            RecordedUsage r = p.complete(TokenCounts.of(100, 450), Duration.ofMillis(300));
            k.usage().flush();
            assertThat(k.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 900)))
                    .isInstanceOf(Denial.class);
            assertThat(k.authorize("tk_not-a-token", CallRequest.of("anthropic", model, 1, 1)))
                    .isInstanceOf(Denial.class);
            assertThat(k.checkRequest(t.secret(), null).denial()).isNull();
            // the alert comes from the writer's thread, and may come before the caller hears of the usage
            assertThat(heard)
                    .containsExactlyInAnyOrder(
                            "authorize:" + model + ":permit",
                            "usage:450:" + r.cost().total().toPicosExact(),
                            "alert:THRESHOLD:50",
                            "authorize:" + model + ":BUDGET_EXCEEDED",
                            "authorize:" + model + ":TOKEN_INVALID",
                            "request:allowed");
            assertThat(r.cost().total().toPicosExact()).isPositive();
            assertThat(daily.id()).isNotBlank();
        }

        @Test
        @DisplayName(
                "a rolling-minute rate limit refuses with RATE_LIMITED and a wait, refills, and is corrected at settle")
        void rateLimits() {
            IssuedToken t = token("search");
            Limit rpm = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("3 rpm")
                            .token(t.info().id())
                            .requests(3)
                            .period(LimitPeriod.ROLLING_MINUTE)
                            .build());
            // a call that never happened gives its request back
            ((Permit) call(t, 10, 10)).release();
            for (int i = 0; i < 3; i++) {
                Permit permit = (Permit) call(t, 10, 10);
                // what is left after this call, and how long the bucket takes to be whole (20 s a request)
                int taken = i + 1;
                assertThat(permit.rateLimits()).singleElement().satisfies(st -> {
                    assertThat(st.limit()).isEqualTo(rpm);
                    assertThat(st.remaining()).isEqualTo(3 - taken);
                    assertThat(st.untilFull()).isEqualTo(Duration.ofSeconds(20L * taken));
                });
                permit.complete(TokenCounts.of(10, 10), Duration.ZERO);
            }
            Admission fourth = call(t, 10, 10);
            assertThat(fourth).isInstanceOfSatisfying(Denial.class, d -> {
                assertThat(d.reason()).isEqualTo(DenialReason.RATE_LIMITED);
                assertThat(d.reason().retryableSoon()).isTrue();
                assertThat(d.limit()).isEqualTo(rpm);
                assertThat(d.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(20));
                assertThat(d.resetAt()).isNull();
            });
            clock.advance(((Denial) fourth).retryAfter());
            assertThat(call(t, 10, 10)).isInstanceOf(Permit.class);
            assertThat(count("SELECT COUNT(*) FROM tk_limit_counters WHERE limit_id = '" + rpm.id() + "'"))
                    .isZero();

            IssuedToken other = token("other");
            keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("1k tpm")
                            .token(other.info().id())
                            .tokens(1_000)
                            .period(LimitPeriod.ROLLING_MINUTE)
                            .build());
            Permit p = (Permit) call(other, 300, 300); // 600 taken, 400 left
            assertThat(p.rateLimits()).singleElement().satisfies(st -> {
                assertThat(st.remaining()).isEqualTo(400);
                assertThat(st.untilFull()).isEqualTo(Duration.ofMillis(36_000));
            });
            assertThat(((Permit) call(token("unlimited"), 10, 10)).rateLimits()).isEmpty();
            p.complete(TokenCounts.of(60, 40), Duration.ZERO); // really 100: 500 back, 900 left
            Permit q = (Permit) call(other, 400, 400); // 100 left
            assertThat(call(other, 100, 1)).isInstanceOf(Denial.class);
            assertThat(call(other, 50, 50)).isInstanceOf(Permit.class);
            q.release();
            assertThat(call(other, 0, 1_001))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.retryAfter()).isNull()); // more than the bucket ever holds

            // dollars per minute: counted in microdollars, rounded up per call
            IssuedToken spender = token("spender");
            keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("$0.003/min")
                            .token(spender.info().id())
                            .costUsd(Money.of("0.003"))
                            .period(LimitPeriod.ROLLING_MINUTE)
                            .build());
            Permit dollar = (Permit) call(spender, 1_000, 0); // Haiku 4.5 input: $0.001 reserved
            dollar.complete(TokenCounts.of(1_000, 0), Duration.ZERO);
            assertThat(call(spender, 2_000, 0)).isInstanceOf(Permit.class); // $0.002 more: $0.003 in all
            assertThat(call(spender, 1, 0))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.RATE_LIMITED));
            // a bucket refills at most one unit per nanosecond: larger rate limits are refused, typed
            assertThatThrownBy(() -> keeper.limits()
                            .create(LimitSpec.builder(tenant)
                                    .name("huge")
                                    .requests(Long.MAX_VALUE / 4)
                                    .period(LimitPeriod.ROLLING_MINUTE)
                                    .build()))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("amount"));
            Limit small = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("rpm")
                            .requests(10)
                            .period(LimitPeriod.ROLLING_MINUTE)
                            .build());
            assertThatThrownBy(() -> keeper.limits()
                            .update(
                                    tenant,
                                    small.id(),
                                    dev.tokenkeeper.limits.LimitChange.amount(
                                            dev.tokenkeeper.internal.limits.RateUnits.MAX + 1),
                                    Actor.SYSTEM))
                    .isInstanceOf(InvalidRequestException.class);
        }

        @Test
        @DisplayName(
                "with the database down, what is in memory keeps working; the rest follows the policy; recovery needs no restart")
        void storageDown() {
            IssuedToken t = token("search");
            keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("hourly")
                            .token(t.info().id())
                            .tokens(10_000)
                            .period(LimitPeriod.HOUR)
                            .build());
            CallRequest c = CallRequest.of("anthropic", model, 100, 100);
            // the tokens stay cached across the outage (the new hour below is 61 minutes away)
            TokenKeeper local =
                    another(quietBuilder(counting).sharedBudgets(false).tokenCacheTtl(Duration.ofHours(3)));
            TokenKeeper open = another(quietBuilder(counting)
                    .sharedBudgets(false)
                    .tokenCacheTtl(Duration.ofHours(3))
                    .storageFailurePolicy(StorageFailurePolicy.FAIL_OPEN));
            TokenKeeper shared =
                    another(quietBuilder(counting).sharedBudgets(true).budgetLeasing(false));
            TokenKeeper leased = another(quietBuilder(counting).sharedBudgets(true));
            TokenKeeper shortCache = another(
                    quietBuilder(counting).sharedBudgets(false).storageFailurePolicy(StorageFailurePolicy.FAIL_OPEN));
            ((Permit) shortCache.authorize(t.secret(), c)).release();
            for (TokenKeeper k : List.of(local, open, shared, leased)) {
                ((Permit) k.authorize(t.secret(), c)).release(); // loads the token, the limits, this hour's counter
            }
            counting.down = true;
            try {
                // local budgets: what is in memory keeps working
                assertThat(local.authorize(t.secret(), c)).isInstanceOfSatisfying(Permit.class, p -> {
                    assertThat(p.limitsChecked()).isTrue();
                    p.release();
                });
                // shared budgets reserved call by call need the database for each: fail closed
                assertThat(shared.authorize(t.secret(), c))
                        .isInstanceOfSatisfying(
                                Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.STORAGE_UNAVAILABLE));
                // leased shared budgets admit from the lease this instance holds
                assertThat(leased.authorize(t.secret(), c)).isInstanceOfSatisfying(Permit.class, Permit::release);
                clock.advance(Duration.ofMinutes(61)); // a new hour: its counter must be read
                assertThat(local.authorize(t.secret(), c)).isInstanceOfSatisfying(Denial.class, d -> {
                    assertThat(d.reason()).isEqualTo(DenialReason.STORAGE_UNAVAILABLE);
                    assertThat(d.reason().retryableSoon()).isTrue();
                    assertThat(d.retryAfter()).isPositive();
                });
                assertThat(open.authorize(t.secret(), c)).isInstanceOfSatisfying(Permit.class, p -> {
                    assertThat(p.limitsChecked()).isFalse();
                    p.release();
                });
                // a token whose cached state expired cannot be verified: refused whatever the policy, as
                // a denial (HTTP 503), not an exception; so is a request check
                assertThat(shortCache.authorize(t.secret(), c)).isInstanceOfSatisfying(Denial.class, d -> {
                    assertThat(d.reason()).isEqualTo(DenialReason.STORAGE_UNAVAILABLE);
                    assertThat(d.retryAfter()).isPositive();
                });
                assertThat(shortCache.checkRequest(t.secret(), null).denial())
                        .isNotNull()
                        .satisfies(d -> assertThat(d.reason()).isEqualTo(DenialReason.STORAGE_UNAVAILABLE));
            } finally {
                counting.down = false;
            }
            for (TokenKeeper k : List.of(local, shared, leased)) {
                assertThat(k.authorize(t.secret(), c))
                        .isInstanceOfSatisfying(
                                Permit.class, p -> assertThat(p.limitsChecked()).isTrue());
            }
        }

        @Test
        @DisplayName(
                "leased budgets: a lowered limit takes back what leases hold under the old one, here at once and on another instance at its limit sync")
        void loweredLimitTakesBackLeases() {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 10_000, 0);
            TokenKeeper a = another(quietBuilder(database()).sharedBudgets(true));
            TokenKeeper b = another(quietBuilder(database()).sharedBudgets(true));
            for (TokenKeeper k : List.of(a, b)) {
                ((Permit) k.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 0))).release();
            }
            // each holds a lease of an eighth of the room left, unused: together over four times the new amount
            assertThat(a.limits().usage(tenant, daily.id()).reserved()).isGreaterThanOrEqualTo(2_000);

            a.limits().update(tenant, daily.id(), LimitChange.amount(500), Actor.SYSTEM);
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 600, 0)))
                    .as("b has not read the limits feed yet: its limits and its lease are the old ones")
                    .isInstanceOfSatisfying(Permit.class, Permit::release);
            b.flush(); // reads the feed: the new amount, and b's lease goes back
            assertThat(a.limits().usage(tenant, daily.id()).reserved())
                    .as("no lease holds anything under the old amount")
                    .isZero();
            for (TokenKeeper k : List.of(a, b)) {
                assertThat(k.authorize(t.secret(), CallRequest.of("anthropic", model, 600, 0)))
                        .isInstanceOfSatisfying(Denial.class, d -> {
                            assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED);
                            assertThat(d.limit().amount()).isEqualTo(500);
                        });
            }
            Permit fits = (Permit) a.authorize(t.secret(), CallRequest.of("anthropic", model, 400, 0));
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 101, 0)))
                    .isInstanceOf(Denial.class);
            fits.release();
        }

        @Test
        @DisplayName(
                "leased budgets: a lease that grew under a higher cap than the calling limit's gives its free units back before it serves")
        void leaseUnderAnOldCapGivesBackFirst() {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 10_000, 0);
            TokenKeeper b = withFaults(quietBuilder(database()).sharedBudgets(true));
            ((Permit) b.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 0))).release();
            keeper.limits().update(tenant, daily.id(), LimitChange.amount(500), Actor.SYSTEM);
            faults(b).failLeaseShrinks(true);
            // (usage through b: its budgets are shared, so it reports every instance's reservations)
            b.flush(); // b reads the new amount, but cannot give its lease back when it hears of it
            assertThat(b.limits().usage(tenant, daily.id()).reserved())
                    .as("b's lease still holds what it was granted under 10,000")
                    .isGreaterThanOrEqualTo(1_250);
            faults(b).failLeaseShrinks(false);
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 600, 0)))
                    .isInstanceOfSatisfying(Denial.class, d -> {
                        assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED);
                        assertThat(d.limit().amount()).isEqualTo(500);
                    });
            assertThat(b.limits().usage(tenant, daily.id()).reserved()).isZero();
        }

        @Test
        @DisplayName(
                "leased budgets: an instance that cannot get the room a call needs recalls the others' unused leases")
        void leaseRecall() throws Exception {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 10_000, 0);
            TokenKeeper a = another(quietBuilder(database()).sharedBudgets(true));
            TokenKeeper b = another(quietBuilder(database()).sharedBudgets(true));
            ((Permit) a.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 0))).release();
            // a holds a lease of an eighth of the room, mostly unused
            long leased = a.limits().usage(tenant, daily.id()).reserved();
            assertThat(leased).isGreaterThanOrEqualTo(1_250);
            // b needs all but 100 of the budget: only a's unused lease stands in the way. b recalls the
            // window and waits (on the keepers' clock, which this test holds still) for a to give back
            java.util.concurrent.ExecutorService caller = java.util.concurrent.Executors.newSingleThreadExecutor();
            java.util.concurrent.Future<Admission> waiting;
            try {
                waiting = caller.submit(() -> b.authorize(t.secret(), CallRequest.of("anthropic", model, 9_900, 0)));
                String recalled = "SELECT COUNT(*) FROM tk_limit_counters WHERE limit_id = '" + daily.id()
                        + "' AND recall_at IS NOT NULL";
                for (int i = 0; count(recalled) == 0; i++) { // the recall is written before b waits
                    assertThat(i).as("b never recalled the window").isLessThan(30_000);
                    Thread.onSpinWait();
                    if (waiting.isDone()) {
                        throw new AssertionError("b did not wait for the recall: " + waiting.get());
                    }
                }
                assertThat(waiting.isDone()).isFalse();
                clock.advance(Duration.ofMillis(100));
                assertThat(a.runDueMaintenance()).contains("budget leases"); // a sees the recall and gives back
                assertThat(waiting.get(30, TimeUnit.SECONDS)).isInstanceOf(Permit.class);
            } finally {
                caller.shutdownNow();
            }
            Permit big = (Permit) waiting.get();
            assertThat(a.limits().usage(tenant, daily.id()).reserved()).isEqualTo(9_900);
            // from now on the window is reserved call by call: exactly the 100 left fits, on either instance
            Permit rest = (Permit) a.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 0));
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1, 0)))
                    .isInstanceOf(Denial.class);
            rest.release();
            big.complete(TokenCounts.of(9_000, 0), Duration.ZERO);
            b.usage().flush();
            assertThat(a.limits().usage(tenant, daily.id()).used()).isEqualTo(9_000);
            assertThat(a.limits().usage(tenant, daily.id()).reserved()).isZero(); // exact mode keeps nothing
            assertThat(b.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 0)))
                    .isInstanceOf(Permit.class);
        }

        @Test
        @DisplayName(
                "leased budgets: a lease is given back on close, and an instance that stalls past its lease re-reserves what it holds")
        void leaseLifecycle() throws Exception {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 80_000, 0);
            TokenKeeper a = another(quietBuilder(database()).sharedBudgets(true));
            ((Permit) a.authorize(t.secret(), CallRequest.of("anthropic", model, 100, 0))).release();
            assertThat(a.limits().usage(tenant, daily.id()).reserved()).isEqualTo(10_000); // an eighth of the room
            a.close();
            assertThat(keeper.limits().usage(tenant, daily.id()).reserved()).isZero();

            CountingDataSource flaky = new CountingDataSource(database());
            TokenKeeper stalled = another(quietBuilder(flaky).sharedBudgets(true));
            TokenKeeper other = another(quietBuilder(database()).sharedBudgets(true));
            Permit inFlight = (Permit) stalled.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 0));
            flaky.down = true; // it cannot renew its lease
            clock.advance(Duration.ofSeconds(31));
            assertThat(other.runDueMaintenance())
                    .contains("expired reservations"); // the sweep releases the expired lease
            assertThat(other.limits().usage(tenant, daily.id()).reserved()).isZero();
            flaky.down = false;
            // back: its next call renews the lease and reserves again what its call in flight holds
            ((Permit) stalled.authorize(t.secret(), CallRequest.of("anthropic", model, 10, 0))).release();
            assertThat(other.limits().usage(tenant, daily.id()).reserved()).isGreaterThanOrEqualTo(1_000);
            inFlight.complete(TokenCounts.of(1_000, 0), Duration.ZERO);
            stalled.usage().flush();
            assertThat(other.limits().usage(tenant, daily.id()).used()).isEqualTo(1_000);
        }

        @Test
        @DisplayName("shared budgets: a reservation of an instance that died is released when it expires")
        void sharedReservationsExpire() throws Exception {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 5_000, 0);
            TokenKeeper dying =
                    another(quietBuilder(database()).sharedBudgets(true).permitTimeout(Duration.ofMinutes(1)));
            TokenKeeper survivor = another(quietBuilder(database())
                    .sharedBudgets(true)
                    .budgetRecallWait(Duration.ZERO)); // the dying instance never answers a recall
            CallRequest big = CallRequest.of("anthropic", model, 3_000, 1_000);
            assertThat(dying.authorize(t.secret(), big)).isInstanceOf(Permit.class); // never settled
            assertThat(survivor.authorize(t.secret(), big)).isInstanceOf(Denial.class); // 4,000 + 4,000 > 5,000
            assertThat(survivor.limits().usage(tenant, daily.id()).reserved()).isEqualTo(4_000);
            clock.advance(Duration.ofMinutes(2));
            assertThat(survivor.runDueMaintenance()).contains("expired reservations"); // any instance's sweep
            assertThat(survivor.limits().usage(tenant, daily.id()).reserved()).isZero();
            Permit p = (Permit) survivor.authorize(t.secret(), big);
            p.complete(TokenCounts.of(1_000, 500), Duration.ZERO); // the reservation becomes the real 1,500
            survivor.usage().flush();
            var usage = survivor.limits().usage(tenant, daily.id());
            assertThat(usage.used()).isEqualTo(1_500);
            assertThat(usage.reserved()).isZero(); // the writer turned it into usage
        }

        @Test
        @DisplayName("a run's own budget stops that run only; its calls carry the run id")
        void runBudget() {
            IssuedToken t = token("search");
            Limit run = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("run-7 cap")
                            .run("run-7")
                            .tokens(5_000)
                            .period(LimitPeriod.TOTAL)
                            .build());
            CallRequest inRun = CallRequest.of("anthropic", model, 1_000, 1_000).withRun("run-7");
            for (int i = 0; i < 2; i++) {
                ((Permit) keeper.authorize(t.secret(), inRun)).complete(TokenCounts.of(1_000, 1_000), Duration.ZERO);
            }
            assertThat(keeper.authorize(t.secret(), inRun)).isInstanceOfSatisfying(Denial.class, d -> {
                assertThat(d.reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED);
                assertThat(d.limit()).isEqualTo(run);
                assertThat(d.resetAt()).isNull(); // a total never resets
            });
            // the same token outside the run, or in another run, is not held back
            assertThat(call(t, 1_000, 1_000)).isInstanceOf(Permit.class);
            assertThat(keeper.authorize(t.secret(), inRun.withRun("run-8"))).isInstanceOf(Permit.class);
            // usage recorded directly for the run counts too
            keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId("direct-run-7")
                            .tenant(tenant)
                            .run("run-7")
                            .provider("anthropic")
                            .model(model)
                            .counts(TokenCounts.of(500, 0))
                            .build());
            keeper.usage().flush();
            assertThat(counted(run)).isEqualTo(4_500);
            assertThat(keeper.traces()
                            .list(TraceQuery.builder(tenant)
                                    .outcome(CallOutcome.SUCCESS)
                                    .build())
                            .items())
                    .filteredOn(tr -> "run-7".equals(tr.metadata().get(UsageEvent.RUN_ID)))
                    .hasSize(3);
            assertThatThrownBy(() -> UsageEvent.builder()
                            .requestId("x")
                            .tenant(tenant)
                            .run("a")
                            .metadata(UsageEvent.RUN_ID, "b")
                            .provider("anthropic")
                            .model(model)
                            .build())
                    .isInstanceOf(InvalidRequestException.class);
        }

        @Test
        @DisplayName("usage of a limit: committed in the window, and reserved by calls in flight here")
        void limitUsage() {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 10_000, 0);
            // reserved counts what calls hold; with leased shared budgets it also counts the leases
            TokenKeeper k = another(quietBuilder(database()).budgetLeasing(false));
            CallRequest first = CallRequest.of("anthropic", model, 1_000, 0);
            ((Permit) k.authorize(t.secret(), first)).complete(TokenCounts.of(700, 0), Duration.ZERO);
            Permit open = (Permit) k.authorize(t.secret(), CallRequest.of("anthropic", model, 2_000, 500));
            k.usage().flush();
            var usage = k.limits().usage(tenant, daily.id());
            assertThat(usage.used()).isEqualTo(700);
            assertThat(usage.reserved()).isEqualTo(2_500);
            assertThat(usage.remaining()).isEqualTo(6_800);
            assertThat(usage.window().start()).isEqualTo(Instant.parse("2026-11-02T00:00:00Z"));
            open.release();
            assertThat(k.limits().usage(tenant, daily.id()).reserved()).isZero();
        }

        @Test
        @DisplayName("within the grace allowance a call goes through with a warning; beyond it, it is refused")
        void grace() {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 1_000, 500);
            Permit p = (Permit) call(t, 700, 500);
            assertThat(p.warnings()).singleElement().satisfies(w -> {
                assertThat(w.limit()).isEqualTo(daily);
                assertThat(w.claimed()).isEqualTo(1_200);
            });
            assertThat(call(t, 200, 200)).isInstanceOf(Denial.class); // 1,600 > 1,500
            assertThat(call(t, 150, 150)).isInstanceOf(Permit.class); // 1,500: the grace's very end
        }

        @Test
        @DisplayName("a dollar budget for one model, tenant-wide, counts priced estimates and real costs")
        void costBudgetWithModelFilter() {
            IssuedToken t = token("search");
            // claude-haiku-4-5: $1 input, $5 output per million (bundled catalog)
            Limit haiku = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("haiku $0.01")
                            .model("claude-haiku*")
                            .costUsd(Money.of("0.01"))
                            .period(LimitPeriod.MONTH)
                            .build());
            Permit p = (Permit) call(t, 5_000, 1_000); // $0.005 + $0.005 = $0.01: fits exactly
            assertThat(call(t, 1, 0)).isInstanceOfSatisfying(Denial.class, d -> {
                assertThat(d.limit()).isEqualTo(haiku);
                assertThat(d.resetAt()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
                assertThat(d.message()).contains("$0.01");
            });
            // another model is not counted by this limit
            assertThat(keeper.authorize(t.secret(), CallRequest.of("anthropic", "claude-sonnet-4-5", 100_000, 10_000)))
                    .isInstanceOf(Permit.class);
            p.complete(TokenCounts.of(1_000, 200), Duration.ofMillis(300)); // $0.001 + $0.001
            keeper.usage().flush();
            assertThat(counted(haiku)).isEqualTo(Money.of("0.002").toPicosExact());
            // dollars read as dollars
            dev.tokenkeeper.limits.LimitUsage usage = keeper.limits().usage(tenant, haiku.id());
            assertThat(usage.usedUsd()).isEqualTo(Money.of("0.002"));
            assertThat(usage.toString()).contains("used=$0.002").contains("of $0.01");
            assertThat(haiku.toString()).contains("amount=$0.01").doesNotContain("10000000000");
            assertThat(call(t, 5_000, 0)).isInstanceOf(Permit.class); // $0.005 fits the $0.008 left
        }

        @Test
        @DisplayName("model names match without regard to case: allowed, counted by a model filter, and priced alike")
        void modelCase() {
            IssuedToken t = token("search"); // allowed: claude-haiku*, claude-sonnet-4-5
            Limit haiku = keeper.limits()
                    .create(LimitSpec.builder(tenant)
                            .name("haiku $0.01")
                            .model("claude-haiku*")
                            .costUsd(Money.of("0.01"))
                            .period(LimitPeriod.MONTH)
                            .build());
            Admission a = keeper.authorize(t.secret(), CallRequest.of("anthropic", "Claude-HAIKU-4-5", 5_000, 1_000));
            assertThat(a).isInstanceOf(Permit.class);
            // the whole $0.01 is reserved by the differently cased call: the next one is refused
            assertThat(call(t, 1, 0))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.limit()).isEqualTo(haiku));
            assertThat(keeper.authorize(t.secret(), CallRequest.of("anthropic", "CLAUDE-SONNET-4-5", 1, 1)))
                    .isInstanceOf(Permit.class);
            ((Permit) a).release();
        }

        @Test
        @DisplayName("refuses bad tokens, models the token may not call and unpriced models, each with its reason")
        void reasons() {
            IssuedToken t = token("search");
            assertThat(keeper.authorize("tk_nonsense", CallRequest.of("anthropic", model, 1, 1)))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.TOKEN_INVALID));
            assertThat(keeper.authorize(t.secret(), CallRequest.of("anthropic", "claude-opus-4-5", 1, 1)))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.MODEL_NOT_ALLOWED));
            IssuedToken any = keeper.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("any").build());
            assertThat(keeper.authorize(any.secret(), CallRequest.of("acme", "unpriced", 1, 1)))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.PRICE_MISSING));
            keeper.tokens().revoke(tenant, t.info().id());
            assertThat(call(t, 1, 1))
                    .isInstanceOfSatisfying(
                            Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.TOKEN_REVOKED));
        }

        @Test
        @DisplayName("counters survive a restart, and a permit left open releases itself after its timeout")
        void restartAndTimeout() throws Exception {
            IssuedToken t = token("search");
            Limit daily = tokenBudget(t, 5_000, 0);
            ((Permit) call(t, 2_000, 1_000)).complete(TokenCounts.of(2_000, 1_000), Duration.ofMillis(10));
            keeper.usage().flush();
            TokenKeeper restarted = another(quietBuilder(database()).permitTimeout(Duration.ofMinutes(5)));
            assertThat(restarted.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_001)))
                    .isInstanceOf(Denial.class); // 3,000 used + 2,001 > 5,000
            Permit abandoned =
                    (Permit) restarted.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000));
            assertThat(restarted.authorize(t.secret(), CallRequest.of("anthropic", model, 0, 1)))
                    .isInstanceOf(Denial.class);
            clock.advance(Duration.ofMinutes(6));
            assertThat(restarted.runDueMaintenance()).contains("permit expiry");
            assertThat(restarted.openPermits()).isZero();
            assertThat(restarted.authorize(t.secret(), CallRequest.of("anthropic", model, 1_000, 1_000)))
                    .isInstanceOf(Permit.class);
            // the expired permit's call still records its usage when it completes after all
            abandoned.complete(TokenCounts.of(10, 10), Duration.ofMinutes(6));
            restarted.usage().flush();
            assertThat(counted(daily)).isEqualTo(3_020);
        }

        @Test
        @DisplayName(
                "many threads on a nearly exhausted budget: exactly what fits is admitted, counters equal the ledger")
        void concurrency() throws Exception {
            IssuedToken t = token("search");
            Limit budget = tokenBudget(t, 100_000, 1_000); // 101,000 with grace
            ((Permit) call(t, 60_000, 0)).complete(TokenCounts.of(60_000, 0), Duration.ZERO);
            int threads = 8;
            java.util.concurrent.atomic.AtomicInteger admitted = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int k = 0; k < 200; k++) {
                        // each call reserves 150 and really uses 100 or 150; odd ones are abandoned
                        Admission a = call(t, 100, 50);
                        if (a instanceof Permit p) {
                            admitted.incrementAndGet();
                            if (k % 3 == 0) {
                                p.release();
                            } else {
                                p.complete(TokenCounts.of(100, k % 2 == 0 ? 0 : 50), Duration.ZERO);
                            }
                        } else {
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            keeper.usage().flush();
            long used = counted(budget);
            long ledger = count("SELECT COALESCE(SUM(input_tokens + output_tokens), 0) FROM tk_usage_events"
                    + " WHERE tenant_id = '" + tenant + "' AND token_id = '"
                    + t.info().id() + "'");
            assertThat(used).isEqualTo(ledger);
            assertThat(used).isLessThanOrEqualTo(101_000);
            assertThat(refused.get()).isPositive();
            assertThat(keeper.openPermits()).isZero();
            // no phantom refusal: after the run, the room left is what the ledger says, to the token
            long room = 101_000 - used;
            if (room >= 150) {
                assertThat(call(t, 100, 50)).isInstanceOf(Permit.class);
            } else {
                assertThat(call(t, 100, 50)).isInstanceOf(Denial.class);
                assertThat(call(t, room + 1, 0)).isInstanceOf(Denial.class);
                assertThat(call(t, room, 0)).isInstanceOf(Permit.class); // exactly the room left fits
            }
        }
    }

    /** A small RFC 4180 reader, independent of the writer under test. */
    static List<List<String>> parseCsv(String csv) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < csv.length(); i++) {
            char c = csv.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.add(cell.toString());
                cell.setLength(0);
            } else if (c == '\r' && i + 1 < csv.length() && csv.charAt(i + 1) == '\n') {
                row.add(cell.toString());
                cell.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                i++;
            } else {
                cell.append(c);
            }
        }
        return rows;
    }

    /** Makes a syntactically valid base64url cursor with the wrong shape. */
    static final class Cursors64 {
        static String of(String s) {
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes());
        }
    }
}
