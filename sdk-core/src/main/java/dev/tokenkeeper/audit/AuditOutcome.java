package dev.tokenkeeper.audit;

/** Whether an audited action succeeded. */
public enum AuditOutcome {
    SUCCESS,
    FAILURE
}
