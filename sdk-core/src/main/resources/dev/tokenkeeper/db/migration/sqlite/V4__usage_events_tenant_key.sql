-- The events' primary key becomes (tenant_id, id). The id starts with the event's time, so this one
-- index serves idempotent inserts, lookups by id and the per-tenant trace listing in time order;
-- the separate id index and the (tenant_id, at, id) index go. One B-tree less per event written.
-- SQLite cannot change a primary key in place: the table is rebuilt.
CREATE TABLE tk_usage_events_v4 (
    id                    TEXT NOT NULL,
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
    metadata              TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

INSERT INTO tk_usage_events_v4 SELECT * FROM tk_usage_events;
DROP TABLE tk_usage_events;
ALTER TABLE tk_usage_events_v4 RENAME TO tk_usage_events;
