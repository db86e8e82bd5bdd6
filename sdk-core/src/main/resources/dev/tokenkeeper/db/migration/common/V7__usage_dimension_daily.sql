-- Per tenant, dimension, UTC day and value of the dimension (a token, a model ...): the sums. A
-- breakdown over a long range reads whole days here and only its partial first and last days from
-- tk_usage_hourly, so "top tokens of the last 30 days" reads about 30 rows per token instead of 720
-- rows per dimension combination. Written with the other roll-ups, in the same transaction.
CREATE TABLE tk_usage_dim_daily (
    tenant_id             TEXT NOT NULL,
    dimension             TEXT NOT NULL,
    day_start             BIGINT NOT NULL,
    dim_value             TEXT NOT NULL,
    requests              BIGINT NOT NULL,
    input_tokens          BIGINT NOT NULL,
    cached_input_tokens   BIGINT NOT NULL,
    cache_write_tokens    BIGINT NOT NULL,
    output_tokens         BIGINT NOT NULL,
    reasoning_tokens      BIGINT NOT NULL,
    cost_pico             BIGINT NOT NULL,
    price_missing_requests BIGINT NOT NULL,
    latency_ms_sum        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, dimension, day_start, dim_value)
);

INSERT INTO tk_usage_dim_daily
SELECT tenant_id, 'provider', (hour_start / 86400000) * 86400000, provider, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_pico), SUM(price_missing_requests), SUM(latency_ms_sum)
FROM tk_usage_hourly
GROUP BY tenant_id, (hour_start / 86400000) * 86400000, provider;

INSERT INTO tk_usage_dim_daily
SELECT tenant_id, 'model', (hour_start / 86400000) * 86400000, model, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_pico), SUM(price_missing_requests), SUM(latency_ms_sum)
FROM tk_usage_hourly
GROUP BY tenant_id, (hour_start / 86400000) * 86400000, model;

INSERT INTO tk_usage_dim_daily
SELECT tenant_id, 'project_id', (hour_start / 86400000) * 86400000, project_id, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_pico), SUM(price_missing_requests), SUM(latency_ms_sum)
FROM tk_usage_hourly
GROUP BY tenant_id, (hour_start / 86400000) * 86400000, project_id;

INSERT INTO tk_usage_dim_daily
SELECT tenant_id, 'user_id', (hour_start / 86400000) * 86400000, user_id, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_pico), SUM(price_missing_requests), SUM(latency_ms_sum)
FROM tk_usage_hourly
GROUP BY tenant_id, (hour_start / 86400000) * 86400000, user_id;

INSERT INTO tk_usage_dim_daily
SELECT tenant_id, 'token_id', (hour_start / 86400000) * 86400000, token_id, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_pico), SUM(price_missing_requests), SUM(latency_ms_sum)
FROM tk_usage_hourly
GROUP BY tenant_id, (hour_start / 86400000) * 86400000, token_id;
