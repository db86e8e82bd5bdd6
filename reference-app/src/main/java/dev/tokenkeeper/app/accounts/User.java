package dev.tokenkeeper.app.accounts;

import dev.tokenkeeper.tokens.Role;
import java.time.Instant;

/**
 * A person who logs in to the app: one tenant, one role. The password hash is not part of it: it
 * never leaves the {@link AccountStore}.
 *
 * @param id the user's id, the {@code user_id} of their tokens, usage and traces
 * @param tenantId the tenant the user belongs to, for good
 * @param username the name they log in with, unique across the deployment whatever its case
 * @param role admin, user or agent
 * @param disabled whether logins and sessions are refused
 * @param createdAt when the user was created
 * @param updatedAt when role, password or state last changed
 */
public record User(
        String id,
        String tenantId,
        String username,
        Role role,
        boolean disabled,
        Instant createdAt,
        Instant updatedAt) {}
