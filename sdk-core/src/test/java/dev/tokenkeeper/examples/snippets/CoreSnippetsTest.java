package dev.tokenkeeper.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.MutableClock;
import dev.tokenkeeper.Page;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.DenialReason;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEntry;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.audit.AuditQuery;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.Cost;
import dev.tokenkeeper.pricing.ModelPrice;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.Rates;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.RejectionReason;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
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
import dev.tokenkeeper.usage.UsageSource;
import dev.tokenkeeper.usage.UsageTotals;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short snippets of {@code docs/}: each tagged region below is the text of one snippet
 * ({@code DocExamplesTest} checks that they agree), run here against an embedded SQLite keeper.
 */
@DisplayName("documentation snippets")
class CoreSnippetsTest {
    @TempDir
    Path dataDir;

    TokenKeeper keeper;
    final String clientIp = "203.0.113.7";
    final Actor actor = Actor.of("admin:alice");

    @BeforeEach
    void open() {
        keeper = TokenKeeper.builder()
                .sqliteFile(dataDir.resolve("snippets.db"))
                .backgroundMaintenance(false)
                .build();
        keeper.tenants().ensure("acme", "Acme Inc.");
    }

    @AfterEach
    void close() {
        keeper.close();
    }

    private IssuedToken token() {
        return keeper.tokens()
                .issue(TokenSpec.builder().tenant("acme").name("agent").build());
    }

    @Test
    @DisplayName("getting started: issue, then verify on each request")
    void gettingStarted() {
        keeper.close();
        List<String> seen = new ArrayList<>();
        // tag::getting-started[]
        TokenKeeper keeper = TokenKeeper.builder()
                .sqliteFile(dataDir.resolve("tokenkeeper.db")) // or .jdbcUrl(url, user, password) for PostgreSQL
                .build();

        keeper.tenants().ensure("acme", "Acme Inc.");
        IssuedToken t = keeper.tokens()
                .issue(TokenSpec.builder().tenant("acme").name("ci-bot").build());
        // give t.secret() to the caller; later, on each request:
        VerificationResult r = keeper.tokens().verify(t.secret(), clientIp);
        if (r instanceof VerificationResult.Verified v) {
            handle(v.principal());
        } else if (r instanceof VerificationResult.Rejected x) {
            refuse(x.reason()); // INVALID, NOT_FOUND, EXPIRED, REVOKED
        }
        // end::getting-started[]
        try (keeper) {
            assertThat(r).isInstanceOf(VerificationResult.Verified.class);
            assertThat(keeper.tokens().verify(t.secret() + "x", clientIp))
                    .isInstanceOfSatisfying(
                            VerificationResult.Rejected.class,
                            x -> assertThat(x.reason()).isEqualTo(RejectionReason.INVALID));
        }
        this.keeper = TokenKeeper.builder()
                .sqliteFile(dataDir.resolve("snippets.db"))
                .backgroundMaintenance(false)
                .build();
    }

    private void handle(Principal principal) {
        assertThat(principal.tenantId()).isEqualTo("acme");
    }

    private static void refuse(RejectionReason reason) {
        throw new AssertionError("refused: " + reason);
    }

    @Test
    @DisplayName("tokens: issue with every restriction")
    void issue() {
        // tag::tokens-issue[]
        IssuedToken t = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("acme")
                        .name("search-agent")
                        .role(Role.AGENT)
                        .user("alice@example.com")
                        .project("search")
                        .scopes(Set.of("chat"))
                        .allowedProviders(Set.of("openai"))
                        .allowedModels(Set.of("gpt-4o*"))
                        .expiresAt(Instant.now().plus(Duration.ofDays(90)))
                        .metadata("ticket", "OPS-1234")
                        .actor(Actor.of("admin:bob", clientIp))
                        .build());
        // end::tokens-issue[]
        assertThat(t.info().allowedModels()).containsExactly("gpt-4o*");
        assertThat(keeper.authorize(t.secret(), CallRequest.of("anthropic", "claude-sonnet-4-5", 10, 10)))
                .isInstanceOf(Denial.class);
    }

    @Test
    @DisplayName("audit: an application's own event, and a query")
    void audit() {
        IssuedToken revoked = token();
        keeper.tokens().revoke("acme", revoked.info().id());
        // tag::audit-record[]
        keeper.audit()
                .record(new AuditEntry(
                        "acme",
                        Actor.of("user:42", clientIp),
                        AuditAction.of("user.login"),
                        "user",
                        "42",
                        AuditOutcome.SUCCESS,
                        Map.of("method", "password")));
        // end::audit-record[]
        Instant from = Instant.now().minus(Duration.ofHours(1));
        Instant to = Instant.now().plus(Duration.ofHours(1));
        // tag::audit-query[]
        Page<AuditEvent> page = keeper.audit()
                .query(AuditQuery.builder("acme")
                        .from(from) // inclusive
                        .to(to) // exclusive
                        .action(AuditAction.TOKEN_REVOKED)
                        .limit(100)
                        .build());
        // next page: .cursor(page.nextCursor())
        // end::audit-query[]
        assertThat(page.items())
                .singleElement()
                .satisfies(
                        e -> assertThat(e.targetId()).isEqualTo(revoked.info().id()));
        assertThat(keeper.audit()
                        .query(AuditQuery.builder("acme")
                                .action(AuditAction.of("user.login"))
                                .build())
                        .items())
                .singleElement()
                .satisfies(e -> assertThat(e.source()).isEqualTo(clientIp));
    }

    @Test
    @DisplayName("configuration: a test moves the clock and runs what is due")
    void drivenClock() {
        keeper.close();
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        Path db = dataDir.resolve("shared.db");
        try (TokenKeeper keeper = TokenKeeper.builder()
                        .sqliteFile(db)
                        .clock(clock)
                        .backgroundMaintenance(false)
                        .build();
                TokenKeeper otherInstance = TokenKeeper.builder()
                        .sqliteFile(db)
                        .clock(clock)
                        .backgroundMaintenance(false)
                        .build()) {
            keeper.tenants().ensure("acme", "Acme Inc.");
            String tenant = "acme";
            IssuedToken old = keeper.tokens()
                    .issue(TokenSpec.builder().tenant(tenant).name("bot").build());
            String tokenId = old.info().id();
            assertThat(otherInstance.tokens().verify(old.secret(), null))
                    .isInstanceOf(VerificationResult.Verified.class);
            // tag::configuration-clock[]
            keeper.tokens().rotate(tenant, tokenId);
            clock.advance(Duration.ofSeconds(1)); // the token sync interval
            assertThat(otherInstance.runDueMaintenance()).contains("token sync"); // the rotation is seen now
            // end::configuration-clock[]
        }
        this.keeper = TokenKeeper.builder()
                .sqliteFile(dataDir.resolve("snippets.db"))
                .backgroundMaintenance(false)
                .build();
    }

    /** What a model call answered, in the snippets' own words. */
    record Response(long input, long cacheRead, long cacheWrite, long output, long reasoning, Duration latency) {}

    private Response callTheModel() {
        return new Response(1_000, 0, 0, 200, 0, Duration.ofMillis(700));
    }

    @Test
    @DisplayName("limits: a monthly dollar budget, and authorize then complete")
    void budget() {
        String secret = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("acme")
                        .name("search")
                        .project("search")
                        .build())
                .secret();
        long promptTokens = 1_000;
        long maxTokens = 500;
        Duration elapsed = Duration.ofMillis(300);
        List<Object> outcomes = new ArrayList<>();
        // tag::limits-budget[]
        keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("search: $200 a month")
                        .project("search")
                        .costUsd(Money.of("200"))
                        .graceUsd(Money.of("10"))
                        .period(LimitPeriod.MONTH)
                        .zone(ZoneId.of("Europe/Paris"))
                        .build());

        Admission a =
                keeper.authorize(secret, CallRequest.of("anthropic", "claude-sonnet-4-5", promptTokens, maxTokens));
        if (a instanceof Permit p) {
            try {
                Response r = callTheModel();
                p.complete(
                        new TokenCounts(r.input(), r.cacheRead(), r.cacheWrite(), r.output(), r.reasoning()),
                        r.latency());
            } catch (RuntimeException e) {
                p.complete(Completion.failure(TokenCounts.NONE, elapsed, e.getMessage()));
            }
        } else if (a instanceof Denial d) {
            // d.reason(): BUDGET_EXCEEDED (not before d.resetAt()), MODEL_NOT_ALLOWED, TOKEN_REVOKED, ...
            outcomes.add(d.reason());
        }
        // end::limits-budget[]
        assertThat(a).isInstanceOf(Permit.class);
        assertThat(outcomes).isEmpty();
        keeper.usage().flush();
        assertThat(keeper.usage()
                        .totals(UsageQuery.builder(
                                        "acme",
                                        Instant.now().minus(Duration.ofHours(1)),
                                        Instant.now().plus(Duration.ofHours(1)))
                                .build())
                        .outputTokens())
                .isEqualTo(200);
    }

    @Test
    @DisplayName("limits: a run's own budget")
    void runBudget() {
        String secret = token().secret();
        String runId = "run-42";
        long prompt = 100;
        long maxTokens = 100;
        // tag::limits-run[]
        Limit cap = keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("run " + runId)
                        .run(runId)
                        .costUsd(Money.of("2"))
                        .period(LimitPeriod.TOTAL)
                        .build());
        // every call of the run
        Admission a = keeper.authorize(
                secret, CallRequest.of("openai", "gpt-4o", prompt, maxTokens).withRun(runId));
        // when the run ends
        keeper.limits().delete("acme", cap.id(), actor);
        // end::limits-run[]
        assertThat(a).isInstanceOf(Permit.class);
        ((Permit) a).release();
        assertThat(keeper.limits().list("acme", null, null, 10, null).items()).isEmpty();
    }

    @Test
    @DisplayName("limits: rate limits per token")
    void rateLimits() {
        IssuedToken agent = token();
        String tokenId = agent.info().id();
        // tag::limits-rate[]
        keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("agent: 60 rpm")
                        .token(tokenId)
                        .requests(60)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("agent: 100k tpm")
                        .token(tokenId)
                        .tokens(100_000)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        // end::limits-rate[]
        for (int i = 0; i < 60; i++) {
            ((Permit) keeper.authorize(agent.secret(), CallRequest.of("openai", "gpt-4o", 10, 10)))
                    .complete(TokenCounts.of(10, 10), Duration.ZERO);
        }
        assertThat(keeper.authorize(agent.secret(), CallRequest.of("openai", "gpt-4o", 10, 10)))
                .isInstanceOfSatisfying(
                        Denial.class, d -> assertThat(d.reason()).isEqualTo(DenialReason.RATE_LIMITED));
    }

    /** Stands in for a chat webhook. */
    static final class Slack {
        final List<String> posted = new ArrayList<>();

        void post(String text) {
            posted.add(text);
        }
    }

    @Test
    @DisplayName("limits: alerts to a listener")
    void alerts() {
        keeper.close();
        Slack slack = new Slack();
        Path db = dataDir.resolve("snippets.db");
        // tag::limits-alerts[]
        TokenKeeper keeper = TokenKeeper.builder()
                .sqliteFile(db)
                .limitAlertListener(alert -> slack.post(alert.limit().name() + ": "
                        + (alert.kind() == LimitAlert.Kind.GRACE
                                ? "over budget"
                                : alert.thresholdPercent() + " % used")))
                .build();
        // end::limits-alerts[]
        try (keeper) {
            IssuedToken t = keeper.tokens()
                    .issue(TokenSpec.builder().tenant("acme").name("bot").build());
            keeper.limits()
                    .create(LimitSpec.builder("acme")
                            .name("bot daily")
                            .token(t.info().id())
                            .tokens(1_000)
                            .period(LimitPeriod.DAY)
                            .alertThresholds(List.of(80))
                            .build());
            ((Permit) keeper.authorize(t.secret(), CallRequest.of("openai", "gpt-4o", 800, 100)))
                    .complete(TokenCounts.of(800, 50), Duration.ZERO);
            keeper.usage().flush();
            assertThat(slack.posted).containsExactly("bot daily: 80 % used");
        }
        this.keeper = TokenKeeper.builder()
                .sqliteFile(dataDir.resolve("snippets.db"))
                .backgroundMaintenance(false)
                .build();
    }

    @Test
    @DisplayName("pricing: the exact cost of a call")
    void cost() {
        // tag::pricing-cost[]
        Cost c = keeper.pricing()
                .cost("anthropic", "claude-sonnet-4-5-20250929", new TokenCounts(1200, 8000, 0, 350, 0), Instant.now());
        c.total(); // 0.01125 USD: 1,200 x $3 + 8,000 x $0.30 + 350 x $15 per million
        c.split().output(); // 0.00525
        // end::pricing-cost[]
        assertThat(c.total()).isEqualTo(Money.of("0.01125"));
        assertThat(c.split().output()).isEqualTo(Money.of("0.00525"));
    }

    @Test
    @DisplayName("pricing: runtime prices, set, removed and imported")
    void runtimePrices() throws IOException {
        // tag::pricing-runtime[]
        Actor alice = Actor.of("admin:alice");
        // from 1 December, our negotiated rate for gpt-4o
        keeper.pricing()
                .putPrice(
                        new ModelPrice(
                                "openai",
                                "gpt-4o",
                                Instant.parse("2026-12-01T00:00:00Z"),
                                new Rates(Money.of("2"), Money.of("1"), Money.of("2"), Money.of("8")),
                                null,
                                "contract 2026-117",
                                LocalDate.parse("2026-11-22")),
                        alice);
        keeper.pricing().removePrice("openai", "gpt-4o", Instant.parse("2026-12-01T00:00:00Z"), alice);
        keeper.pricing().runtimePrices(); // what is set now
        // end::pricing-runtime[]
        assertThat(keeper.pricing().runtimePrices()).isEmpty();
        Path path = dataDir.resolve("prices.json");
        Files.writeString(path, """
                {"format": 1, "models": [{"provider": "openai", "model": "gpt-4o", "prices": [
                  {"effective_from": "2026-12-01T00:00:00Z", "input": "2", "cached_input": "1",
                   "cache_write": "2", "output": "8", "source": "contract 2026-117", "checked_on": "2026-11-22"}]}]}
                """);
        Path db = dataDir.resolve("snippets.db");
        // tag::pricing-import[]
        TokenKeeper atStart =
                TokenKeeper.builder().sqliteFile(db).priceFile(path).build(); // applied at every start
        try (InputStream in = Files.newInputStream(path)) {
            keeper.pricing().importPrices(in, actor); // applied now; returns how many changed
        }
        // end::pricing-import[]
        atStart.close();
        assertThat(keeper.pricing().runtimePrices())
                .singleElement()
                .satisfies(p -> assertThat(p.rates().output()).isEqualTo(Money.of("8")));
    }

    @Test
    @DisplayName("usage: record an event, then query totals, series and breakdowns")
    void usage() {
        Principal principal =
                ((VerificationResult.Verified) keeper.tokens().verify(token().secret(), null)).principal();
        String responseId = "msg_01";
        long inputTokens = 1_000;
        long cacheReadTokens = 2_000;
        long cacheWriteTokens = 0;
        long outputTokens = 300;
        Instant callStartedAt = Instant.now().minusSeconds(1);
        // tag::usage-record[]
        RecordedUsage r = keeper.usage()
                .record(UsageEvent.builder()
                        .requestId(responseId) // idempotency key
                        .tenant("acme")
                        .token(principal.tokenId())
                        .user("alice")
                        .project("search")
                        .provider("anthropic")
                        .model("claude-sonnet-4-5-20250929")
                        .counts(new TokenCounts(inputTokens, cacheReadTokens, cacheWriteTokens, outputTokens, 0))
                        .latency(Duration.ofMillis(840))
                        .outcome(CallOutcome.SUCCESS)
                        .source(UsageSource.REPORTED)
                        .at(callStartedAt)
                        .build());
        r.cost().total(); // exact, computed at record time from the pricing catalog
        // end::usage-record[]
        assertThat(r.cost().total()).isEqualTo(Money.of("0.0081")); // 1,000 x $3 + 2,000 x $0.30 + 300 x $15
        keeper.usage().flush();
        Instant from = Instant.now().minus(Duration.ofDays(1));
        Instant to = Instant.now().plus(Duration.ofDays(1));
        // tag::usage-query[]
        UsageQuery q = UsageQuery.builder("acme", from, to).project("search").build();
        UsageTotals t = keeper.usage().totals(q); // exact cost, tokens, requests
        UsageSeries s = keeper.usage().series(q, Granularity.DAY, ZoneId.of("Europe/Paris"));
        UsageBreakdown top = keeper.usage().breakdown(q, UsageDimension.MODEL, 10); // costliest first
        // end::usage-query[]
        assertThat(t.requests()).isOne();
        assertThat(s.points()).isNotEmpty();
        assertThat(top.rows())
                .singleElement()
                .satisfies(row -> assertThat(row.key()).isEqualTo("claude-sonnet-4-5-20250929"));
    }

    @Test
    @DisplayName("traces: a page of calls, and one call")
    void traces() {
        IssuedToken t = token();
        String tokenId = t.info().id();
        ((Permit) keeper.authorize(t.secret(), CallRequest.of("openai", "gpt-4o", 10, 10)))
                .complete(Completion.failure(TokenCounts.NONE, Duration.ofMillis(5), "upstream 503"));
        keeper.usage().flush();
        Instant from = Instant.now().minus(Duration.ofHours(1));
        Instant to = Instant.now().plus(Duration.ofHours(1));
        // tag::traces-list[]
        Page<Trace> page = keeper.traces()
                .list(TraceQuery.builder("acme")
                        .from(from)
                        .to(to) // optional
                        .token(tokenId)
                        .outcome(CallOutcome.ERROR) // optional: token, user, project, provider, model, outcome
                        .limit(100)
                        .build());
        // next page: the same query's withCursor(page.nextCursor())
        // end::traces-list[]
        String traceId = page.items().get(0).id();
        // tag::traces-find[]
        Optional<Trace> one = keeper.traces().find("acme", traceId);
        // end::traces-find[]
        assertThat(one).isPresent();
        assertThat(page.items())
                .singleElement()
                .satisfies(tr -> assertThat(tr.errorMessage()).isEqualTo("upstream 503"));
    }
}
