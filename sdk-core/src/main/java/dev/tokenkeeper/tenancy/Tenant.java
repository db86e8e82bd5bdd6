package dev.tokenkeeper.tenancy;

import java.time.Instant;

/**
 * A tenant: the unit of isolation. Every token, limit, usage record and audit event belongs to
 * exactly one tenant, and no query crosses tenants.
 *
 * @param id the application's identifier for the tenant
 * @param name a display name
 * @param createdAt when it was created
 */
public record Tenant(String id, String name, Instant createdAt) {}
