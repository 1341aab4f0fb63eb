-- Where each ticket stands against its SLA, kept for the pages and jobs
-- that must not read every ticket's history: queue rows sorted by "due
-- soonest", the workload view's near-breach and overdue counts, and the
-- scheduler that wakes at the next instant a clock crosses something.
-- The ticket page and the API compute the state afresh from the history
-- (frontline-app/src/sla.rs); these columns are the last such computation.
--
-- Every ticket write counts up `sla_dirty`, in the write's own
-- transaction; the SLA pass recomputes dirty tickets and sets it back to 0
-- only if it still holds the count the pass read (a write meanwhile keeps
-- the ticket dirty, even within one microsecond), so a crash anywhere
-- leaves at worst a dirty mark that the next pass picks up.
ALTER TABLE tickets ADD COLUMN sla_dirty BIGINT NOT NULL DEFAULT 1;
-- The earliest due time of the customer's targets still running (NULL: no
-- policy applies, the clock is paused, or nothing is being waited for).
ALTER TABLE tickets ADD COLUMN sla_due_at TIMESTAMPTZ;
CREATE INDEX tickets_sla_dirty ON tickets(id) WHERE sla_dirty > 0;

CREATE TABLE ticket_sla (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    policy_id BIGINT REFERENCES sla_policies(id) ON DELETE SET NULL,
    computed_at TIMESTAMPTZ NOT NULL,
    paused BOOLEAN NOT NULL,
    -- = tickets.sla_due_at, and which target it is
    due_at TIMESTAMPTZ,
    due_target TEXT,
    -- when the ticket counts as near breach (before due_at)
    warn_at TIMESTAMPTZ,
    -- the earliest breach of a target the ticket still waits for
    breached_at TIMESTAMPTZ,
    -- the next instant the state changes by time alone (a warning, a due
    -- time, a step's share running out): the scheduler looks again then
    next_check_at TIMESTAMPTZ,
    -- the whole state (targets, steps), JSON written from the domain's SlaState
    snapshot TEXT NOT NULL,
    CONSTRAINT ticket_sla_due_target_code CHECK (due_target IN ('first_reply', 'next_reply', 'resolution'))
);
CREATE INDEX ticket_sla_next_check ON ticket_sla(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX ticket_sla_policy ON ticket_sla(policy_id);

-- Agents say whether they take new work: automatic assignment passes over
-- those away or off.
ALTER TABLE users ADD COLUMN availability TEXT NOT NULL DEFAULT 'available';
ALTER TABLE users ADD CONSTRAINT users_availability_code CHECK (availability IN ('available', 'away', 'off'));
