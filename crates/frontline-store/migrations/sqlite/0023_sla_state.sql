-- Where each ticket stands against its SLA (the PostgreSQL migration of
-- the same number says what each column is for and how the dirty mark
-- survives a crash).
ALTER TABLE tickets ADD COLUMN sla_dirty INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tickets ADD COLUMN sla_due_at TEXT;
CREATE INDEX tickets_sla_dirty ON tickets(id) WHERE sla_dirty > 0;

CREATE TABLE ticket_sla (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    policy_id INTEGER REFERENCES sla_policies(id) ON DELETE SET NULL,
    computed_at TEXT NOT NULL,
    paused BOOLEAN NOT NULL,
    due_at TEXT,
    due_target TEXT,
    warn_at TEXT,
    breached_at TEXT,
    next_check_at TEXT,
    snapshot TEXT NOT NULL
);
CREATE INDEX ticket_sla_next_check ON ticket_sla(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX ticket_sla_policy ON ticket_sla(policy_id);

ALTER TABLE users ADD COLUMN availability TEXT NOT NULL DEFAULT 'available';

-- Coded columns (migration 0011 says why triggers on SQLite). A NULL
-- due_target passes: NOT (NULL IN ..) is NULL.
CREATE TRIGGER ticket_sla_codes_insert BEFORE INSERT ON ticket_sla
WHEN NOT (NEW.due_target IN ('first_reply', 'next_reply', 'resolution'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_sla (due_target)'); END;
CREATE TRIGGER ticket_sla_codes_update BEFORE UPDATE OF due_target ON ticket_sla
WHEN NOT (NEW.due_target IN ('first_reply', 'next_reply', 'resolution'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_sla (due_target)'); END;
CREATE TRIGGER users_availability_code_insert BEFORE INSERT ON users
WHEN NOT (NEW.availability IN ('available', 'away', 'off'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users (availability)'); END;
CREATE TRIGGER users_availability_code_update BEFORE UPDATE OF availability ON users
WHEN NOT (NEW.availability IN ('available', 'away', 'off'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users (availability)'); END;
