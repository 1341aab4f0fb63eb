-- The SLA pass's bookkeeping moves off the tickets row. A ticket row is
-- wide and carries eighteen indexes, so on PostgreSQL every rewrite of it
-- cost about 0.1 ms: marking the open tickets after a policy edit (100,000
-- rows) took 11 s while holding every one of them, and the pass rewrote
-- each ticket it measured only to record the count it had seen.
--
-- `sla_marks` holds the same two counts as before (0023 says how they keep
-- a write made during a pass from being lost): every ticket write counts up
-- `dirty` in its own transaction, the pass records `seen`, and neither
-- goes down. `tickets.sla_due_at` stays, for the queues' due order, and the
-- pass now writes it only when it changed.
CREATE TABLE sla_marks (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    dirty BIGINT NOT NULL DEFAULT 1,
    seen BIGINT NOT NULL DEFAULT 0
);
-- One count ahead, so the pass fills the breach columns below for every ticket.
INSERT INTO sla_marks (ticket_id, dirty, seen) SELECT id, sla_dirty + 1, sla_seen FROM tickets;
CREATE INDEX sla_marks_dirty ON sla_marks(ticket_id) WHERE dirty > seen;
DROP INDEX tickets_sla_dirty;
ALTER TABLE tickets DROP COLUMN sla_dirty;
ALTER TABLE tickets DROP COLUMN sla_seen;

-- Each target's own breach while the ticket still waits for it, for breach
-- rules about one target: found on their own indexes, where before such a
-- rule read every breached ticket's JSON state and could be held up behind
-- tickets breached on another target. The JSON state had no other reader.
ALTER TABLE ticket_sla ADD COLUMN first_reply_breached_at TIMESTAMPTZ;
ALTER TABLE ticket_sla ADD COLUMN next_reply_breached_at TIMESTAMPTZ;
ALTER TABLE ticket_sla ADD COLUMN resolution_breached_at TIMESTAMPTZ;
ALTER TABLE ticket_sla DROP COLUMN snapshot;
CREATE INDEX ticket_sla_first_reply_breached ON ticket_sla(first_reply_breached_at) WHERE first_reply_breached_at IS NOT NULL;
CREATE INDEX ticket_sla_next_reply_breached ON ticket_sla(next_reply_breached_at) WHERE next_reply_breached_at IS NOT NULL;
CREATE INDEX ticket_sla_resolution_breached ON ticket_sla(resolution_breached_at) WHERE resolution_breached_at IS NOT NULL;
