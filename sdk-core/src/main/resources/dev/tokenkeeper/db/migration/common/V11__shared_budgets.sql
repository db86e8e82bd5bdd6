-- Budgets shared by several instances: reservations are held in the database. reserved is the sum
-- of the open reservations of the window, across instances; each one is a row of
-- tk_limit_reservations, which any instance releases once it expires (a crashed caller's).
ALTER TABLE tk_limit_counters ADD COLUMN reserved BIGINT NOT NULL DEFAULT 0;

CREATE TABLE tk_limit_reservations (
    id                    TEXT PRIMARY KEY,
    limit_id              TEXT NOT NULL,
    window_start          BIGINT NOT NULL,
    units                 BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL
);

CREATE INDEX tk_limit_reservations_expiry ON tk_limit_reservations (expires_at);
