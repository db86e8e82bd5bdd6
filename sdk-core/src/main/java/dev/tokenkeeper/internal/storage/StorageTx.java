package dev.tokenkeeper.internal.storage;

/** An open unit of work handed to the store methods; opaque outside the backend that made it. */
public interface StorageTx {}
