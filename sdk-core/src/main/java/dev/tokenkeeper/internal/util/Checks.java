package dev.tokenkeeper.internal.util;

import dev.tokenkeeper.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Argument checks shared by the public value types. Every failure names the field. */
public final class Checks {
    public static final int MAX_ID_LENGTH = 128;
    public static final int MAX_NAME_LENGTH = 128;
    public static final int MAX_METADATA_ENTRIES = 32;
    public static final int MAX_METADATA_BYTES = 8192;
    public static final int MAX_METADATA_VALUE_LENGTH = 1024;
    public static final int MAX_SET_SIZE = 64;
    public static final int MAX_PAGE_SIZE = 1000;

    private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9:._*/-]{1,64}");
    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:._/@+-]{0,127}\\*?");
    private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    /** The earliest instant TokenKeeper stores: the Unix epoch. */
    public static final java.time.Instant MIN_INSTANT = java.time.Instant.EPOCH;
    /** The latest instant TokenKeeper stores: the end of year 9999. */
    public static final java.time.Instant MAX_INSTANT = java.time.Instant.parse("9999-12-31T23:59:59.999Z");

    private Checks() {}

    /**
     * An instant TokenKeeper can store and compute with: from {@link #MIN_INSTANT} to
     * {@link #MAX_INSTANT}; {@code null} passes.
     */
    public static java.time.@Nullable Instant instant(String field, java.time.@Nullable Instant value) {
        if (value != null && (value.isBefore(MIN_INSTANT) || value.isAfter(MAX_INSTANT))) {
            throw new InvalidRequestException(field, "must be between " + MIN_INSTANT + " and " + MAX_INSTANT);
        }
        return value;
    }

    public static <T> T required(String field, @Nullable T value) {
        if (value == null) {
            throw new InvalidRequestException(field, "is required");
        }
        return value;
    }

    /** A page size: 1 to {@value #MAX_PAGE_SIZE}. */
    public static int pageLimit(String field, int limit) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new InvalidRequestException(field, "must be between 1 and " + MAX_PAGE_SIZE + ", was " + limit);
        }
        return limit;
    }

    public static String tenantId(String field, @Nullable String raw) {
        String id = required(field, raw);
        int n = id.length();
        boolean ok = n >= 1 && n <= 64 && (isAsciiLetterOrDigit(id.charAt(0)) || id.charAt(0) == '_');
        for (int i = 1; ok && i < n; i++) {
            char c = id.charAt(i);
            ok = isAsciiLetterOrDigit(c) || c == '.' || c == '_' || c == '-';
        }
        if (!ok) {
            throw new InvalidRequestException(
                    field, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return id;
    }

    /** An opaque identifier: 1 to 128 characters, no control characters, no surrounding blanks. */
    public static String identifier(String field, @Nullable String raw) {
        String id = required(field, raw);
        if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            throw new InvalidRequestException(field, "must be 1 to " + MAX_ID_LENGTH + " characters");
        }
        if (Character.isWhitespace(id.charAt(0)) || Character.isWhitespace(id.charAt(id.length() - 1))) {
            throw new InvalidRequestException(field, "must not start or end with white space");
        }
        noControl(field, id);
        return id;
    }

    /** {@link #identifier} when present; {@code null} passes. */
    public static @Nullable String optionalIdentifier(String field, @Nullable String id) {
        return id == null ? null : identifier(field, id);
    }

    /** A display name: trimmed, 1 to 128 characters, no control characters. */
    public static String name(String field, @Nullable String raw) {
        String trimmed = required(field, raw).strip();
        if (trimmed.isEmpty()) {
            throw new InvalidRequestException(field, "must not be blank");
        }
        if (trimmed.length() > MAX_NAME_LENGTH) {
            throw new InvalidRequestException(field, "must be at most " + MAX_NAME_LENGTH + " characters");
        }
        noControl(field, trimmed);
        return trimmed;
    }

    public static String text(String field, String text, int max) {
        if (text.length() > max) {
            throw new InvalidRequestException(field, "must be at most " + max + " characters");
        }
        noControl(field, text);
        return text;
    }

    public static Set<String> scopes(String field, Set<String> values) {
        return matching(field, values, SCOPE, "1 to 64 letters, digits or ':._*/-'");
    }

    public static Set<String> providers(String field, Set<String> values) {
        return matching(field, values, PROVIDER, "a lower-case provider id such as 'openai'");
    }

    public static Set<String> models(String field, Set<String> values) {
        return matching(field, values, MODEL, "a model name, optionally ending in '*'");
    }

    /** One provider id: the same rule as {@link #providers}, without a regular expression. */
    public static String provider(String field, @Nullable String raw) {
        String value = required(field, raw);
        int n = value.length();
        boolean ok = n >= 1 && n <= 64 && isLowerOrDigit(value.charAt(0));
        for (int i = 1; ok && i < n; i++) {
            char c = value.charAt(i);
            ok = isLowerOrDigit(c) || c == '.' || c == '_' || c == '-';
        }
        if (!ok) {
            throw new InvalidRequestException(
                    field, "'" + value + "' is not a lower-case provider id such as 'openai'");
        }
        return value;
    }

    /** One model id (no pattern): the same rule as {@link #models} without the trailing '*'. */
    public static String model(String field, @Nullable String raw) {
        String value = required(field, raw);
        int n = value.length();
        boolean ok = n >= 1 && n <= 128 && isAsciiLetterOrDigit(value.charAt(0));
        for (int i = 1; ok && i < n; i++) {
            char c = value.charAt(i);
            ok = isAsciiLetterOrDigit(c)
                    || c == ':'
                    || c == '.'
                    || c == '_'
                    || c == '/'
                    || c == '@'
                    || c == '+'
                    || c == '-';
        }
        if (!ok) {
            throw new InvalidRequestException(field, "'" + value + "' is not a model name");
        }
        return value;
    }

    private static boolean isLowerOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** A call's latency: between 0 and one day. */
    public static Duration latency(String field, @Nullable Duration latency) {
        Duration d = required(field, latency);
        if (d.isNegative() || d.compareTo(Duration.ofDays(1)) > 0) {
            throw new InvalidRequestException(field, "must be between 0 and 1 day, was " + d);
        }
        return d;
    }

    /** {@code text} cut to at most {@code max} characters. */
    public static @Nullable String truncated(@Nullable String text, int max) {
        return text != null && text.length() > max ? text.substring(0, max) : text;
    }

    /**
     * A usage event's metadata, checked, with its run id under {@code runKey} when it has one; a
     * different run id already under that key is refused.
     */
    public static Map<String, String> eventMetadata(
            String field, Map<String, String> metadata, String runKey, @Nullable String runId) {
        if (runId != null && !runId.equals(metadata.getOrDefault(runKey, runId))) {
            throw new InvalidRequestException(
                    field,
                    "'" + runKey + "' is set by runId; it says '" + metadata.get(runKey) + "', runId says '" + runId
                            + "'");
        }
        if (runId != null && !metadata.containsKey(runKey)) {
            Map<String, String> withRun = new LinkedHashMap<>(metadata);
            withRun.put(runKey, runId);
            metadata = withRun;
        }
        return metadata(field, metadata);
    }

    public static Map<String, String> metadata(String field, Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return Map.of();
        }
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            throw new InvalidRequestException(field, "must have at most " + MAX_METADATA_ENTRIES + " entries");
        }
        int bytes = 0;
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key == null || !METADATA_KEY.matcher(key).matches()) {
                throw new InvalidRequestException(field, "key '" + key + "' must be 1 to 64 letters, digits or '._:-'");
            }
            if (value == null) {
                throw new InvalidRequestException(field, "value of '" + key + "' is required");
            }
            if (value.length() > MAX_METADATA_VALUE_LENGTH) {
                throw new InvalidRequestException(
                        field, "value of '" + key + "' must be at most " + MAX_METADATA_VALUE_LENGTH + " characters");
            }
            bytes += key.length() + value.getBytes(StandardCharsets.UTF_8).length;
            copy.put(key, value);
        }
        if (bytes > MAX_METADATA_BYTES) {
            throw new InvalidRequestException(field, "must be at most " + MAX_METADATA_BYTES + " bytes in all");
        }
        return Collections.unmodifiableMap(copy);
    }

    private static Set<String> matching(String field, Set<String> values, Pattern pattern, String expected) {
        if (values.size() > MAX_SET_SIZE) {
            throw new InvalidRequestException(field, "must have at most " + MAX_SET_SIZE + " entries");
        }
        Set<String> copy = new LinkedHashSet<>();
        for (String v : values) {
            if (v == null || !pattern.matcher(v).matches()) {
                throw new InvalidRequestException(field, "'" + v + "' is not " + expected);
            }
            copy.add(v);
        }
        return Collections.unmodifiableSet(copy);
    }

    /** No control characters, and no surrogate without its pair (text that is not Unicode). */
    private static void noControl(String field, String value) {
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x7F) {
                continue; // printable ASCII, nearly every character of an id
            }
            if (Character.isISOControl(c)) {
                throw new InvalidRequestException(field, "must not contain control characters");
            }
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidRequestException(field, "must be valid Unicode (a surrogate without its pair)");
            }
        }
    }
}
