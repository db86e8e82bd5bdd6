-- The limits change feed: one row per limit created, changed or deleted, written in the change's
-- transaction. Every instance reads the recent rows at each limit sync and reloads the cached limits
-- of the scopes concerned only, instead of re-reading every cached scope. Rows are pruned once no
-- instance can still need them (well past the sync margin).
CREATE TABLE tk_limit_changes (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    scope_id    TEXT NOT NULL,
    changed_at  BIGINT NOT NULL
);

CREATE INDEX tk_limit_changes_at ON tk_limit_changes (changed_at);
