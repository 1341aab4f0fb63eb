-- The SLA pass's bookkeeping moves off the tickets row (the PostgreSQL
-- migration of the same number says why), and each target's own breach
-- gets a column in place of the JSON state.
CREATE TABLE sla_marks (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    dirty INTEGER NOT NULL DEFAULT 1,
    seen INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sla_marks (ticket_id, dirty, seen) SELECT id, sla_dirty + 1, sla_seen FROM tickets;
CREATE INDEX sla_marks_dirty ON sla_marks(ticket_id) WHERE dirty > seen;
DROP INDEX tickets_sla_dirty;
ALTER TABLE tickets DROP COLUMN sla_dirty;
ALTER TABLE tickets DROP COLUMN sla_seen;

ALTER TABLE ticket_sla ADD COLUMN first_reply_breached_at TEXT;
ALTER TABLE ticket_sla ADD COLUMN next_reply_breached_at TEXT;
ALTER TABLE ticket_sla ADD COLUMN resolution_breached_at TEXT;
ALTER TABLE ticket_sla DROP COLUMN snapshot;
CREATE INDEX ticket_sla_first_reply_breached ON ticket_sla(first_reply_breached_at) WHERE first_reply_breached_at IS NOT NULL;
CREATE INDEX ticket_sla_next_reply_breached ON ticket_sla(next_reply_breached_at) WHERE next_reply_breached_at IS NOT NULL;
CREATE INDEX ticket_sla_resolution_breached ON ticket_sla(resolution_breached_at) WHERE resolution_breached_at IS NOT NULL;
