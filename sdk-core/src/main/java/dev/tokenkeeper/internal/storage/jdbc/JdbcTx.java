package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.StorageTx;
import org.jdbi.v3.core.Handle;

/** A Jdbi handle, as the opaque unit of work of the JDBC backend. */
record JdbcTx(Handle handle) implements StorageTx {
    static Handle of(StorageTx tx) {
        return ((JdbcTx) tx).handle();
    }
}
