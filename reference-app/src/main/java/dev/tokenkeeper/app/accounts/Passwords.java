package dev.tokenkeeper.app.accounts;

import dev.tokenkeeper.app.api.ApiException;
import dev.tokenkeeper.app.config.AppProperties;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;
import org.springframework.stereotype.Component;

/**
 * Password hashing and policy. Hashes are Argon2id (Spring Security's current defaults: 16-byte
 * salt, 32-byte hash, 16 MiB of memory, 2 iterations, computed with Bouncy Castle), in the PHC
 * string format, so that the parameters travel with each hash and can be raised later.
 *
 * <p>The policy: at least {@code tokenkeeper.auth.password-min-length} characters (12 by default),
 * at most {@value #MAX_LENGTH}; not one of the most common passwords (a bundled list), also when
 * only digits or symbols were added around it or it was repeated; not containing the user name; at
 * least four distinct characters.
 */
@Component
public class Passwords {
    static final int MAX_LENGTH = 256;
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private final Argon2PasswordEncoder encoder = Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8();
    private final int minLength;
    private final Set<String> common;
    private final SecureRandom random = new SecureRandom();
    /** Verified against when a login names no user, so that the answer takes as long as for a real one. */
    private final String decoy;

    public Passwords(AppProperties props) {
        this.minLength = props.auth().passwordMinLength();
        this.common = load();
        this.decoy = encoder.encode(generate());
    }

    private static Set<String> load() {
        Set<String> words = new HashSet<>();
        try (InputStream in = Objects.requireNonNull(
                        Passwords.class.getResourceAsStream("common-passwords.txt"), "common-passwords.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String w = line.strip();
                if (!w.isEmpty() && !w.startsWith("#")) {
                    words.add(w.toLowerCase(Locale.ROOT));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(words);
    }

    /** The hash to store for an acceptable password. */
    public String hash(String password) {
        return encoder.encode(password);
    }

    /** Whether the password matches the stored hash; a {@code null} hash (no such user) costs the same time. */
    public boolean matches(String password, @org.jspecify.annotations.Nullable String hash) {
        if (hash == null) {
            encoder.matches(password, decoy);
            return false;
        }
        return encoder.matches(password, hash);
    }

    /**
     * Refuses a password that breaks the policy, with a 400 {@code weak_password} that says why
     * (never echoing the password).
     */
    public void check(String field, @org.jspecify.annotations.Nullable String password, String username) {
        if (password == null || password.isEmpty()) {
            throw weak(field, "is required");
        }
        int length = password.codePointCount(0, password.length());
        if (length < minLength) {
            throw weak(field, "must be at least " + minLength + " characters long");
        }
        if (length > MAX_LENGTH) {
            throw weak(field, "must be at most " + MAX_LENGTH + " characters long");
        }
        if (password.chars().anyMatch(Character::isISOControl)) {
            throw weak(field, "must not contain control characters");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (password.codePoints().distinct().count() < 4) {
            throw weak(field, "must use at least four different characters");
        }
        if (!username.isEmpty() && lower.contains(username.toLowerCase(Locale.ROOT))) {
            throw weak(field, "must not contain the user name");
        }
        if (isCommon(lower)) {
            throw weak(field, "is too common: it is on the list of the most used passwords");
        }
    }

    private boolean isCommon(String lower) {
        if (common.contains(lower)) {
            return true;
        }
        // digits and symbols around a common word ("Password123!") hide nothing
        int start = 0;
        int end = lower.length();
        while (start < end && !Character.isLetter(lower.charAt(start))) {
            start++;
        }
        while (end > start && !Character.isLetter(lower.charAt(end - 1))) {
            end--;
        }
        String core = lower.substring(start, end);
        if (common.contains(core)) {
            return true;
        }
        // nor does repeating one ("passwordpassword")
        for (int n = 1; n <= core.length() / 2; n++) {
            if (core.length() % n == 0
                    && core.substring(0, n).repeat(core.length() / n).equals(core)) {
                return common.contains(core.substring(0, n));
            }
        }
        return false;
    }

    /** A random password of 20 characters from an alphabet without look-alikes (about 116 bits). */
    public String generate() {
        StringBuilder b = new StringBuilder(20);
        for (int i = 0; i < 20; i++) {
            b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    private static ApiException weak(String field, String why) {
        return new ApiException(HttpStatus.BAD_REQUEST, "weak_password", field + ": " + why);
    }
}
