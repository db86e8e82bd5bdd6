-- TokenKeeper schema, version 1. The same script runs on SQLite and PostgreSQL: times are Unix
-- epoch milliseconds (BIGINT), ids and JSON documents are TEXT.

CREATE TABLE tk_settings (
    setting_key   TEXT PRIMARY KEY,
    setting_value TEXT NOT NULL
);

CREATE TABLE tk_tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Holds events that belong to no known tenant, such as failed verifications of unknown secrets.
INSERT INTO tk_tenants (id, name, created_at) VALUES ('_system', 'System', 0);

CREATE TABLE tk_tokens (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tk_tenants (id),
    name              TEXT NOT NULL,
    display_prefix    TEXT NOT NULL,
    user_id           TEXT,
    project_id        TEXT,
    role              TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    allowed_providers TEXT NOT NULL,
    allowed_models    TEXT NOT NULL,
    metadata          TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    created_by        TEXT NOT NULL,
    expires_at        BIGINT,
    revoked_at        BIGINT,
    revoked_by        TEXT,
    revoke_reason     TEXT,
    rotated_at        BIGINT,
    last_used_at      BIGINT,
    updated_at        BIGINT NOT NULL
);

CREATE INDEX tk_tokens_tenant ON tk_tokens (tenant_id, id);
CREATE INDEX tk_tokens_tenant_user ON tk_tokens (tenant_id, user_id, id);
CREATE INDEX tk_tokens_tenant_project ON tk_tokens (tenant_id, project_id, id);
CREATE INDEX tk_tokens_updated ON tk_tokens (updated_at);

CREATE TABLE tk_token_secrets (
    secret_hash    TEXT PRIMARY KEY,
    token_id       TEXT NOT NULL REFERENCES tk_tokens (id),
    tenant_id      TEXT NOT NULL REFERENCES tk_tenants (id),
    display_prefix TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT
);

CREATE INDEX tk_token_secrets_token ON tk_token_secrets (token_id);

CREATE TABLE tk_audit_events (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tk_tenants (id),
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    source      TEXT,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT,
    outcome     TEXT NOT NULL,
    metadata    TEXT NOT NULL
);

CREATE INDEX tk_audit_events_tenant_at ON tk_audit_events (tenant_id, at, id);
CREATE INDEX tk_audit_events_tenant_action_at ON tk_audit_events (tenant_id, action, at, id);
