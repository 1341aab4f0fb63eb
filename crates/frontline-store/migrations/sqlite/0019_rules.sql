-- Automatic rules, near-breach warnings and the scheduler that runs both
-- (the PostgreSQL migration of the same number says what each is for).
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    condition TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',
    effect TEXT NOT NULL,
    disabled_reason TEXT,
    author_id INTEGER NOT NULL REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE rule_firings (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    instance TEXT NOT NULL,
    fired_at TEXT NOT NULL
);
CREATE UNIQUE INDEX rule_firings_once ON rule_firings(rule_id, ticket_id, instance);
CREATE INDEX rule_firings_ticket ON rule_firings(ticket_id, id);

CREATE TABLE sla_warnings (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    due_at TEXT NOT NULL,
    warned_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, target, due_at)
);

ALTER TABLE tickets ADD COLUMN status_since TEXT;
UPDATE tickets SET status_since = COALESCE(
    (SELECT MAX(e.created_at) FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.field = 'status'), created_at);
CREATE INDEX tickets_status_since ON tickets(status, status_since);

ALTER TABLE jobs ADD COLUMN singleton TEXT;
CREATE UNIQUE INDEX jobs_singleton ON jobs(singleton);

INSERT INTO notification_settings (kind, enabled) VALUES ('sla_warning', TRUE), ('rule_notice', TRUE);

-- Coded columns (migration 0011 says why triggers on SQLite).
CREATE TRIGGER sla_warnings_codes_insert BEFORE INSERT ON sla_warnings
WHEN NOT (NEW.target IN ('first_reply', 'next_reply', 'resolution'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: sla_warnings (target)'); END;
CREATE TRIGGER sla_warnings_codes_update BEFORE UPDATE OF target ON sla_warnings
WHEN NOT (NEW.target IN ('first_reply', 'next_reply', 'resolution'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: sla_warnings (target)'); END;
