package dev.tokenkeeper.limits;

/**
 * Receives limit alerts. Register with {@code TokenKeeper.builder().limitAlertListener(..)}, or as a
 * service provider ({@code META-INF/services/dev.tokenkeeper.limits.LimitAlertListener}), which
 * TokenKeeper loads with {@link java.util.ServiceLoader}. Alerts are delivered on the ledger's
 * writer thread right after the usage that caused them is committed: return quickly (hand slow work
 * to an executor). An exception thrown here is logged and does not affect recording.
 */
@FunctionalInterface
public interface LimitAlertListener {
    void onAlert(LimitAlert alert);
}
