-- Per tenant and UTC hour, the sums over every dimension: a 30-day summary or daily series of a
-- tenant reads 720 rows here instead of every dimension combination of tk_usage_hourly. Written by
-- the ledger's writer in the same transaction as the events and the dimensional roll-ups.
CREATE TABLE tk_usage_tenant_hourly (
    tenant_id             TEXT NOT NULL,
    hour_start            BIGINT NOT NULL,
    requests              BIGINT NOT NULL,
    input_tokens          BIGINT NOT NULL,
    cached_input_tokens   BIGINT NOT NULL,
    cache_write_tokens    BIGINT NOT NULL,
    output_tokens         BIGINT NOT NULL,
    reasoning_tokens      BIGINT NOT NULL,
    cost_pico             BIGINT NOT NULL,
    price_missing_requests BIGINT NOT NULL,
    latency_ms_sum        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hour_start)
);

INSERT INTO tk_usage_tenant_hourly
SELECT tenant_id, hour_start, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens),
       SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_pico), SUM(price_missing_requests), SUM(latency_ms_sum)
FROM tk_usage_hourly
GROUP BY tenant_id, hour_start;

-- Questions about one token, project, user or model read only that one's roll-up rows. An upsert that
-- adds to an existing row changes no indexed column, so these indexes cost only when a dimension
-- combination first appears in an hour.
CREATE INDEX tk_usage_hourly_token ON tk_usage_hourly (tenant_id, token_id, hour_start);
CREATE INDEX tk_usage_hourly_project ON tk_usage_hourly (tenant_id, project_id, hour_start);
CREATE INDEX tk_usage_hourly_user ON tk_usage_hourly (tenant_id, user_id, hour_start);
CREATE INDEX tk_usage_hourly_model ON tk_usage_hourly (tenant_id, model, hour_start);
