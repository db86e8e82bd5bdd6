package dev.tokenkeeper.internal.tokens;

/** A 32-byte hash as four longs: a cheap, allocation-light cache key with value equality. */
record HashKey(long a, long b, long c, long d) {
    static HashKey of(byte[] h) {
        return new HashKey(longAt(h, 0), longAt(h, 8), longAt(h, 16), longAt(h, 24));
    }

    private static long longAt(byte[] h, int off) {
        long v = 0;
        for (int i = off; i < off + 8; i++) {
            v = (v << 8) | (h[i] & 0xFFL);
        }
        return v;
    }

    @Override
    public int hashCode() {
        return (int) a; // the hash is uniformly random already
    }
}
