package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.StorageTx;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/** JDBC helpers shared by the stores and the dialects. */
final class Statements {
    private Statements() {}

    interface StatementWork {
        void accept(PreparedStatement ps) throws SQLException;
    }

    interface ChunkWork<T> {
        void accept(PreparedStatement ps, List<T> chunk) throws SQLException;
    }

    /** Runs {@code work} on {@code sql}, prepared once per writer session or else for this call only. */
    static void withStatement(StorageTx tx, String sql, StatementWork work) throws SQLException {
        StatementCache cache = JdbcTx.statements(tx);
        if (cache != null) {
            work.accept(cache.get(sql));
            return;
        }
        try (PreparedStatement ps = JdbcTx.of(tx).getConnection().prepareStatement(sql)) {
            work.accept(ps);
        }
    }

    /**
     * The rows in {@code COPY}'s text format: tab-separated columns, one line per row, {@code \N} for
     * NULL, and backslash, newline, carriage return and tab escaped with a backslash (PostgreSQL
     * documentation, COPY, "Text Format").
     */
    static <T> String copyText(List<T> rows, List<Column<T>> columns) {
        StringBuilder b = new StringBuilder(rows.size() * 64 * columns.size() / 8);
        for (T row : rows) {
            for (int i = 0; i < columns.size(); i++) {
                if (i > 0) {
                    b.append('\t');
                }
                columns.get(i).appendCopyText(b, row);
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The position of a row the statement was given (the database returns only ids it was given). */
    static int index(Map<String, Integer> firstIndex, String id) {
        Integer i = firstIndex.get(id);
        if (i == null) {
            throw new IllegalStateException("the database returned an id it was not given: " + id);
        }
        return i;
    }

    static void markReturned(PreparedStatement ps, Map<String, Integer> firstIndex, boolean[] inserted)
            throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                inserted[index(firstIndex, rs.getString(1))] = true;
            }
        }
    }

    static void exec(StorageTx tx, String sql) throws SQLException {
        withStatement(tx, sql, PreparedStatement::execute);
    }

    static <T> void bind(PreparedStatement ps, List<T> chunk, List<Column<T>> columns) throws SQLException {
        int p = 1;
        int n = columns.size();
        for (int r = 0; r < chunk.size(); r++) {
            T row = chunk.get(r);
            for (int c = 0; c < n; c++) {
                columns.get(c).bind(ps, p++, row);
            }
        }
    }

    static String placeholders(int rows, int params) {
        String row = "(" + "?, ".repeat(params - 1) + "?)";
        StringBuilder b = new StringBuilder(rows * (row.length() + 2));
        for (int i = 0; i < rows; i++) {
            b.append(i == 0 ? "" : ", ").append(row);
        }
        return b.toString();
    }
}
