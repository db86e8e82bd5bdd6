package dev.tokenkeeper.internal.usage;

import dev.tokenkeeper.internal.util.SipHash;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Event ids derived from the event: 48 bits of its time in Unix milliseconds, the UUID version 8
 * (custom) and variant bits, and 74 bits of the request's key, a keyed hash of (tenant, request id).
 * Time-ordered, so the primary key index grows at its end; deterministic, so a re-recorded event
 * collides with itself, on every instance of one database (they share the hash's key, a setting of
 * the database: see {@link #SETTING}).
 */
public final class EventIds {
    /**
     * The database setting that holds the request keys' hash key, 32 hex digits, made at random by the
     * first instance that opens the database.
     */
    public static final String SETTING = "request_key_hash_key";

    /** A thread's buffers: the key of an ASCII request id allocates only the key. */
    private static final class Scratch {
        final byte[] in = new byte[256];
        final long[] out = new long[2];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final long k0;
    private final long k1;

    /** Request keys under {@code key}, 16 bytes. */
    public EventIds(byte[] key) {
        long[] k = SipHash.key(key);
        this.k0 = k[0];
        this.k1 = k[1];
    }

    /**
     * The smallest id of any event at or after {@code atMillis}: ids compare as strings in the order
     * of their times, so a time range is an id range.
     */
    public static String lowerBound(long atMillis) {
        return new UUID(atMillis << 16, 0).toString();
    }

    /**
     * The request's key: SipHash-2-4-128 of (tenant, 0, request id) in UTF-8 under this database's hash
     * key, as two longs. An event's id is its time and bits of this key; {@link RecentRequests}
     * remembers requests by it. Keyed, so that no one who chooses request ids can make two requests'
     * keys collide (and pass one off as a retry of the other) without the database's key; 128 bits, so
     * that no two collide by chance.
     */
    RequestKey key(String tenantId, String requestId) {
        Scratch s = SCRATCH.get();
        byte[] in = s.in;
        int sep; // where the 0 between tenant and request id goes
        int n;
        if (tenantId.length() + 1 + requestId.length() <= in.length
                && ascii(tenantId, in, 0)
                && ascii(requestId, in, tenantId.length() + 1)) {
            sep = tenantId.length(); // ASCII: the same bytes as UTF-8, copied without an array
            n = sep + 1 + requestId.length();
        } else {
            byte[] t = tenantId.getBytes(StandardCharsets.UTF_8);
            byte[] r = requestId.getBytes(StandardCharsets.UTF_8);
            sep = t.length;
            n = t.length + 1 + r.length;
            if (n > in.length) {
                in = new byte[n];
            }
            System.arraycopy(t, 0, in, 0, t.length);
            System.arraycopy(r, 0, in, sep + 1, r.length);
        }
        in[sep] = 0;
        SipHash.hash128(k0, k1, in, 0, n, s.out);
        return new RequestKey(s.out[0], s.out[1]);
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

    /**
     * The id of the event of request {@code requestId} of the tenant at {@code atMillis}: {@code
     * of(atMillis, key(tenantId, requestId))}, for an event whose key is not needed otherwise.
     */
    String id(long atMillis, String tenantId, String requestId) {
        return of(atMillis, key(tenantId, requestId));
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
