package dev.tokenkeeper.internal.tokens;

import org.jspecify.annotations.Nullable;

/** A 32-byte hash as four longs: a cheap, allocation-light cache key with value equality. */
record HashKey(long a, long b, long c, long d) {
    static HashKey of(byte[] h) {
        return new HashKey(longAt(h, 0), longAt(h, 8), longAt(h, 16), longAt(h, 24));
    }

    /** The hash's 32 bytes. */
    byte[] bytes() {
        byte[] h = new byte[32];
        long[] parts = {a, b, c, d};
        for (int i = 0; i < 32; i++) {
            h[i] = (byte) (parts[i / 8] >>> (56 - 8 * (i % 8)));
        }
        return h;
    }

    private static long longAt(byte[] h, int off) {
        long v = 0;
        for (int i = off; i < off + 8; i++) {
            v = (v << 8) | (h[i] & 0xFFL);
        }
        return v;
    }

    @Override
    public boolean equals(@Nullable Object o) { // written out, as in LimitCharge.Key
        return o instanceof HashKey k && a == k.a && b == k.b && c == k.c && d == k.d;
    }

    @Override
    public int hashCode() {
        return (int) a; // the hash is uniformly random already
    }
}
