package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.StorageBackend;
import dev.tokenkeeper.internal.storage.StorageTx;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** SQLite: one writer at a time, multi-row {@code VALUES} for bulk writes. */
final class SqliteDialect implements Dialect {
    /**
     * Rows per multi-row statement, largest first. A batch is cut greedily into these sizes, so a
     * writer session prepares at most five statements per table, whatever its batch sizes.
     */
    static final int[] CHUNKS = {500, 100, 20, 5, 1};

    private record SqlKey(String head, String tail, int rows) {}

    /** Statement texts by head, tail and row count, built once. */
    private final ConcurrentHashMap<SqlKey, String> sql = new ConcurrentHashMap<>();

    @Override
    public StorageBackend backend() {
        return StorageBackend.SQLITE;
    }

    @Override
    public boolean serializesWriters() {
        return true;
    }

    @Override
    public String lockForUpdate() {
        return ""; // the transaction is the only writer
    }

    private String sql(String head, String tail, int rows, int params) {
        return sql.computeIfAbsent(
                new SqlKey(head, tail, rows), k -> head + "VALUES " + Statements.placeholders(rows, params) + tail);
    }

    @Override
    public <T> void bulkWrite(
            StorageTx tx, List<T> rows, List<Column<T>> columns, String head, String tail, Statements.ChunkWork<T> work)
            throws SQLException {
        int from = 0;
        for (int size : CHUNKS) {
            if (rows.size() - from < size) {
                continue;
            }
            String text = sql(head, tail, size, columns.size());
            for (; rows.size() - from >= size; from += size) {
                List<T> chunk = rows.subList(from, from + size);
                Statements.withStatement(tx, text, ps -> {
                    Statements.bind(ps, chunk, columns);
                    work.accept(ps, chunk);
                });
            }
        }
    }

    /**
     * Multi-row {@code VALUES} without {@code RETURNING}, which costs SQLite a fifth of the insert
     * time, inside a savepoint: when the count of rows inserted shows a duplicate (a rare retry), the
     * chunk is rolled back and run again with {@code RETURNING}.
     */
    @Override
    public <T> void insertNew(
            StorageTx tx,
            List<T> unique,
            List<Column<T>> columns,
            String table,
            String head,
            String conflictTail,
            Map<String, Integer> firstIndex,
            Function<T, String> id,
            boolean[] inserted)
            throws SQLException {
        bulkWrite(tx, unique, columns, head, conflictTail, (ps, chunk) -> {
            Statements.exec(tx, "SAVEPOINT tk_events");
            if (ps.executeUpdate() == chunk.size()) {
                Statements.exec(tx, "RELEASE tk_events");
                for (T r : chunk) {
                    inserted[Statements.index(firstIndex, id.apply(r))] = true;
                }
                return;
            }
            Statements.exec(tx, "ROLLBACK TO tk_events");
            Statements.exec(tx, "RELEASE tk_events");
            Statements.withStatement(
                    tx, sql(head, conflictTail + " RETURNING id", chunk.size(), columns.size()), again -> {
                        Statements.bind(again, chunk, columns);
                        Statements.markReturned(again, firstIndex, inserted);
                    });
        });
    }
}
