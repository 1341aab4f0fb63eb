-- Queue counts get a shard. On PostgreSQL each ticket-writer lane moves the
-- counts of its own shard, so parallel batches no longer wait on one hot row
-- (new, tier 1, no team, no assignee) from its update to their commit. Every
-- count query sums n, so readers do not care how a bucket is split.
-- SQLite has one writer and keeps everything in shard 0; the column is here
-- so both engines have one schema. The key changes, so instances running an
-- older version must be stopped before this migration runs (their upserts
-- name the old key).
CREATE TABLE ticket_counts_sharded (
    status TEXT NOT NULL,
    tier INTEGER NOT NULL,
    team_id INTEGER NOT NULL,
    assignee_id INTEGER NOT NULL,
    shard INTEGER NOT NULL DEFAULT 0,
    n INTEGER NOT NULL,
    PRIMARY KEY (status, tier, team_id, assignee_id, shard)
);
INSERT INTO ticket_counts_sharded (status, tier, team_id, assignee_id, shard, n)
    SELECT status, tier, team_id, assignee_id, 0, n FROM ticket_counts;
DROP TABLE ticket_counts;
ALTER TABLE ticket_counts_sharded RENAME TO ticket_counts;
-- Dropping the old table dropped its code checks (0011): the same again.
CREATE TRIGGER ticket_counts_codes_insert BEFORE INSERT ON ticket_counts
WHEN NOT (NEW.status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (NEW.tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_counts (status, tier)'); END;
CREATE TRIGGER ticket_counts_codes_update BEFORE UPDATE OF status, tier ON ticket_counts
WHEN NOT (NEW.status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (NEW.tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_counts (status, tier)'); END;
