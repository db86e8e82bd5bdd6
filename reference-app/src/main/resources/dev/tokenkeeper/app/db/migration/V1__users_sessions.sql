-- The reference app's people and sessions. Portable SQL: the same script runs on SQLite and
-- PostgreSQL. Times are epoch milliseconds; flags are 0 or 1.

CREATE TABLE app_users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    username      TEXT NOT NULL,
    -- the user name lower-cased: user names are unique across the deployment, whatever their case,
    -- since a login names no tenant
    username_key  TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX app_users_tenant ON app_users (tenant_id, id);

-- A session is one login: its refresh tokens form one family, and every access token names it.
CREATE TABLE app_sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at   BIGINT,
    end_reason TEXT
);

CREATE INDEX app_sessions_user ON app_sessions (user_id);
CREATE INDEX app_sessions_expires ON app_sessions (expires_at);

-- Refresh tokens by the SHA-256 of their secret; used_at is set when one is exchanged.
CREATE TABLE app_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES app_sessions (id) ON DELETE CASCADE,
    issued_at  BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE INDEX app_refresh_tokens_session ON app_refresh_tokens (session_id);

-- Settings the app generates once and shares between instances (the JWT signing key).
CREATE TABLE app_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Who created a limit through the API, so that a user may change or delete the limits they set
-- on themselves and no other.
CREATE TABLE app_limit_owners (
    limit_id TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL
);
