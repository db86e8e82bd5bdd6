package dev.tokenkeeper.testkit;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageTotals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks, on your own configuration, that budgets hold under concurrency: threads on one or several
 * {@link TokenKeeper} instances (sharing one database) hammer a nearly exhausted daily token budget
 * with calls that reserve an estimate and then use it, less, or nothing (released). Afterwards it
 * checks what TokenKeeper promises:
 *
 * <ul>
 *   <li>spend stays within amount + grace;
 *   <li>the limit's counter equals the ledger;
 *   <li>no reservation is left behind;
 *   <li>no phantom refusal: exactly the room left is still admitted, and one token more is not.
 * </ul>
 *
 * <pre>{@code
 * BudgetConcurrencyKit.Report r = BudgetConcurrencyKit.builder(List.of(keeper), "acme").build().run();
 * assert r.passed() : r;
 * }</pre>
 *
 * It creates a token and a limit in the tenant (which must exist), records usage with model
 * {@code claude-haiku-4-5} of provider {@code anthropic} (priced in the bundled catalog), and deletes
 * the limit and revokes the token at the end.
 */
public final class BudgetConcurrencyKit {
    private final List<TokenKeeper> keepers;
    private final String tenant;
    private final int threadsPerKeeper;
    private final int callsPerThread;
    private final long amount;
    private final long grace;
    private final long prefill;
    private static final String PROVIDER = "anthropic";
    private static final String MODEL = "claude-haiku-4-5";

    /**
     * The outcome.
     *
     * @param admitted calls admitted during the run
     * @param refused calls refused during the run
     * @param counted what the limit's counter holds afterwards, in tokens
     * @param ledger what the ledger holds for the run's token in the window, in tokens
     * @param cap amount + grace
     * @param openPermits permits left open on all instances afterwards
     * @param roomAdmitted whether a call of exactly the room left was admitted
     * @param beyondRoomRefused whether a call of one token more than the room left was refused
     */
    public record Report(
            long admitted,
            long refused,
            long counted,
            long ledger,
            long cap,
            int openPermits,
            boolean roomAdmitted,
            boolean beyondRoomRefused) {
        /** Whether every promise held. */
        public boolean passed() {
            return counted == ledger
                    && counted <= cap
                    && openPermits == 0
                    && roomAdmitted
                    && beyondRoomRefused
                    && refused > 0;
        }
    }

    private BudgetConcurrencyKit(Builder b) {
        this.keepers = List.copyOf(b.keepers);
        this.tenant = b.tenant;
        this.threadsPerKeeper = b.threadsPerKeeper;
        this.callsPerThread = b.callsPerThread;
        this.amount = b.amount;
        this.grace = b.grace;
        this.prefill = b.prefill;
    }

    public static Builder builder(List<TokenKeeper> keepers, String tenant) {
        return new Builder(keepers, tenant);
    }

    /** Runs the check; takes a few seconds. */
    public Report run() throws InterruptedException {
        TokenKeeper first = keepers.get(0);
        IssuedToken token = first.tokens()
                .issue(TokenSpec.builder()
                        .tenant(tenant)
                        .name("concurrency-kit")
                        .build());
        Limit limit = first.limits()
                .create(LimitSpec.builder(tenant)
                        .name("concurrency-kit")
                        .token(token.info().id())
                        .tokens(amount)
                        .grace(grace)
                        .period(LimitPeriod.DAY)
                        .build());
        try {
            if (prefill > 0) {
                ((Permit) first.authorize(token.secret(), CallRequest.of(PROVIDER, MODEL, prefill, 0)))
                        .complete(TokenCounts.of(prefill, 0), Duration.ZERO);
            }
            AtomicLong admitted = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(keepers.size() * threadsPerKeeper);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> work = new ArrayList<>();
            for (TokenKeeper k : keepers) {
                for (int i = 0; i < threadsPerKeeper; i++) {
                    work.add(pool.submit(() -> {
                        go.await();
                        for (int c = 0; c < callsPerThread; c++) {
                            Admission a = k.authorize(token.secret(), CallRequest.of(PROVIDER, MODEL, 100, 50));
                            if (a instanceof Permit p) {
                                admitted.incrementAndGet();
                                switch (c % 3) {
                                    case 0 -> p.release();
                                    case 1 -> p.complete(TokenCounts.of(100, 50), Duration.ZERO);
                                    default -> p.complete(TokenCounts.of(100, 0), Duration.ZERO);
                                }
                            } else {
                                refused.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
            }
            go.countDown();
            try {
                for (Future<?> f : work) {
                    f.get(5, TimeUnit.MINUTES);
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("a worker of the concurrency kit failed", e);
            } finally {
                pool.shutdownNow();
            }
            int open = 0;
            for (TokenKeeper k : keepers) {
                k.usage().flush();
                open += k.openPermits();
            }
            var usage = first.limits().usage(tenant, limit.id());
            long counted = usage.used();
            UsageTotals t = first.usage()
                    .totals(UsageQuery.builder(
                                    tenant,
                                    usage.window().start(),
                                    requireNonNull(usage.window().end()))
                            .token(token.info().id())
                            .build());
            long ledger = t.inputTokens()
                    + t.cachedInputTokens()
                    + t.cacheWriteTokens()
                    + t.outputTokens()
                    + t.reasoningTokens();
            long room = Math.max(0, amount + grace - counted);
            Admission beyond = first.authorize(token.secret(), CallRequest.of(PROVIDER, MODEL, room + 1, 0));
            if (beyond instanceof Permit p) {
                p.release();
            }
            Admission exact = first.authorize(token.secret(), CallRequest.of(PROVIDER, MODEL, room, 0));
            if (exact instanceof Permit p) {
                p.release();
            }
            return new Report(
                    admitted.get(),
                    refused.get(),
                    counted,
                    ledger,
                    amount + grace,
                    open,
                    exact.allowed(),
                    !beyond.allowed());
        } finally {
            first.limits().delete(tenant, limit.id(), Actor.SYSTEM);
            first.tokens().revoke(tenant, token.info().id());
        }
    }

    /** Builder for {@link BudgetConcurrencyKit}. */
    public static final class Builder {
        private final List<TokenKeeper> keepers;
        private final String tenant;
        private int threadsPerKeeper = 4;
        private int callsPerThread = 200;
        private long amount = 100_000;
        private long grace = 1_000;
        private long prefill = 60_000;

        private Builder(List<TokenKeeper> keepers, String tenant) {
            if (requireNonNull(keepers, "keepers").isEmpty()) {
                throw new IllegalArgumentException("at least one TokenKeeper");
            }
            this.keepers = keepers;
            this.tenant = requireNonNull(tenant, "tenant");
        }

        public Builder threadsPerKeeper(int n) {
            this.threadsPerKeeper = n;
            return this;
        }

        public Builder callsPerThread(int n) {
            this.callsPerThread = n;
            return this;
        }

        /** The daily token budget (amount and grace) and what is used before the threads start. */
        public Builder budget(long budgetAmount, long budgetGrace, long usedBefore) {
            this.amount = budgetAmount;
            this.grace = budgetGrace;
            this.prefill = usedBefore;
            return this;
        }

        public BudgetConcurrencyKit build() {
            return new BudgetConcurrencyKit(this);
        }
    }
}
