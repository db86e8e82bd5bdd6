-- Prices added or overridden at runtime (API or file), shared by every instance on this database.
-- They apply on top of the bundled catalog: for the same model and effective instant, the runtime
-- price wins. Rates are decimal strings in USD per million tokens, exactly as given.
CREATE TABLE tk_prices (
    provider              TEXT NOT NULL,
    model                 TEXT NOT NULL,
    effective_from        BIGINT NOT NULL,
    input                 TEXT NOT NULL,
    cached_input          TEXT NOT NULL,
    cache_write           TEXT NOT NULL,
    output                TEXT NOT NULL,
    long_context_above    BIGINT,
    long_context_input    TEXT,
    long_context_cached_input TEXT,
    long_context_cache_write TEXT,
    long_context_output   TEXT,
    source                TEXT NOT NULL,
    checked_on            TEXT NOT NULL,
    updated_at            BIGINT NOT NULL,
    updated_by            TEXT NOT NULL,
    PRIMARY KEY (provider, model, effective_from)
);
