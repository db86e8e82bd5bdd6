package dev.tokenkeeper;

import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.limits.LimitAlertListener;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageEvent;

/**
 * Observes what a {@link TokenKeeper} decides and records: the hook for metrics (the Spring Boot
 * starter's Micrometer meters are one) and for logging of your own. Register with
 * {@code TokenKeeper.builder().listener(..)} or as a service provider
 * ({@code META-INF/services/dev.tokenkeeper.TokenKeeperListener}). Every method has an empty default.
 *
 * <p>{@link #onAuthorize} and {@link #onRequestCheck} run on the caller's thread, inside the call
 * they observe, and {@link #onUsage} on the thread that records: return in well under a microsecond
 * (count, don't log synchronously). Alerts arrive on the ledger's writer thread. An exception thrown
 * here is logged and changes nothing of the decision or the recording.
 */
public interface TokenKeeperListener {

    /** An {@code authorize} decision: a permit, or a denial with its reason. */
    default void onAuthorize(CallRequest call, Admission admission) {}

    /** A {@code checkRequest} decision (the servlet filter's per-request check). */
    default void onRequestCheck(RequestAdmission admission) {}

    /** An event accepted for the ledger, with its exact cost (queued or, in synchronous mode, committed). */
    default void onUsage(UsageEvent event, RecordedUsage recorded) {}

    /** A limit alert: a threshold crossed, once per limit, window and threshold (as {@link LimitAlertListener} receives it). */
    default void onAlert(LimitAlert alert) {}
}
