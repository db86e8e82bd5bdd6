package dev.tokenkeeper.internal.usage;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Event ids derived from the event: 48 bits of its time in Unix milliseconds, the UUID version 8
 * (custom) and variant bits, and 74 bits of SHA-256(tenant, request id). Time-ordered, so the primary
 * key index grows at its end; deterministic, so a re-recorded event collides with itself.
 */
public final class EventIds {
    /** A thread's digest and buffers: the key of an ASCII request id allocates only the key. */
    private static final class Scratch {
        final MessageDigest sha256;
        final byte[] in = new byte[256];
        final byte[] out = new byte[32];

        Scratch() {
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private EventIds() {}

    /**
     * The smallest id of any event at or after {@code atMillis}: ids compare as strings in the order
     * of their times, so a time range is an id range.
     */
    public static String lowerBound(long atMillis) {
        return new UUID(atMillis << 16, 0).toString();
    }

    /**
     * The request's key: the first 128 bits of SHA-256(tenant, 0, request id), as two longs. An event's
     * id is its time and bits of this key; {@link RecentRequests} remembers requests by it.
     */
    static RequestKey key(String tenantId, String requestId) {
        Scratch s = SCRATCH.get();
        MessageDigest d = s.sha256;
        byte[] in = s.in;
        int n = tenantId.length() + 1 + requestId.length();
        if (n <= in.length && ascii(tenantId, in, 0) && ascii(requestId, in, tenantId.length() + 1)) {
            in[tenantId.length()] = 0;
            d.update(in, 0, n); // the same bytes as UTF-8 below: ASCII encodes as itself
        } else {
            d.update(tenantId.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(requestId.getBytes(StandardCharsets.UTF_8));
        }
        byte[] h = s.out;
        try {
            d.digest(h, 0, h.length);
        } catch (DigestException e) {
            throw new IllegalStateException(e); // cannot happen: the buffer holds a SHA-256
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (h[i] & 0xFF);
            lo = (lo << 8) | (h[8 + i] & 0xFF);
        }
        return new RequestKey(hi, lo);
    }

    /** Writes {@code text} into {@code into} from {@code at} if it is ASCII; says whether it was. */
    private static boolean ascii(String text, byte[] into, int at) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                return false;
            }
            into[at + i] = (byte) c;
        }
        return true;
    }

    /** The id of the event of request {@code key} at {@code atMillis}. */
    static String of(long atMillis, RequestKey key) {
        long msb = (atMillis << 16) | 0x8000L | (key.hi() & 0x0FFFL);
        long lsb = (key.lo() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb).toString();
    }

    /** 128 bits that identify a request within the ledger (see {@link #key}). */
    record RequestKey(long hi, long lo) {}
}
