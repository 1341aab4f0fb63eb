-- The Engineering queue (open tickets at the Engineering step) and its
-- count read this index; the count rows (ticket_counts) have no step.
CREATE INDEX tickets_step ON tickets(escalation_level, is_open, updated_at, id);
