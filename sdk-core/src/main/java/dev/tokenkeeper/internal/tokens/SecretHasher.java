package dev.tokenkeeper.internal.tokens;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Hashes secrets for storage and lookup: SHA-256, or HMAC-SHA-256 keyed with a server-side pepper
 * when one is configured. A fast hash is right here: secrets carry 256 random bits, so there is no
 * dictionary to slow down, and a password hash (bcrypt, Argon2) would cost milliseconds per call.
 * The pepper adds that a stolen database alone cannot confirm a leaked secret.
 */
public final class SecretHasher {
    private static final HexFormat HEX = HexFormat.of();
    private static final String FINGERPRINT_INPUT = "tokenkeeper-pepper-fingerprint-v1";

    private final @Nullable SecretKeySpec key;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    private final ThreadLocal<Mac> hmac;

    public SecretHasher(byte @Nullable [] pepper) {
        this.key = pepper == null ? null : new SecretKeySpec(pepper.clone(), "HmacSHA256");
        this.hmac = ThreadLocal.withInitial(this::newMac);
    }

    /** A thread's digest and buffers for the secret's bytes and its hash. */
    private static final class Scratch {
        final MessageDigest sha256 = newSha256();
        final byte[] bytes = new byte[TokenCodec.LENGTH];
        final byte[] hash = new byte[32];
    }

    /**
     * The hash of {@code secret} as a cache key if the secret is well formed
     * ({@link TokenCodec#isWellFormed}), else {@code null}: the secret's characters are copied once,
     * into a thread's buffer, for both the checksum and the hash, and the hash goes straight into the
     * key's four longs.
     */
    @Nullable
    HashKey keyIfWellFormed(String secret) {
        Scratch s = scratch.get();
        byte[] bytes = s.bytes;
        if (!TokenCodec.copyIfShaped(secret, bytes) || !TokenCodec.checksumMatches(bytes)) {
            return null;
        }
        digest(s, bytes, TokenCodec.LENGTH, s.hash);
        return HashKey.of(s.hash);
    }

    /** The 32-byte hash of a well-formed (ASCII) secret. */
    public byte[] hash(String secret) {
        Scratch s = scratch.get();
        byte[] bytes = secret.length() <= s.bytes.length ? s.bytes : new byte[secret.length()];
        ascii(secret, bytes);
        byte[] hash = new byte[32];
        digest(s, bytes, secret.length(), hash);
        return hash;
    }

    /** SHA-256, or HMAC-SHA-256 with the pepper, of {@code bytes[0, length)} into {@code out} (32 bytes). */
    private void digest(Scratch s, byte[] bytes, int length, byte[] out) {
        try {
            if (key != null) {
                Mac mac = hmac.get();
                mac.update(bytes, 0, length);
                mac.doFinal(out, 0);
            } else {
                s.sha256.update(bytes, 0, length);
                s.sha256.digest(out, 0, out.length);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e); // cannot happen: the buffer holds a SHA-256
        }
    }

    private static byte[] ascii(String secret, byte[] into) {
        for (int i = 0; i < secret.length(); i++) {
            into[i] = (byte) secret.charAt(i);
        }
        return into;
    }

    /** The scheme stored with the schema: {@code sha256} or {@code hmac-sha256:<fingerprint>}. */
    public String scheme() {
        if (key == null) {
            return "sha256";
        }
        byte[] fp = hmac.get().doFinal(FINGERPRINT_INPUT.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return "hmac-sha256:" + HEX.formatHex(fp, 0, 8);
    }

    public static String hex(byte[] hash) {
        return HEX.formatHex(hash);
    }

    public static byte[] unhex(String hex) {
        return HEX.parseHex(hex);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            if (key != null) {
                mac.init(key);
            }
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
