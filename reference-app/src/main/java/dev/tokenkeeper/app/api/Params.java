package dev.tokenkeeper.app.api;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/** Parsing of request parameters and body fields, with a 400 problem naming the field when malformed. */
final class Params {
    private Params() {}

    /** An ISO-8601 instant, or {@code null} when absent. */
    static @Nullable Instant instant(String field, @Nullable String value) {
        try {
            return value == null ? null : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw TokenController.badRequest(field, "must be an ISO-8601 instant such as 2026-11-01T00:00:00Z");
        }
    }

    /** An ISO-8601 instant, or {@code fallback} when absent. */
    static Instant instant(String field, @Nullable String value, Instant fallback) {
        Instant parsed = instant(field, value);
        return parsed == null ? fallback : parsed;
    }
}
