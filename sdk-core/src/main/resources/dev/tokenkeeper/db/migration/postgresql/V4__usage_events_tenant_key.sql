-- The events' primary key becomes (tenant_id, id). The id starts with the event's time, so this one
-- index serves idempotent inserts, lookups by id and the per-tenant trace listing in time order;
-- the separate id index and the (tenant_id, at, id) index go. One B-tree less per event written.
ALTER TABLE tk_usage_events DROP CONSTRAINT tk_usage_events_pkey;
DROP INDEX tk_usage_events_tenant_at;
ALTER TABLE tk_usage_events ADD PRIMARY KEY (tenant_id, id);
