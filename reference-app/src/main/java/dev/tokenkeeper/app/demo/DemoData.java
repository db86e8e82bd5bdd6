package dev.tokenkeeper.app.demo;

import dev.tokenkeeper.StorageBackend;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.accounts.BootstrapAdmin;
import dev.tokenkeeper.app.accounts.User;
import dev.tokenkeeper.app.config.AppProperties;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * A month of made-up but realistic usage, seeded through the SDK at the first start on the embedded
 * SQLite database ({@code tokenkeeper.demo-data}, on by default): two more users, five tokens over
 * three projects, four limits, and about 2,500 calls across OpenAI, Anthropic, Google and the demo
 * model, with a weekly rhythm, prompt caching, a few errors and cancellations. Every call is
 * recorded and priced like a real one (the bundled catalog), so the dashboard's figures are the
 * API's. The generator is seeded, so two first starts tell the same story.
 */
@Component
@Order(BootstrapAdmin.ORDER + 1)
public class DemoData implements ApplicationRunner {
    private static final Logger LOG = LoggerFactory.getLogger(DemoData.class);

    private final TokenKeeper keeper;
    private final Accounts accounts;
    private final BootstrapAdmin bootstrap;
    private final AppProperties props;

    public DemoData(TokenKeeper keeper, Accounts accounts, BootstrapAdmin bootstrap, AppProperties props) {
        this.keeper = keeper;
        this.accounts = accounts;
        this.bootstrap = bootstrap;
        this.props = props;
    }

    @Override
    public void run(ApplicationArguments args) {
        if (props.demoData() && keeper.backend() == StorageBackend.SQLITE) {
            bootstrap.createdThisStart().ifPresent(this::seed);
        }
    }

    /** One stream of calls: a token, what it calls, and how busy it is on a weekday. */
    private record Caller(IssuedToken token, String project, String provider, List<String> models, int perDay) {}

    /** Seeds the demo data in the admin's tenant; returns the number of calls recorded. */
    public int seed(User admin) {
        String tenant = admin.tenantId();
        Actor actor = Actor.of("user:" + admin.id());
        User alice = accounts.createUser(tenant, "alice", accounts.generatePassword(), Role.USER, actor);
        User bob = accounts.createUser(tenant, "bob", accounts.generatePassword(), Role.USER, actor);
        List<Caller> callers = List.of(
                new Caller(
                        token(tenant, "search-api", alice, "search", Role.AGENT, actor),
                        "search",
                        "openai",
                        List.of("gpt-4o-mini", "gpt-4o-mini", "gpt-4o"),
                        45),
                new Caller(
                        token(tenant, "support-bot", bob, "support", Role.AGENT, actor),
                        "support",
                        "anthropic",
                        List.of("claude-haiku-4-5", "claude-sonnet-4-5"),
                        25),
                new Caller(
                        token(tenant, "analytics-batch", admin, "analytics", Role.AGENT, actor),
                        "analytics",
                        "google",
                        List.of("gemini-2.5-flash", "gemini-2.5-pro"),
                        12),
                new Caller(
                        token(tenant, "alice-notebook", alice, "search", Role.USER, actor),
                        "search",
                        "demo",
                        List.of("demo"),
                        6));
        // the legacy job ran once a day until it was replaced, then its token was revoked
        Caller legacy = new Caller(
                token(tenant, "legacy-etl", admin, "analytics", Role.AGENT, actor),
                "analytics",
                "openai",
                List.of("gpt-4.1-mini"),
                1);

        Instant now = keeper.clock().instant();
        Instant start = now.truncatedTo(ChronoUnit.HOURS).minus(Duration.ofDays(30));
        Random random = new Random(20261203L);
        int calls = 0;
        for (int day = 0; day < 30; day++) {
            Instant dayStart = start.plus(Duration.ofDays(day));
            boolean weekend =
                    dayStart.atZone(java.time.ZoneOffset.UTC).getDayOfWeek().getValue() >= 6;
            for (Caller c : callers) {
                int n = (int) Math.round(c.perDay() * (weekend ? 0.35 : 1.0) * (0.75 + random.nextDouble() * 0.5));
                for (int i = 0; i < n; i++) {
                    Instant at = dayStart.plusSeconds(workingSecond(random));
                    if (!at.isBefore(now)) {
                        continue;
                    }
                    record(tenant, c.token().info().userId(), c, at, random, calls++);
                }
            }
            if (day < 20) {
                record(tenant, admin.id(), legacy, dayStart.plusSeconds(3 * 3600), random, calls++);
            }
        }
        keeper.tokens().revoke(tenant, legacy.token().info().id(), "replaced by analytics-batch", actor);
        keeper.usage().flush();

        keeper.limits()
                .create(LimitSpec.builder(tenant)
                        .name("tenant monthly spend")
                        .tenantWide()
                        .costUsd(Money.of("250"))
                        .graceUsd(Money.of("25"))
                        .period(LimitPeriod.MONTH)
                        .actor(actor)
                        .build());
        keeper.limits()
                .create(LimitSpec.builder(tenant)
                        .name("search tokens per day")
                        .project("search")
                        .amount(LimitMetric.TOKENS, 2_000_000)
                        .period(LimitPeriod.DAY)
                        .actor(actor)
                        .build());
        keeper.limits()
                .create(LimitSpec.builder(tenant)
                        .name("support-bot requests per day")
                        .token(callers.get(1).token().info().id())
                        .requests(400)
                        .period(LimitPeriod.DAY)
                        .actor(actor)
                        .build());
        keeper.limits()
                .create(LimitSpec.builder(tenant)
                        .name("alice weekly spend")
                        .user(alice.id())
                        .costUsd(Money.of("20"))
                        .period(LimitPeriod.WEEK)
                        .actor(actor)
                        .build());
        LOG.info(
                "Seeded demo data: users alice and bob, 5 tokens, 4 limits and {} calls over the last 30 days"
                        + " (tokenkeeper.demo-data=false turns this off)",
                calls);
        return calls;
    }

    private IssuedToken token(String tenant, String name, User user, String project, Role role, Actor actor) {
        return keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant(tenant)
                        .name(name)
                        .user(user.id())
                        .project(project)
                        .role(role)
                        .allowedProviders(Set.of())
                        .actor(actor)
                        .build());
    }

    /** Mostly office hours (UTC), some at night. */
    private static long workingSecond(Random random) {
        double hour = random.nextDouble() < 0.8 ? 8 + random.nextGaussian() * 2.5 + 5 : random.nextDouble() * 24;
        hour = Math.max(0, Math.min(23.99, hour));
        return (long) (hour * 3600);
    }

    private void record(
            String tenant,
            @org.jspecify.annotations.Nullable String userId,
            Caller c,
            Instant at,
            Random random,
            int n) {
        String model = c.models().get(random.nextInt(c.models().size()));
        double roll = random.nextDouble();
        CallOutcome outcome =
                roll < 0.03 ? CallOutcome.ERROR : roll < 0.04 ? CallOutcome.CANCELLED : CallOutcome.SUCCESS;
        long input = 300 + (long) (random.nextDouble() * random.nextDouble() * 6000);
        long cached = c.provider().equals("demo") || random.nextDouble() < 0.6 ? 0 : input / 2;
        long output = outcome == CallOutcome.ERROR ? 0 : 40 + (long) (random.nextDouble() * 900);
        UsageEvent.Builder event = UsageEvent.builder()
                .requestId("demo-" + n)
                .tenant(tenant)
                .token(c.token().info().id())
                .user(userId)
                .project(c.project())
                .provider(c.provider())
                .model(model)
                .counts(new TokenCounts(input - cached, cached, 0, output, 0))
                .latency(Duration.ofMillis(
                        outcome == CallOutcome.ERROR
                                ? 200 + random.nextInt(800)
                                : 400 + (long) (output * (2 + random.nextDouble() * 6))))
                .outcome(outcome)
                .at(at)
                .metadata("surface", c.provider().equals("anthropic") ? "messages" : "chat_completions");
        if (outcome == CallOutcome.ERROR) {
            event.errorMessage(
                    random.nextBoolean() ? "upstream answered 529: overloaded" : "upstream timed out after 60 s");
        }
        keeper.usage().record(event.build());
    }
}
