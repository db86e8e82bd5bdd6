package dev.tokenkeeper.internal.storage.jdbc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

/**
 * A WHERE clause made of conditions, each written once together with the values it binds, so that
 * an optional filter cannot be appended without its parameter (or bound without its condition).
 */
final class Conditions {
    private final List<String> clauses = new ArrayList<>();
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, List<?>> lists = new LinkedHashMap<>();

    /** A condition that binds nothing, or whose values are added with {@link #value}. */
    Conditions where(String clause) {
        clauses.add(clause);
        return this;
    }

    /** A condition binding one named value. */
    Conditions where(String clause, String name, Object value) {
        clauses.add(clause);
        values.put(name, value);
        return this;
    }

    /** {@code column = :name}, only when {@code value} is present. */
    Conditions equal(String column, String name, @Nullable Object value) {
        return value == null ? this : where(column + " = :" + name, name, value);
    }

    /** A condition binding one named value, only when {@code value} is present. */
    Conditions whereIf(@Nullable Object value, String clause, String name) {
        return value == null ? this : where(clause, name, value);
    }

    Conditions value(String name, Object value) {
        values.put(name, value);
        return this;
    }

    /** A list for a {@code <name>} placeholder. */
    Conditions list(String name, List<?> values) {
        lists.put(name, values);
        return this;
    }

    /** {@code " WHERE a AND b ..."}. */
    String sql() {
        return " WHERE " + String.join(" AND ", clauses);
    }

    Query bind(Query query) {
        values.forEach(query::bind);
        lists.forEach(query::bindList);
        return query;
    }
}
