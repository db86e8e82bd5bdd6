package dev.tokenkeeper.internal.tokens;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.tokenkeeper.ConflictException;
import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.Page;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.audit.AggregatedEvents;
import dev.tokenkeeper.internal.audit.Auditor;
import dev.tokenkeeper.internal.storage.SecretRow;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.TokenRow;
import dev.tokenkeeper.internal.storage.TokenStore;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.internal.util.Cursors;
import dev.tokenkeeper.internal.util.FeedWindow;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.RejectionReason;
import dev.tokenkeeper.tokens.TokenInfo;
import dev.tokenkeeper.tokens.TokenQuery;
import dev.tokenkeeper.tokens.TokenService;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.tokens.TokenStatus;
import dev.tokenkeeper.tokens.VerificationResult;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The token lifecycle over {@link Storage}, with the verification fast path:
 *
 * <ol>
 *   <li>format and checksum, no I/O;
 *   <li>SHA-256 (or HMAC) of the secret, as a {@link HashKey};
 *   <li>a bounded negative cache of hashes known to be unknown;
 *   <li>hash to token id (immutable, cached);
 *   <li>token id to {@link TokenState} (cached; invalidated at once on this instance by every change
 *       and on the others by {@link #sync()}, which reads the change feed).
 * </ol>
 *
 * Concurrent misses on one key load once (Caffeine computes per key).
 */
public final class DefaultTokenService implements TokenService {
    private static final TokenCheck INVALID =
            new TokenCheck(new VerificationResult.Rejected(RejectionReason.INVALID, null));
    private static final TokenCheck NOT_FOUND =
            new TokenCheck(new VerificationResult.Rejected(RejectionReason.NOT_FOUND, null));
    private static final int MAX_SOURCE_LENGTH = 128;

    private final Storage storage;
    private final Clock clock;
    private final SecureRandom random;
    private final SecretHasher hasher;
    private final Auditor auditor;
    private final AggregatedEvents failures;
    private final TokenSettings settings;
    private final LastUsedTracker lastUsed;

    private final Cache<HashKey, TokenRef> refsByHash;
    private final Cache<HashKey, Boolean> unknownHashes;
    private final Cache<String, TokenState> states;

    private final long offlineGraceMillis;
    private final long cacheTtlMillis;
    private final FeedWindow feed;

    public DefaultTokenService(
            Storage storage,
            Clock clock,
            SecureRandom random,
            SecretHasher hasher,
            Auditor auditor,
            AggregatedEvents failures,
            TokenSettings settings) {
        this.storage = storage;
        this.clock = clock;
        this.random = random;
        this.hasher = hasher;
        this.auditor = auditor;
        this.failures = failures;
        this.settings = settings;
        this.lastUsed = new LastUsedTracker(storage);
        // Every cache here keeps its bookkeeping on the calling thread (executor Runnable::run): handing
        // it to the common pool woke a pool thread every few dozen reads, and on a virtualised machine
        // that wake-up cost more than the bookkeeping itself, and made the slowest calls slow.
        this.refsByHash = Caffeine.newBuilder()
                .executor(Runnable::run)
                .maximumSize(settings.cacheMaximumSize())
                .build();
        Ticker ticker = Ticker.of(clock);
        this.unknownHashes = Caffeine.newBuilder()
                .executor(Runnable::run)
                .ticker(ticker.forCaffeine())
                .maximumSize(settings.negativeCacheMaximumSize())
                .expireAfterWrite(settings.negativeCacheTtl())
                .build();
        this.states = Caffeine.newBuilder()
                .executor(Runnable::run)
                .ticker(ticker.forCaffeine())
                .maximumSize(settings.cacheMaximumSize())
                .expireAfterWrite(settings.cacheTtl())
                // a state that leaves the cache, for whatever cause, is no longer served by a TokenRef
                .removalListener((@Nullable String id, @Nullable TokenState state, RemovalCause cause) -> {
                    if (state != null) {
                        state.dropped = true;
                    }
                })
                .build();
        this.offlineGraceMillis = settings.offlineGrace().toMillis();
        this.cacheTtlMillis = settings.cacheTtl().toMillis();
        this.feed = new FeedWindow(clock, settings.clockSkewMargin(), settings.syncInterval());
    }

    // ---------------------------------------------------------------- issue

    @Override
    public IssuedToken issue(TokenSpec spec) {
        long now = clock.millis();
        if (spec.tenantId().startsWith("_")) {
            throw new InvalidRequestException("tenant", "tenant ids starting with '_' are reserved");
        }
        if (spec.expiresAt() != null && spec.expiresAt().toEpochMilli() <= now) {
            throw new InvalidRequestException("expiresAt", "must be in the future");
        }
        String secret = TokenCodec.generate(random);
        String prefix = TokenCodec.displayPrefix(secret);
        String hash = SecretHasher.hex(hasher.hash(secret));
        TokenRow row = new TokenRow(
                Ids.uuid7(clock),
                spec.tenantId(),
                spec.name(),
                prefix,
                spec.userId(),
                spec.projectId(),
                spec.role(),
                spec.scopes(),
                spec.allowedProviders(),
                spec.allowedModels(),
                spec.metadata(),
                now,
                spec.actor().id(),
                spec.expiresAt() == null ? null : spec.expiresAt().toEpochMilli(),
                null,
                null,
                null,
                null,
                null,
                now);
        storage.write(tx -> {
            if (storage.tenants().find(tx, spec.tenantId()).isEmpty()) {
                throw new NotFoundException(
                        ErrorCode.TENANT_NOT_FOUND, "tenant '" + spec.tenantId() + "' does not exist");
            }
            storage.tokens().insertToken(tx, row);
            storage.tokens().insertSecret(tx, new SecretRow(hash, row.id(), row.tenantId(), prefix, now, null));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("name", row.name());
            meta.put("role", row.role().name());
            meta.put("display_prefix", prefix);
            if (row.expiresAt() != null) {
                meta.put("expires_at", Instant.ofEpochMilli(row.expiresAt()).toString());
            }
            auditor.record(
                    tx,
                    row.tenantId(),
                    spec.actor(),
                    AuditAction.TOKEN_CREATED,
                    "token",
                    row.id(),
                    AuditOutcome.SUCCESS,
                    meta);
            return null;
        });
        return new IssuedToken(secret, info(row, now));
    }

    // ---------------------------------------------------------------- verify

    @Override
    public VerificationResult verify(@Nullable String secret) {
        return verify(secret, null);
    }

    @Override
    public VerificationResult verify(@Nullable String secret, @Nullable String source) {
        return check(secret, source, READ_CLOCK).result();
    }

    /** For {@link #check}: no reading of the clock yet; one is taken if the secret gets that far. */
    private static final long READ_CLOCK = Long.MIN_VALUE;

    /**
     * {@link #verify(String, String)} at {@code nowMillis} (the caller's reading of the clock, or
     * {@link #READ_CLOCK}), with the cached state's memo slot for {@code authorize}.
     */
    public TokenCheck check(@Nullable String secret, @Nullable String source, long nowMillis) {
        HashKey key = secret == null ? null : hasher.keyIfWellFormed(secret);
        if (key == null) {
            failures.record(null, null, RejectionReason.INVALID, cleanSource(source));
            return INVALID;
        }
        TokenRef ref = refsByHash.getIfPresent(key); // the common case: one cache lookup
        if (ref == null) {
            if (unknownHashes.getIfPresent(key) != null) {
                failures.record(null, null, RejectionReason.NOT_FOUND, cleanSource(source));
                return NOT_FOUND;
            }
            ref = refsByHash.get(key, this::loadByHash);
        }
        if (ref == null) {
            unknownHashes.put(key, Boolean.TRUE);
            failures.record(null, null, RejectionReason.NOT_FOUND, cleanSource(source));
            return NOT_FOUND;
        }
        // one reading of the clock serves the cache's freshness, the feed's and the secret's validity
        long now = nowMillis == READ_CLOCK ? clock.millis() : nowMillis;
        TokenState state = ref.state;
        if (state == null || state.dropped || !fresh(state, now) || feedBehind(now)) {
            state = state(ref.tokenId, now);
            if (state != null && !state.revoked && !state.secrets.containsKey(key)) {
                // The hash belongs to this token but the cached state predates it: a rotation made on
                // another instance. Only real secrets of the token get here, so this cannot force I/O.
                states.invalidate(ref.tokenId);
                state = state(ref.tokenId, now);
            }
            ref.state = state;
        }
        return decide(state, key, source, now);
    }

    /**
     * What the hash cache holds for a secret: its token's id and, once a verification found it, the
     * token's cached state, which later verifications of the secret use without a second cache
     * lookup for as long as the state cache would serve it: until the state leaves that cache (a
     * change, a sync, eviction: see {@link TokenState#dropped}) or is older than the cache's TTL, and
     * not while the change feed is behind by more than the offline grace.
     */
    private static final class TokenRef {
        final String tokenId;
        volatile @Nullable TokenState state;

        TokenRef(String tokenId) {
            this.tokenId = tokenId;
        }
    }

    private TokenCheck decide(@Nullable TokenState state, HashKey key, @Nullable String source, long now) {
        if (state == null) {
            failures.record(null, null, RejectionReason.NOT_FOUND, cleanSource(source));
            return NOT_FOUND;
        }
        // found by its HashKey, which is all 32 bytes of the hash: no byte comparison is left to make
        TokenCheck verified = state.revoked ? null : state.verifiedIfValid(key, now);
        if (verified == null) {
            failures.record(state.tenantId, state.tokenId, RejectionReason.REVOKED, cleanSource(source));
            return state.revokedResult;
        }
        if (state.expiresAt <= now) {
            failures.record(state.tenantId, state.tokenId, RejectionReason.EXPIRED, cleanSource(source));
            return state.expiredResult;
        }
        lastUsed.mark(state, now);
        return verified;
    }

    /**
     * Whether a state read at {@code state.readMillis} may still serve at {@code now} (the clock's
     * millis): for less than the cache's TTL. On the wall clock rather than a monotonic one, so that a
     * call reads the clock once. A step of the clock by more than the TTL, either way, makes the state
     * stale here, and the call asks the state cache, whose expiry runs on the ticker; a step back by
     * less lengthens the state's life here by the step, so by less than the TTL.
     */
    private boolean fresh(TokenState state, long now) {
        return Math.abs(now - state.readMillis) < cacheTtlMillis;
    }

    /**
     * Whether the change feed has not been read for longer than the offline grace: the cache is not
     * trusted. As in {@link #fresh}, a step of the clock by more than the grace, either way, counts as
     * behind until the feed's next read; a step back by less lengthens the grace by the step.
     */
    private boolean feedBehind(long now) {
        return Math.abs(now - feed.lastOkMillis()) > offlineGraceMillis;
    }

    private @Nullable TokenState state(String tokenId, long now) {
        if (feedBehind(now)) {
            // The change feed has not been read for too long: do not trust the cache.
            TokenState fresh = loadState(tokenId);
            if (fresh == null) {
                states.invalidate(tokenId);
            } else {
                states.put(tokenId, fresh);
            }
            return fresh;
        }
        TokenState cached = states.getIfPresent(tokenId); // the common case, without computeIfAbsent's work
        return cached != null ? cached : states.get(tokenId, this::loadState);
    }

    private @Nullable TokenState loadState(String tokenId) {
        return storage.read(tx -> storage.tokens().findById(tx, tokenId))
                .map(this::toState)
                .orElse(null);
    }

    /** A miss on the hash: one read yields the token id and its state, and primes the state cache. */
    private @Nullable TokenRef loadByHash(HashKey key) {
        Optional<TokenStore.TokenWithSecrets> found =
                storage.read(tx -> storage.tokens().findByHash(tx, SecretHasher.hex(key.bytes())));
        if (found.isEmpty()) {
            return null;
        }
        TokenState state = toState(found.get());
        states.asMap().putIfAbsent(state.tokenId, state);
        return new TokenRef(state.tokenId);
    }

    private TokenState toState(TokenStore.TokenWithSecrets t) {
        TokenRow r = t.token();
        List<SecretRow> secrets = t.secrets();
        Map<HashKey, TokenState.Secret> map = new HashMap<>();
        for (SecretRow s : secrets) {
            byte[] hash = SecretHasher.unhex(s.secretHash());
            Principal p = new Principal(
                    r.tenantId(),
                    r.id(),
                    r.name(),
                    s.displayPrefix(),
                    r.userId(),
                    r.projectId(),
                    r.role(),
                    r.scopes(),
                    r.allowedProviders(),
                    r.allowedModels());
            long until = s.expiresAt() == null ? Long.MAX_VALUE : s.expiresAt();
            map.put(HashKey.of(hash), new TokenState.Secret(until, new TokenCheck(new VerificationResult.Verified(p))));
        }
        return new TokenState(
                r.id(), r.tenantId(), r.revokedAt() != null, r.expiresAt(), map, r.updatedAt(), clock.millis());
    }

    private static @Nullable String cleanSource(@Nullable String source) {
        if (source == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(Math.min(source.length(), MAX_SOURCE_LENGTH));
        for (int i = 0; i < source.length() && b.length() < MAX_SOURCE_LENGTH; i++) {
            char c = source.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- read

    @Override
    public Optional<TokenInfo> find(String tenantId, String tokenId) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("tokenId", tokenId);
        long now = clock.millis();
        return storage.read(tx -> storage.tokens().find(tx, tenantId, tokenId)).map(r -> info(r, now));
    }

    @Override
    public Optional<String> tenantOf(String tokenId) {
        Checks.identifier("tokenId", tokenId);
        return storage.read(tx -> storage.tokens().findById(tx, tokenId))
                .map(t -> t.token().tenantId());
    }

    @Override
    public TokenInfo get(String tenantId, String tokenId) {
        return find(tenantId, tokenId).orElseThrow(() -> notFound(tokenId));
    }

    @Override
    public Page<TokenInfo> list(TokenQuery q) {
        String after = q.cursor() == null ? null : Cursors.decode(q.cursor(), 1)[0];
        long now = clock.millis();
        List<TokenRow> rows = storage.read(tx -> storage.tokens()
                .list(tx, q.tenantId(), q.userId(), q.projectId(), q.status(), now, after, q.limit() + 1));
        boolean more = rows.size() > q.limit();
        List<TokenInfo> items =
                rows.stream().limit(q.limit()).map(r -> info(r, now)).toList();
        return new Page<>(
                items, more ? Cursors.encode(items.get(items.size() - 1).id()) : null);
    }

    // ---------------------------------------------------------------- change

    @Override
    public IssuedToken rotate(String tenantId, String tokenId) {
        return rotate(tenantId, tokenId, settings.defaultRotationGrace(), Actor.SYSTEM);
    }

    @Override
    public IssuedToken rotate(String tenantId, String tokenId, Duration gracePeriod, Actor actor) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("tokenId", tokenId);
        Checks.required("gracePeriod", gracePeriod);
        if (gracePeriod.isNegative() || gracePeriod.compareTo(settings.maxRotationGrace()) > 0) {
            throw new InvalidRequestException(
                    "gracePeriod", "must be between 0 and " + settings.maxRotationGrace() + ", was " + gracePeriod);
        }
        long now = clock.millis();
        String secret = TokenCodec.generate(random);
        String prefix = TokenCodec.displayPrefix(secret);
        String hash = SecretHasher.hex(hasher.hash(secret));
        long graceEnd = now + gracePeriod.toMillis();
        TokenRow row = storage.write(tx -> {
            if (storage.tokens().markRotated(tx, tenantId, tokenId, prefix, now) == 0) {
                throw unchangeable(tx, tenantId, tokenId);
            }
            storage.tokens().expireSecrets(tx, tokenId, graceEnd);
            storage.tokens().insertSecret(tx, new SecretRow(hash, tokenId, tenantId, prefix, now, null));
            auditor.record(
                    tx,
                    tenantId,
                    actor,
                    AuditAction.TOKEN_ROTATED,
                    "token",
                    tokenId,
                    AuditOutcome.SUCCESS,
                    Map.of(
                            "display_prefix",
                            prefix,
                            "grace_period",
                            gracePeriod.toString(),
                            "previous_secret_valid_until",
                            Instant.ofEpochMilli(graceEnd).toString()));
            return storage.tokens().find(tx, tenantId, tokenId).orElseThrow();
        });
        states.invalidate(tokenId);
        return new IssuedToken(secret, info(row, now));
    }

    @Override
    public TokenInfo revoke(String tenantId, String tokenId, @Nullable String reason, Actor actor) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("tokenId", tokenId);
        if (reason != null) {
            Checks.text("reason", reason, 512);
        }
        long now = clock.millis();
        TokenRow row = storage.write(tx -> {
            int changed = storage.tokens().revoke(tx, tenantId, tokenId, now, actor.id(), reason);
            TokenRow current = storage.tokens().find(tx, tenantId, tokenId).orElseThrow(() -> notFound(tokenId));
            if (changed == 1) {
                auditor.record(
                        tx,
                        tenantId,
                        actor,
                        AuditAction.TOKEN_REVOKED,
                        "token",
                        tokenId,
                        AuditOutcome.SUCCESS,
                        reason == null ? Map.of() : Map.of("reason", reason));
            }
            return current;
        });
        states.invalidate(tokenId);
        return info(row, now);
    }

    @Override
    public TokenInfo updateExpiry(String tenantId, String tokenId, @Nullable Instant expiresAt, Actor actor) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("tokenId", tokenId);
        Checks.instant("expiresAt", expiresAt);
        long now = clock.millis();
        if (expiresAt != null && expiresAt.toEpochMilli() <= now) {
            throw new InvalidRequestException("expiresAt", "must be in the future");
        }
        Long newExpiry = expiresAt == null ? null : expiresAt.toEpochMilli();
        TokenRow row = storage.write(tx -> {
            TokenRow before = storage.tokens().find(tx, tenantId, tokenId).orElseThrow(() -> notFound(tokenId));
            if (storage.tokens().updateExpiry(tx, tenantId, tokenId, newExpiry, now) == 0) {
                throw new ConflictException(ErrorCode.TOKEN_REVOKED, "token " + tokenId + " is revoked");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(
                    "previous_expires_at",
                    before.expiresAt() == null
                            ? "never"
                            : Instant.ofEpochMilli(before.expiresAt()).toString());
            meta.put("expires_at", expiresAt == null ? "never" : expiresAt.toString());
            auditor.record(
                    tx,
                    tenantId,
                    actor,
                    AuditAction.TOKEN_EXPIRY_CHANGED,
                    "token",
                    tokenId,
                    AuditOutcome.SUCCESS,
                    meta);
            return storage.tokens().find(tx, tenantId, tokenId).orElseThrow();
        });
        states.invalidate(tokenId);
        return info(row, now);
    }

    private RuntimeException unchangeable(StorageTx tx, String tenantId, String tokenId) {
        TokenRow row = storage.tokens().find(tx, tenantId, tokenId).orElse(null);
        if (row == null) {
            return notFound(tokenId);
        }
        if (row.revokedAt() != null) {
            return new ConflictException(ErrorCode.TOKEN_REVOKED, "token " + tokenId + " is revoked");
        }
        return new ConflictException(
                ErrorCode.TOKEN_EXPIRED, "token " + tokenId + " is expired; extend its expiry first");
    }

    private static NotFoundException notFound(String tokenId) {
        return new NotFoundException(ErrorCode.TOKEN_NOT_FOUND, "token " + tokenId + " does not exist");
    }

    // ---------------------------------------------------------------- background

    /**
     * Reads the change feed and drops the cached state of every token changed since the previous
     * read (less a margin for clock skew and in-flight transactions). After a blind spell longer than
     * the margin, the whole cache is dropped, since changes may have been missed.
     */
    public void sync() {
        FeedWindow.Read read = feed.begin();
        List<TokenStore.Change> changed = storage.read(tx -> storage.tokens().changedSince(tx, read.since()));
        long nowNanos = feed.nowNanos();
        if (feed.lapsed(nowNanos)) {
            states.invalidateAll();
        } else {
            for (TokenStore.Change c : changed) {
                // The margin returns a change on several passes: a state read since it stays. (One
                // being read now is absent here, and invalidate waits for its load, then drops it.)
                TokenState cached = states.getIfPresent(c.tokenId());
                if (cached == null || cached.updatedAt != c.updatedAt()) {
                    states.invalidate(c.tokenId());
                }
            }
        }
        feed.completed(read, nowNanos);
    }

    /**
     * Drops everything cached about one secret and its token, so that its next verification goes to
     * storage. For benchmarks and diagnostics; not needed for correctness.
     */
    public void forget(String secret) {
        HashKey key = HashKey.of(hasher.hash(secret));
        TokenRef ref = refsByHash.getIfPresent(key);
        refsByHash.invalidate(key);
        unknownHashes.invalidate(key);
        if (ref != null) {
            states.invalidate(ref.tokenId);
        }
    }

    /** Writes queued last-used times. */
    public void flushLastUsed() {
        lastUsed.flush();
    }

    // ---------------------------------------------------------------- mapping

    static TokenInfo info(TokenRow r, long now) {
        TokenStatus status = r.revokedAt() != null
                ? TokenStatus.REVOKED
                : r.expiresAt() != null && r.expiresAt() <= now ? TokenStatus.EXPIRED : TokenStatus.ACTIVE;
        return new TokenInfo(
                r.id(),
                r.tenantId(),
                r.name(),
                r.displayPrefix(),
                r.userId(),
                r.projectId(),
                r.role(),
                r.scopes(),
                r.allowedProviders(),
                r.allowedModels(),
                r.metadata(),
                status,
                Instant.ofEpochMilli(r.createdAt()),
                r.createdBy(),
                instant(r.expiresAt()),
                instant(r.revokedAt()),
                instant(r.rotatedAt()),
                instant(r.lastUsedAt()));
    }

    private static @Nullable Instant instant(@Nullable Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }
}
