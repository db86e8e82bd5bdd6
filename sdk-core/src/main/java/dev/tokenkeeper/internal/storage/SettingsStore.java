package dev.tokenkeeper.internal.storage;

import java.util.Optional;

/** Key-value settings that belong to the schema, such as the secret-hashing scheme. */
public interface SettingsStore {
    Optional<String> find(StorageTx tx, String key);

    /** Inserts unless the key exists; returns whether it inserted. */
    boolean insertIfAbsent(StorageTx tx, String key, String value);
}
