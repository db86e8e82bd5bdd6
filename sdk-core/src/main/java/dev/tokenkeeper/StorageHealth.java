package dev.tokenkeeper;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The result of a storage round trip made by {@link TokenKeeper#storageHealth()}.
 *
 * @param up whether the database answered
 * @param backend the database
 * @param schemaVersion the applied migration version, or {@code null} when unknown
 * @param latency how long the round trip took
 * @param error a short description of the failure when {@code up} is false
 */
public record StorageHealth(
        boolean up,
        StorageBackend backend,
        @Nullable String schemaVersion,
        Duration latency,
        @Nullable String error) {}
