package dev.tokenkeeper.tokens;

/** The role a token grants. Adapters map roles to permissions (see the RBAC matrix in the docs). */
public enum Role {
    /** Manages tokens, limits and settings of its tenant. */
    ADMIN,
    /** A person's token: calls models and reads its own usage. */
    USER,
    /** A machine's token: calls models only. */
    AGENT
}
