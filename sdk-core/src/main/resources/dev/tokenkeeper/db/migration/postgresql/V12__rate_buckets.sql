-- Rate-limit buckets shared by every instance on this database (RateLimitBackend.database()):
-- Bucket4j's PostgreSQL backend keeps one row per rate limit, its state serialized by Bucket4j.
CREATE TABLE tk_rate_buckets (
    id         TEXT PRIMARY KEY,
    state      BYTEA,
    expires_at BIGINT
);
