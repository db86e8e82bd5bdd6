package dev.tokenkeeper.internal.util;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * SipHash-2-4 with a 128-bit output: a keyed pseudorandom function of short inputs, by Jean-Philippe
 * Aumasson and Daniel J. Bernstein ("SipHash: a fast short-input PRF", 2012), written after the
 * reference implementation (github.com/veorq/SipHash, {@code siphash.c}, CC0), whose test vectors
 * {@code SipHashTest} checks. Without the key, no one can find two inputs with the same output any
 * faster than by trying; with it, about ten times cheaper than a SHA-256 through
 * {@code MessageDigest} on the ids it serves here.
 */
public final class SipHash {
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private SipHash() {}

    /**
     * The 128-bit SipHash-2-4 of {@code data[off, off + len)} under the key ({@code k0}, {@code k1}:
     * the key's bytes 0–7 and 8–15 read little-endian), as two longs: {@code out[0]} is the output's
     * bytes 0–7 and {@code out[1]} its bytes 8–15, each read little-endian.
     */
    public static void hash128(long k0, long k1, byte[] data, int off, int len, long[] out) {
        long v0 = 0x736f6d6570736575L ^ k0;
        long v1 = 0x646f72616e646f6dL ^ k1 ^ 0xee;
        long v2 = 0x6c7967656e657261L ^ k0;
        long v3 = 0x7465646279746573L ^ k1;
        int blocks = len >>> 3;
        // Steps 0 to blocks compress the whole 8-byte words, then the last word (length and rest), with
        // two rounds each; the two steps after them finalise, four rounds each, one output word each.
        for (int n = 0; n <= blocks + 2; n++) {
            long m = 0;
            int rounds = 4;
            if (n < blocks) {
                m = (long) LONG_LE.get(data, off + 8 * n);
            } else if (n == blocks) {
                m = lastWord(data, off + 8 * blocks, len);
            } else if (n == blocks + 1) {
                v2 ^= 0xee;
            } else {
                v1 ^= 0xdd;
            }
            if (n <= blocks) {
                v3 ^= m;
                rounds = 2;
            }
            for (int r = 0; r < rounds; r++) { // SipRound
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13) ^ v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16) ^ v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21) ^ v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17) ^ v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            if (n <= blocks) {
                v0 ^= m;
            } else {
                out[n - blocks - 1] = v0 ^ v1 ^ v2 ^ v3;
            }
        }
    }

    /** The last word: the input's length in its top byte, the bytes after the whole words below it. */
    private static long lastWord(byte[] data, int at, int len) {
        long b = ((long) len) << 56;
        for (int i = 0; i < (len & 7); i++) {
            b |= (data[at + i] & 0xFFL) << (8 * i);
        }
        return b;
    }

    /** A 16-byte key as the two longs {@link #hash128} takes: bytes 0–7 and 8–15, little-endian. */
    public static long[] key(byte[] key) {
        if (key.length != 16) {
            throw new IllegalArgumentException("a SipHash key has 16 bytes, not " + key.length);
        }
        return new long[] {(long) LONG_LE.get(key, 0), (long) LONG_LE.get(key, 8)};
    }
}
