package dev.tokenkeeper.spring;

import dev.tokenkeeper.TokenKeeperListener;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.DenialReason;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters of what a {@link dev.tokenkeeper.TokenKeeper} decides and records, registered
 * as a {@link TokenKeeperListener}. Two follow the OpenTelemetry semantic conventions for generative
 * AI client metrics (status: development), with their attributes {@code gen_ai.operation.name}
 * ({@code chat}), {@code gen_ai.provider.name} and {@code gen_ai.request.model}:
 *
 * <ul>
 *   <li>{@code gen_ai.client.token.usage} (histogram, tokens per call) with {@code gen_ai.token.type}
 *       {@code input} (uncached, cached and cache-write input) or {@code output} (output and
 *       reasoning), on the bucket boundaries the convention gives;
 *   <li>{@code gen_ai.client.operation.duration} (timer, seconds) with {@code error.type}: {@code error}
 *       or {@code cancelled}, and {@code none} for a call that succeeded (the convention leaves the
 *       attribute out then; Prometheus needs every series of a name to carry the same tags). A call
 *       recorded without a latency (zero) is not timed.
 * </ul>
 *
 * TokenKeeper's own:
 *
 * <ul>
 *   <li>{@code tokenkeeper.decisions} (counter) with {@code check} = {@code call} (authorize) or
 *       {@code request} (the filter's per-request check), {@code outcome} = {@code allowed} or
 *       {@code denied}, and {@code reason} (the denial reason in lower case, or {@code none});
 *   <li>{@code tokenkeeper.cost} (counter, USD) by provider and model: the exact cost recorded;
 *   <li>{@code tokenkeeper.limit.alerts} (counter) with {@code kind} ({@code threshold} or
 *       {@code grace}) and {@code threshold} (percent, 0 for grace).
 * </ul>
 *
 * Meters are created once per provider, model and outcome and reused, so a decision costs one
 * counter increment.
 */
public class TokenKeeperCallMetrics implements TokenKeeperListener, MeterBinder {
    /** The bucket boundaries that the convention gives for {@code gen_ai.client.token.usage}. */
    static final double[] TOKEN_BUCKETS = {
        1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
    };
    /** The bucket boundaries (seconds) that the convention gives for {@code gen_ai.client.operation.duration}. */
    static final double[] DURATION_BUCKETS = {
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
    };

    private static final String OPERATION = "chat";
    private static final BigDecimal PICOS_PER_USD = BigDecimal.TEN.pow(12);

    private final List<Bound> registries = new CopyOnWriteArrayList<>();

    @Override
    public void bindTo(MeterRegistry registry) {
        registries.add(new Bound(registry));
    }

    @Override
    public void onAuthorize(CallRequest call, Admission admission) {
        for (Bound b : registries) {
            b.decision(b.call, admission instanceof Denial d ? d.reason() : null);
        }
    }

    @Override
    public void onRequestCheck(RequestAdmission admission) {
        Denial d = admission.denial();
        for (Bound b : registries) {
            b.decision(b.request, d == null ? null : d.reason());
        }
    }

    @Override
    public void onUsage(UsageEvent event, RecordedUsage recorded) {
        if (event.outcome() == CallOutcome.DENIED) {
            return; // never reached the provider: no tokens, no duration
        }
        for (Bound b : registries) {
            b.usage(event, recorded);
        }
    }

    @Override
    public void onAlert(LimitAlert alert) {
        for (Bound b : registries) {
            b.registry
                    .counter(
                            "tokenkeeper.limit.alerts",
                            "kind",
                            alert.kind().name().toLowerCase(Locale.ROOT),
                            "threshold",
                            Integer.toString(alert.thresholdPercent()))
                    .increment();
        }
    }

    /** Decisions of one kind: one counter for allowed, one per denial reason. */
    private record Decisions(Counter allowed, Map<DenialReason, Counter> denied) {
        static Decisions of(MeterRegistry registry, String check) {
            Map<DenialReason, Counter> denied = new EnumMap<>(DenialReason.class);
            for (DenialReason r : DenialReason.values()) {
                denied.put(
                        r, decisionCounter(registry, check, "denied", r.name().toLowerCase(Locale.ROOT)));
            }
            return new Decisions(decisionCounter(registry, check, "allowed", "none"), denied);
        }

        private static Counter decisionCounter(MeterRegistry registry, String check, String outcome, String reason) {
            return Counter.builder("tokenkeeper.decisions")
                    .description("TokenKeeper's admission decisions")
                    .tag("check", check)
                    .tag("outcome", outcome)
                    .tag("reason", reason)
                    .register(registry);
        }
    }

    private record ModelKey(String provider, String model) {}

    /** The meters of one provider and model. */
    private static final class ModelMeters {
        final DistributionSummary input;
        final DistributionSummary output;
        final Counter cost;
        final Map<String, Timer> durations = new ConcurrentHashMap<>();
        final MeterRegistry registry;
        final ModelKey key;

        ModelMeters(MeterRegistry registry, ModelKey key) {
            this.registry = registry;
            this.key = key;
            this.input = tokens(registry, key, "input");
            this.output = tokens(registry, key, "output");
            this.cost = Counter.builder("tokenkeeper.cost")
                    .baseUnit("usd")
                    .description("exact cost recorded")
                    .tag("gen_ai.provider.name", key.provider())
                    .tag("gen_ai.request.model", key.model())
                    .register(registry);
        }

        private static DistributionSummary tokens(MeterRegistry registry, ModelKey key, String type) {
            return DistributionSummary.builder("gen_ai.client.token.usage")
                    .description("Measures number of input and output tokens used")
                    .tag("gen_ai.operation.name", OPERATION)
                    .tag("gen_ai.provider.name", key.provider())
                    .tag("gen_ai.request.model", key.model())
                    .tag("gen_ai.token.type", type)
                    .serviceLevelObjectives(TOKEN_BUCKETS)
                    .register(registry);
        }

        Timer duration(String errorType) {
            return durations.computeIfAbsent(errorType, e -> {
                Duration[] slos = new Duration[DURATION_BUCKETS.length];
                for (int i = 0; i < slos.length; i++) {
                    slos[i] = Duration.ofNanos(Math.round(DURATION_BUCKETS[i] * 1e9));
                }
                return Timer.builder("gen_ai.client.operation.duration")
                        .description("GenAI operation duration")
                        .tag("gen_ai.operation.name", OPERATION)
                        .tag("gen_ai.provider.name", key.provider())
                        .tag("gen_ai.request.model", key.model())
                        .tag("error.type", e)
                        .serviceLevelObjectives(slos)
                        .register(registry);
            });
        }
    }

    /** The meters in one registry. */
    private static final class Bound {
        final MeterRegistry registry;
        final Decisions call;
        final Decisions request;
        final Map<ModelKey, ModelMeters> models = new ConcurrentHashMap<>();

        Bound(MeterRegistry registry) {
            this.registry = registry;
            this.call = Decisions.of(registry, "call");
            this.request = Decisions.of(registry, "request");
        }

        void decision(Decisions d, @Nullable DenialReason denied) {
            (denied == null
                            ? d.allowed()
                            : java.util.Objects.requireNonNull(d.denied().get(denied)))
                    .increment();
        }

        void usage(UsageEvent event, RecordedUsage recorded) {
            ModelKey key = new ModelKey(event.provider(), event.model());
            ModelMeters m = models.get(key);
            if (m == null) {
                m = models.computeIfAbsent(key, k -> new ModelMeters(registry, k));
            }
            TokenCounts c = event.counts();
            m.input.record((double) (c.input() + c.cachedInput() + c.cacheWrite())); // exact below 2^53 tokens
            m.output.record((double) (c.output() + c.reasoning()));
            m.cost.increment(new BigDecimal(recorded.cost().total().toPicos())
                    .divide(PICOS_PER_USD)
                    .doubleValue());
            if (!event.latency().isZero()) {
                String errorType = switch (event.outcome()) {
                    case SUCCESS, DENIED -> "none";
                    case ERROR -> "error";
                    case CANCELLED -> "cancelled";
                };
                m.duration(errorType).record(event.latency());
            }
        }
    }
}
