package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.audit.Auditor;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.LimitStore;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.limits.LimitAlertListener;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitWindow;
import dev.tokenkeeper.pricing.Money;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threshold crossings, found by the ledger's writer from the counters' totals before and after a
 * batch, recorded in {@code tk_limit_alerts} and the audit log in the batch's transaction (so each
 * fires once per limit, window and threshold, on whichever instance commits the crossing), and
 * announced to the listeners after the commit.
 */
public final class LimitAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(LimitAlerts.class);

    private final Storage storage;
    private final Auditor auditor;
    private final Clock clock;
    private final List<LimitAlertListener> listeners;

    public LimitAlerts(Storage storage, Auditor auditor, Clock clock, List<LimitAlertListener> listeners) {
        this.storage = storage;
        this.auditor = auditor;
        this.clock = clock;
        this.listeners = List.copyOf(listeners);
    }

    /** Inside the writer's transaction: records the crossings of this batch; returns them for {@link #announce}. */
    public List<LimitAlert> crossings(
            StorageTx tx, SortedMap<LimitCharge.Key, Long> increments, Map<LimitCharge.Key, Long> totals) {
        if (increments.isEmpty()) {
            return List.of();
        }
        Map<String, LimitStore.AlertRule> rules = storage.limits().alertRules(tx, limitIds(increments.keySet()));
        // the usual batch crosses nothing: whole limits are read only for the charges that cross
        Map<LimitCharge.Key, long[]> crossing = new LinkedHashMap<>(); // before, after
        for (var e : increments.entrySet()) {
            LimitStore.AlertRule rule = rules.get(e.getKey().limitId());
            if (rule == null) {
                continue; // deleted meanwhile
            }
            long after = totals.getOrDefault(e.getKey(), 0L);
            long before = after - e.getValue();
            if (crosses(rule.amount(), rule.grace(), rule.thresholds(), before, after)) {
                crossing.put(e.getKey(), new long[] {before, after});
            }
        }
        if (crossing.isEmpty()) {
            return List.of();
        }
        Map<String, Limit> limits = new HashMap<>();
        for (Limit l : storage.limits().findByIds(tx, limitIds(crossing.keySet()))) {
            limits.put(l.id(), l);
        }
        long now = clock.millis();
        List<LimitAlert> alerts = new ArrayList<>();
        for (var e : crossing.entrySet()) {
            Limit l = limits.get(e.getKey().limitId());
            if (l == null) {
                continue; // deleted meanwhile
            }
            long before = e.getValue()[0];
            long after = e.getValue()[1];
            LimitWindow w = l.windowAt(Instant.ofEpochMilli(e.getKey().windowStart()));
            for (int percent : l.alertThresholds()) {
                if (crossesLevel(level(l.amount(), percent), before, after)) {
                    fire(tx, alerts, l, w, LimitAlert.Kind.THRESHOLD, percent, Integer.toString(percent), after, now);
                }
            }
            if (intoGrace(l.amount(), l.grace(), before, after)) {
                fire(tx, alerts, l, w, LimitAlert.Kind.GRACE, 0, "grace", after, now);
            }
        }
        return alerts;
    }

    /** Whether usage going from {@code before} to {@code after} crosses an alert level or the amount into grace. */
    private static boolean crosses(long amount, long grace, List<Integer> thresholds, long before, long after) {
        for (int percent : thresholds) {
            if (crossesLevel(level(amount, percent), before, after)) {
                return true;
            }
        }
        return intoGrace(amount, grace, before, after);
    }

    private static boolean crossesLevel(long level, long before, long after) {
        return before < level && after >= level;
    }

    private static boolean intoGrace(long amount, long grace, long before, long after) {
        return grace > 0 && before <= amount && after > amount;
    }

    private static List<String> limitIds(Collection<LimitCharge.Key> keys) {
        return keys.stream().map(LimitCharge.Key::limitId).distinct().toList();
    }

    private void fire(
            StorageTx tx,
            List<LimitAlert> alerts,
            Limit l,
            LimitWindow w,
            LimitAlert.Kind kind,
            int percent,
            String threshold,
            long used,
            long now) {
        if (!storage.counters().insertAlert(tx, l.id(), w.start().toEpochMilli(), threshold, used, now)) {
            return;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("threshold", kind == LimitAlert.Kind.GRACE ? "grace" : percent + "%");
        meta.put("used", quantity(l, used));
        meta.put("amount", quantity(l, l.amount()));
        meta.put("window_start", w.start().toString());
        if (w.end() != null) {
            meta.put("window_end", w.end().toString());
        }
        auditor.record(
                tx, l.tenantId(), Actor.SYSTEM, AuditAction.LIMIT_ALERT, "limit", l.id(), AuditOutcome.SUCCESS, meta);
        alerts.add(new LimitAlert(l, w, kind, percent, used, Instant.ofEpochMilli(now)));
    }

    /** After the commit: tells the listeners. */
    public void announce(List<LimitAlert> alerts) {
        for (LimitAlert a : alerts) {
            for (LimitAlertListener listener : listeners) {
                try {
                    listener.onAlert(a);
                } catch (RuntimeException e) {
                    LOG.warn(
                            "TokenKeeper: limit alert listener {} failed",
                            listener.getClass().getName(),
                            e);
                }
            }
        }
    }

    /** The smallest usage that is at least {@code percent} % of {@code amount}, exactly (saturating). */
    static long level(long amount, int percent) {
        long q = amount / 100;
        long r = amount % 100;
        if (q > (Long.MAX_VALUE - 100) / percent) {
            return Long.MAX_VALUE;
        }
        return q * percent + (r * percent + 99) / 100;
    }

    private static String quantity(Limit l, long units) {
        return l.metric() == LimitMetric.COST_USD ? Money.ofPicos(units).toString() : Long.toString(units);
    }
}
