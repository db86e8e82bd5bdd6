package dev.tokenkeeper.tokens;

import dev.tokenkeeper.internal.util.ModelPatterns;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Who is calling, as established by a verified token. Immutable and thread-safe.
 *
 * @param tenantId the token's tenant
 * @param tokenId the token's id
 * @param tokenName the token's name
 * @param displayPrefix the first characters of the presented secret, safe to log
 * @param userId the owning user, if any
 * @param projectId the project, if any
 * @param role the granted role
 * @param scopes the granted scopes
 * @param allowedProviders providers the token may call; empty means any
 * @param allowedModels model names or {@code prefix*} patterns the token may call; empty means any
 */
public record Principal(
        String tenantId,
        String tokenId,
        String tokenName,
        String displayPrefix,
        @Nullable String userId,
        @Nullable String projectId,
        Role role,
        Set<String> scopes,
        Set<String> allowedProviders,
        Set<String> allowedModels) {

    public Principal {
        scopes = Set.copyOf(scopes);
        allowedProviders = Set.copyOf(allowedProviders);
        allowedModels = Set.copyOf(allowedModels);
    }

    /** Whether the token holds that scope. */
    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }

    /** Whether the token may call that provider. */
    public boolean allowsProvider(String provider) {
        return allowedProviders.isEmpty() || allowedProviders.contains(provider);
    }

    /**
     * Whether the token may call that model; a pattern ending in {@code *} matches by prefix. Model
     * names match without regard to case, as prices and limit filters do.
     */
    public boolean allowsModel(String model) {
        if (allowedModels.isEmpty() || allowedModels.contains(model)) {
            return true;
        }
        for (String pattern : allowedModels) {
            if (ModelPatterns.matches(pattern, model)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the token may call that model at that provider. */
    public boolean allows(String provider, String model) {
        return allowsProvider(provider) && allowsModel(model);
    }
}
