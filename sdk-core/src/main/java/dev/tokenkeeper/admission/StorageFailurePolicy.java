package dev.tokenkeeper.admission;

/**
 * What {@code authorize} does when the limits or budget counters a call needs cannot be read because
 * the database does not answer. Limits and counters already in memory keep working either way: the
 * policy only decides for the calls that need the database.
 */
public enum StorageFailurePolicy {
    /** Refuse with {@link DenialReason#STORAGE_UNAVAILABLE} (the default): no call escapes a budget. */
    FAIL_CLOSED,
    /** Admit without checking budgets or rate limits; {@link Permit#limitsChecked()} is false. */
    FAIL_OPEN
}
