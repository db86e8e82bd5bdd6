-- Threshold crossings already announced, one row per limit, window and threshold: the primary key
-- makes each announcement happen once per window, across restarts and instances. threshold is a
-- percentage of the amount, or 'grace' for usage going beyond the amount into the grace allowance.
CREATE TABLE tk_limit_alerts (
    limit_id              TEXT NOT NULL,
    window_start          BIGINT NOT NULL,
    threshold             TEXT NOT NULL,
    used                  BIGINT NOT NULL,
    fired_at              BIGINT NOT NULL,
    PRIMARY KEY (limit_id, window_start, threshold)
);
