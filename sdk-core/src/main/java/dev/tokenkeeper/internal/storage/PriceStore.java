package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.pricing.ModelPrice;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Prices set at runtime ({@code tk_prices}); provider and model ids are stored in lower case. */
public interface PriceStore {
    List<ModelPrice> list(StorageTx tx);

    Optional<ModelPrice> find(StorageTx tx, String provider, String model, Instant effectiveFrom);

    /** Inserts or replaces the price of its (provider, model, effective instant). */
    void upsert(StorageTx tx, ModelPrice price, long updatedAt, String updatedBy);

    boolean delete(StorageTx tx, String provider, String model, Instant effectiveFrom);
}
