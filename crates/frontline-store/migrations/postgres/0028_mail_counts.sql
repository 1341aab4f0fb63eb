-- Mail taken in, counted by where it came from and what became of it, for
-- /metrics. In the database, not in a process, because `frontline mail
-- ingest` runs as a process of its own for each piped message.
CREATE TABLE mail_counts (
    source TEXT NOT NULL CHECK (source IN ('imap', 'pipe')),
    outcome TEXT NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'quarantined')),
    n BIGINT NOT NULL,
    PRIMARY KEY (source, outcome)
);
