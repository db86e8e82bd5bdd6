-- Leased shared budgets: an instance holds a lease (a row of tk_limit_reservations) on a window's
-- counter and admits calls against it in memory. recall_at is set when an instance could not get
-- the room a call needs: every instance then gives back the unused part of its lease on that window
-- and reserves exactly what each call needs there until the window ends.
ALTER TABLE tk_limit_counters ADD COLUMN recall_at BIGINT;

CREATE INDEX tk_limit_counters_recall ON tk_limit_counters (recall_at) WHERE recall_at IS NOT NULL;
