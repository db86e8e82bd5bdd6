-- The usage ledger. Each call is one row of tk_usage_events, which is also its trace. The primary
-- key is derived from the event (48 bits of its time in ms + 80 bits of SHA-256 of tenant and request
-- id), so inserts append in time order and a re-recorded event collides with itself. Costs are whole
-- picodollars (1e-12 USD). Analytics read tk_usage_hourly, never the raw events.

CREATE TABLE tk_usage_events (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL,
    request_id            TEXT NOT NULL,
    at                    BIGINT NOT NULL,
    token_id              TEXT,
    user_id               TEXT,
    project_id            TEXT,
    provider              TEXT NOT NULL,
    model                 TEXT NOT NULL,
    input_tokens          BIGINT NOT NULL,
    cached_input_tokens   BIGINT NOT NULL,
    cache_write_tokens    BIGINT NOT NULL,
    output_tokens         BIGINT NOT NULL,
    reasoning_tokens      BIGINT NOT NULL,
    cost_input_pico       BIGINT NOT NULL,
    cost_cached_input_pico BIGINT NOT NULL,
    cost_cache_write_pico BIGINT NOT NULL,
    cost_output_pico      BIGINT NOT NULL,
    cost_reasoning_pico   BIGINT NOT NULL,
    cost_pico             BIGINT NOT NULL,
    price_missing         SMALLINT NOT NULL,
    latency_ms            BIGINT NOT NULL,
    outcome               TEXT NOT NULL,
    usage_source          TEXT NOT NULL,
    error_message         TEXT,
    metadata              TEXT NOT NULL
);

CREATE INDEX tk_usage_events_tenant_at ON tk_usage_events (tenant_id, at, id);

-- One row per tenant, UTC hour and dimension combination. Absent dimensions are '' (not NULL), so
-- that the primary key matches them in upserts.
CREATE TABLE tk_usage_hourly (
    tenant_id             TEXT NOT NULL,
    hour_start            BIGINT NOT NULL,
    token_id              TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    project_id            TEXT NOT NULL,
    provider              TEXT NOT NULL,
    model                 TEXT NOT NULL,
    outcome               TEXT NOT NULL,
    requests              BIGINT NOT NULL,
    input_tokens          BIGINT NOT NULL,
    cached_input_tokens   BIGINT NOT NULL,
    cache_write_tokens    BIGINT NOT NULL,
    output_tokens         BIGINT NOT NULL,
    reasoning_tokens      BIGINT NOT NULL,
    cost_pico             BIGINT NOT NULL,
    price_missing_requests BIGINT NOT NULL,
    latency_ms_sum        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hour_start, token_id, user_id, project_id, provider, model, outcome)
);
