package dev.tokenkeeper.tokens;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.internal.util.Checks;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What to issue: the command for {@link TokenService#issue(TokenSpec)}. Build with
 * {@link #builder()}; the builder checks every field and names the one that is wrong.
 *
 * <pre>{@code
 * TokenSpec spec = TokenSpec.builder()
 *         .tenant("acme").name("ci-bot").role(Role.AGENT)
 *         .project("search").allowedModels(Set.of("gpt-4o*"))
 *         .expiresAt(Instant.now().plus(Duration.ofDays(30)))
 *         .build();
 * }</pre>
 */
public record TokenSpec(
        String tenantId,
        String name,
        @Nullable String userId,
        @Nullable String projectId,
        Role role,
        Set<String> scopes,
        Set<String> allowedProviders,
        Set<String> allowedModels,
        @Nullable Instant expiresAt,
        Map<String, String> metadata,
        Actor actor) {

    public TokenSpec {
        Checks.tenantId("tenant", tenantId);
        name = Checks.name("name", name);
        Checks.optionalIdentifier("userId", userId);
        Checks.optionalIdentifier("projectId", projectId);
        requireNonNull(role, "role");
        scopes = Checks.scopes("scopes", scopes);
        allowedProviders = Checks.providers("allowedProviders", allowedProviders);
        allowedModels = Checks.models("allowedModels", allowedModels);
        metadata = Checks.metadata("metadata", metadata);
        Checks.instant("expiresAt", expiresAt);
        requireNonNull(actor, "actor");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link TokenSpec}. Not thread-safe. */
    public static final class Builder {
        private @Nullable String tenantId;
        private @Nullable String name;
        private @Nullable String userId;
        private @Nullable String projectId;
        private Role role = Role.USER;
        private final Set<String> scopes = new LinkedHashSet<>();
        private final Set<String> allowedProviders = new LinkedHashSet<>();
        private final Set<String> allowedModels = new LinkedHashSet<>();
        private @Nullable Instant expiresAt;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private Actor actor = Actor.SYSTEM;

        private Builder() {}

        /** The tenant the token belongs to (required; must exist). */
        public Builder tenant(String tenantId) {
            this.tenantId = tenantId;
            return this;
        }

        /** A human-readable name, 1 to 128 characters (required). */
        /** The display name; a missing or blank one is refused by {@link #build()} ({@code InvalidRequestException}). */
        public Builder name(@Nullable String name) {
            this.name = name;
            return this;
        }

        public Builder user(@Nullable String userId) {
            this.userId = userId;
            return this;
        }

        public Builder project(@Nullable String projectId) {
            this.projectId = projectId;
            return this;
        }

        /** The role; {@link Role#USER} by default. */
        public Builder role(Role role) {
            this.role = role;
            return this;
        }

        public Builder scopes(Set<String> scopes) {
            this.scopes.addAll(scopes);
            return this;
        }

        public Builder scope(String scope) {
            this.scopes.add(scope);
            return this;
        }

        /** Providers the token may call (lower-case ids such as {@code openai}); none means any. */
        public Builder allowedProviders(Set<String> providers) {
            this.allowedProviders.addAll(providers);
            return this;
        }

        /** Models the token may call, exact or {@code prefix*}; none means any. */
        public Builder allowedModels(Set<String> models) {
            this.allowedModels.addAll(models);
            return this;
        }

        /** When the token stops working; must be in the future. {@code null}: never. */
        public Builder expiresAt(@Nullable Instant expiresAt) {
            this.expiresAt = expiresAt;
            return this;
        }

        /** String metadata: at most 32 entries and 8 KiB in all. */
        public Builder metadata(Map<String, String> metadata) {
            this.metadata.putAll(metadata);
            return this;
        }

        public Builder metadata(String key, String value) {
            this.metadata.put(key, value);
            return this;
        }

        /** Who issues the token, for the audit log; {@link Actor#SYSTEM} by default. */
        public Builder actor(Actor actor) {
            this.actor = actor;
            return this;
        }

        public TokenSpec build() {
            return new TokenSpec(
                    Checks.required("tenant", tenantId),
                    Checks.required("name", name),
                    userId,
                    projectId,
                    role,
                    scopes,
                    allowedProviders,
                    allowedModels,
                    expiresAt,
                    metadata,
                    actor);
        }
    }
}
