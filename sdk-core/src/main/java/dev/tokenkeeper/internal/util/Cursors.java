package dev.tokenkeeper.internal.util;

import dev.tokenkeeper.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded. */
public final class Cursors {
    private static final char SEPARATOR = '\n';

    private Cursors() {}

    public static String encode(String... parts) {
        String joined = String.join(String.valueOf(SEPARATOR), parts);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(joined.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes a cursor made by {@link #encode} with {@code count} parts. */
    public static String[] decode(String cursor, int count) {
        try {
            String joined = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            String[] parts = joined.split(String.valueOf(SEPARATOR), -1);
            if (parts.length == count) {
                return parts;
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw new InvalidRequestException("cursor", "is not a cursor returned by this listing");
    }

    public static long decodeLong(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("cursor", "is not a cursor returned by this listing");
        }
    }
}
