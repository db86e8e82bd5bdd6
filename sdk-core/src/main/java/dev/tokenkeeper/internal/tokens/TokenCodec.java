package dev.tokenkeeper.internal.tokens;

import java.security.SecureRandom;
import java.util.zip.CRC32;

/**
 * The secret format, modelled on GitHub's: {@code tk_} + 43 base62 characters drawn uniformly
 * from a CSPRNG (43 x log2(62) = 256.03 bits) + a 6-character base62 CRC32 of everything before
 * it. 52 characters in all. The checksum lets a typo or a truncated paste be refused without any
 * I/O, and the prefix lets secret scanners recognise a leaked token.
 */
public final class TokenCodec {
    public static final String PREFIX = "tk_";
    public static final int RANDOM_LENGTH = 43;
    public static final int CHECKSUM_LENGTH = 6;
    public static final int LENGTH = PREFIX.length() + RANDOM_LENGTH + CHECKSUM_LENGTH;
    /** Characters of a secret that may be shown and logged: the prefix and five random characters. */
    public static final int DISPLAY_LENGTH = PREFIX.length() + 5;

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final byte[] INDEX = new byte[128];

    static {
        java.util.Arrays.fill(INDEX, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            INDEX[ALPHABET[i]] = (byte) i;
        }
    }

    private TokenCodec() {}

    /** A new secret from {@code random}. */
    public static String generate(SecureRandom random) {
        char[] out = new char[LENGTH];
        PREFIX.getChars(0, PREFIX.length(), out, 0);
        byte[] buffer = new byte[64];
        int filled = 0;
        while (filled < RANDOM_LENGTH) {
            random.nextBytes(buffer);
            for (int i = 0; i < buffer.length && filled < RANDOM_LENGTH; i++) {
                int v = buffer[i] & 0x3F; // 0..63; rejecting 62 and 63 keeps the draw uniform
                if (v < 62) {
                    out[PREFIX.length() + filled++] = ALPHABET[v];
                }
            }
        }
        long crc = crc(out);
        for (int i = LENGTH - 1; i >= LENGTH - CHECKSUM_LENGTH; i--) {
            out[i] = ALPHABET[(int) (crc % 62)];
            crc /= 62;
        }
        return new String(out);
    }

    /** Whether {@code secret} has the prefix, length, alphabet and checksum of a secret. No I/O. */
    public static boolean isWellFormed(String secret) {
        byte[] ascii = new byte[LENGTH];
        return copyIfShaped(secret, ascii) && checksumMatches(ascii);
    }

    /**
     * Copies {@code secret} into {@code into} (at least {@link #LENGTH} bytes) if it has the length,
     * the prefix and the alphabet of a secret; says whether it did. One pass over its characters.
     */
    static boolean copyIfShaped(String secret, byte[] into) {
        if (secret.length() != LENGTH || !secret.startsWith(PREFIX)) {
            return false;
        }
        for (int i = 0; i < PREFIX.length(); i++) {
            into[i] = (byte) secret.charAt(i);
        }
        for (int i = PREFIX.length(); i < LENGTH; i++) {
            char c = secret.charAt(i);
            if (c >= 128 || INDEX[c] < 0) {
                return false;
            }
            into[i] = (byte) c;
        }
        return true;
    }

    /** Whether the checksum of a secret copied by {@link #copyIfShaped} matches the rest of it. */
    static boolean checksumMatches(byte[] ascii) {
        long expected = 0;
        for (int i = LENGTH - CHECKSUM_LENGTH; i < LENGTH; i++) {
            expected = expected * 62 + INDEX[ascii[i]];
        }
        return expected == crc(ascii);
    }

    /** The part of a secret that may be shown and logged. */
    public static String displayPrefix(String secret) {
        return secret.substring(0, DISPLAY_LENGTH);
    }

    private static long crc(char[] chars) {
        byte[] bytes = new byte[LENGTH - CHECKSUM_LENGTH];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) chars[i];
        }
        return crc(bytes);
    }

    /** The CRC32 of a secret's characters before its checksum, given as ASCII bytes. */
    private static long crc(byte[] ascii) {
        CRC32 crc = new CRC32();
        crc.update(ascii, 0, LENGTH - CHECKSUM_LENGTH);
        return crc.getValue();
    }
}
