-- Usage limits and budgets. amount and grace are in the metric's unit: tokens, requests, or
-- picodollars (COST_USD). scope_id is '' for a tenant-wide limit. alert_thresholds is a JSON array
-- of percentages.
CREATE TABLE tk_limits (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tk_tenants (id),
    name                  TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    scope_id              TEXT NOT NULL,
    provider              TEXT,
    model                 TEXT,
    metric                TEXT NOT NULL,
    period                TEXT NOT NULL,
    zone                  TEXT NOT NULL,
    amount                BIGINT NOT NULL,
    grace                 BIGINT NOT NULL,
    alert_thresholds      TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE INDEX tk_limits_scope ON tk_limits (tenant_id, scope, scope_id);
