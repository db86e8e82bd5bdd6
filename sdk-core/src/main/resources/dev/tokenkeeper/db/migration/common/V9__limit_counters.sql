-- What each limit has counted per window, in the limit's unit. Written by the ledger's writer in the
-- same transaction as the events it counts, so the counters always equal the ledger. A new window
-- is a new row starting at zero: no reset job. window_start is the window's first instant (epoch ms).
CREATE TABLE tk_limit_counters (
    limit_id              TEXT NOT NULL,
    window_start          BIGINT NOT NULL,
    used                  BIGINT NOT NULL,
    PRIMARY KEY (limit_id, window_start)
);
