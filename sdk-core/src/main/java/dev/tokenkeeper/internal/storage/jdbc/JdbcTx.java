package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.StorageTx;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * A Jdbi handle, as the opaque unit of work of the JDBC backend; in a writer session it carries the
 * session's prepared statements.
 */
record JdbcTx(Handle handle, @Nullable StatementCache statements) implements StorageTx {
    JdbcTx(Handle handle) {
        this(handle, null);
    }

    static Handle of(StorageTx tx) {
        return ((JdbcTx) tx).handle();
    }

    /** The statement cache of the writer session {@code tx} runs in, or {@code null}. */
    static @Nullable StatementCache statements(StorageTx tx) {
        return ((JdbcTx) tx).statements();
    }
}
