package dev.tokenkeeper.app.accounts;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.api.ApiException;
import dev.tokenkeeper.app.config.AppProperties;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.time.Instant;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Failed logins allowed per account and per source address: {@code login-attempts} per
 * {@code login-window} (10 a minute by default), each a Bucket4j bucket refilled whole at the end of
 * its window, so that an account an attacker hammers is closed to its real user for one window at
 * most. Buckets exist for names that are not users too, so that the answers never tell the two
 * apart. Time is the keeper's clock. The buckets live in this instance's memory, bounded.
 */
@Component
public class LoginThrottle {
    private final AppProperties.Auth auth;
    private final TimeMeter time;
    private final Cache<String, Bucket> buckets;

    public LoginThrottle(TokenKeeper keeper, AppProperties props) {
        this.auth = props.auth();
        this.time = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                Instant now = keeper.clock().instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
        this.buckets = Caffeine.newBuilder()
                .maximumSize(200_000)
                .expireAfterAccess(auth.loginWindow().multipliedBy(2))
                .ticker(() -> time.currentTimeNanos())
                .build();
    }

    private Bucket bucket(String key) {
        return buckets.get(
                key,
                k -> Bucket.builder()
                        .withCustomTimePrecision(time)
                        .addLimit(l -> l.capacity(auth.loginAttempts())
                                .refillIntervally(auth.loginAttempts(), auth.loginWindow()))
                        .build());
    }

    /** Refuses with 429 and {@code Retry-After} while the account or the address has no attempt left. */
    public void check(String account, String source) {
        long wait = Math.max(waitNanos("a:" + account), waitNanos("s:" + source));
        if (wait > 0) {
            long seconds = Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
            HttpHeaders h = new HttpHeaders();
            h.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
            throw new ApiException(
                    HttpStatus.TOO_MANY_REQUESTS,
                    "too_many_login_attempts",
                    "too many failed logins for this account or from this address; retry after " + seconds + " s",
                    h);
        }
    }

    private long waitNanos(String key) {
        var estimate = bucket(key).estimateAbilityToConsume(1);
        return estimate.canBeConsumed() ? 0 : estimate.getNanosToWaitForRefill();
    }

    /** Counts a failed attempt against the account and the address. */
    public void failed(String account, String source) {
        bucket("a:" + account).tryConsume(1);
        bucket("s:" + source).tryConsume(1);
    }

    Duration window() {
        return auth.loginWindow();
    }
}
