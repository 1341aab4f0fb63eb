-- Mail taken in, counted by source and outcome, for /metrics (the
-- PostgreSQL migration of the same number says why in the database).
CREATE TABLE mail_counts (
    source TEXT NOT NULL,
    outcome TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (source, outcome)
);

-- Coded columns (migration 0011 says why triggers on SQLite).
CREATE TRIGGER mail_counts_codes_insert BEFORE INSERT ON mail_counts
WHEN NOT (NEW.source IN ('imap', 'pipe') AND NEW.outcome IN ('stored', 'duplicate', 'quarantined'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: mail_counts (codes)'); END;
CREATE TRIGGER mail_counts_codes_update BEFORE UPDATE OF source, outcome ON mail_counts
WHEN NOT (NEW.source IN ('imap', 'pipe') AND NEW.outcome IN ('stored', 'duplicate', 'quarantined'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: mail_counts (codes)'); END;
