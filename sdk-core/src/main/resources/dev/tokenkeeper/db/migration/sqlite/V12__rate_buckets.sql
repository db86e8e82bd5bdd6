-- Rate-limit buckets in the database need PostgreSQL (RateLimitBackend.database()); on SQLite, which
-- one process owns, buckets stay in memory. The table is kept so both schemas have the same shape.
CREATE TABLE tk_rate_buckets (
    id         TEXT PRIMARY KEY,
    state      BLOB,
    expires_at INTEGER
);
