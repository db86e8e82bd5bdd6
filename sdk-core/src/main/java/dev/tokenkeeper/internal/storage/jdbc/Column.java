package dev.tokenkeeper.internal.storage.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * One column of a bulk write: its name, its type and how to read it from a row, so that the
 * multi-row {@code VALUES} of SQLite and the per-column arrays of PostgreSQL come from one list.
 */
record Column<T>(
        String name,
        Kind kind,
        @Nullable Function<T, @Nullable String> text,
        @Nullable ToLongFunction<T> number) {

    enum Kind {
        TEXT("text"),
        INT8("int8");

        private final String pgType;

        Kind(String pgType) {
            this.pgType = pgType;
        }

        String pgType() {
            return pgType;
        }
    }

    static <T> Column<T> text(String name, Function<T, @Nullable String> get) {
        return new Column<>(name, Kind.TEXT, get, null);
    }

    static <T> Column<T> int8(String name, ToLongFunction<T> get) {
        return new Column<>(name, Kind.INT8, null, get);
    }

    static String names(List<? extends Column<?>> columns) {
        return columns.stream().map(Column::name).collect(Collectors.joining(", "));
    }

    @SuppressWarnings("NullAway")
    void bind(PreparedStatement ps, int index, T row) throws SQLException {
        if (kind == Kind.INT8) {
            ps.setLong(index, number.applyAsLong(row));
        } else {
            ps.setString(index, text.apply(row));
        }
    }

    /** Appends this column of {@code row} in the text format of PostgreSQL's {@code COPY}. */
    @SuppressWarnings("NullAway")
    void appendCopyText(StringBuilder b, T row) {
        if (kind == Kind.INT8) {
            b.append(number.applyAsLong(row));
            return;
        }
        String value = text.apply(row);
        if (value == null) {
            b.append("\\N");
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(ch);
            }
        }
    }

    /** This column of every row, as the elements of a SQL array. */
    @SuppressWarnings("NullAway")
    Object[] column(List<T> rows) {
        if (kind == Kind.INT8) {
            Long[] values = new Long[rows.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = number.applyAsLong(rows.get(i));
            }
            return values;
        }
        String[] values = new String[rows.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = text.apply(rows.get(i));
        }
        return values;
    }
}
