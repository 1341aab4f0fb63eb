-- Steps on the escalation path (tier 1 -> tier 2 -> Head of Support ->
-- Engineering), one row per action that moved or marked a ticket, with the
-- reason given and the internal note that carries it. The ticket's own
-- tier and escalation_level hold where it stands now; this is how it got
-- there. A later problem record attaches to the row that reached
-- Engineering.
CREATE TABLE ticket_escalations (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    from_step TEXT NOT NULL,
    to_step TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    reason TEXT NOT NULL,
    note_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_escalations_ticket ON ticket_escalations(ticket_id, id);
CREATE UNIQUE INDEX ticket_escalations_note ON ticket_escalations(note_id);

-- Escalation mail to the people of the step a ticket reaches.
INSERT INTO notification_settings (kind, enabled) VALUES ('ticket_escalated', TRUE);

-- Questions to a colleague (to_user_id) or a whole tier (to_tier) about a
-- ticket, without handing it over: open until answered (the answer is an
-- internal note, answer_note_id) or withdrawn by whoever asked.
CREATE TABLE help_requests (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    asked_by INTEGER REFERENCES users(id),
    to_user_id INTEGER REFERENCES users(id),
    to_tier INTEGER,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    answer_note_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    answered_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    closed_at TEXT,
    CONSTRAINT help_requests_one_target CHECK ((to_user_id IS NULL) <> (to_tier IS NULL))
);
CREATE INDEX help_requests_to_user ON help_requests(to_user_id, status, id);
CREATE INDEX help_requests_to_tier ON help_requests(to_tier, status, id);
CREATE INDEX help_requests_asked_by ON help_requests(asked_by, status, id);
CREATE INDEX help_requests_ticket ON help_requests(ticket_id, id);

-- Coded columns refuse unknown codes (migration 0011 says why triggers on
-- SQLite). A NULL to_tier (a question to one colleague) passes: NOT (NULL
-- BETWEEN ..) is NULL, which does not fire the trigger.
CREATE TRIGGER ticket_escalations_codes_insert BEFORE INSERT ON ticket_escalations
WHEN NOT (NEW.action IN ('escalate', 'de_escalate', 'needs_senior')) OR NOT (NEW.from_step IN ('tier_1', 'tier_2', 'head_of_support', 'engineering')) OR NOT (NEW.to_step IN ('tier_1', 'tier_2', 'head_of_support', 'engineering'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_escalations (codes)'); END;
CREATE TRIGGER ticket_escalations_codes_update BEFORE UPDATE OF action, from_step, to_step ON ticket_escalations
WHEN NOT (NEW.action IN ('escalate', 'de_escalate', 'needs_senior')) OR NOT (NEW.from_step IN ('tier_1', 'tier_2', 'head_of_support', 'engineering')) OR NOT (NEW.to_step IN ('tier_1', 'tier_2', 'head_of_support', 'engineering'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_escalations (codes)'); END;
CREATE TRIGGER help_requests_codes_insert BEFORE INSERT ON help_requests
WHEN NOT (NEW.status IN ('open', 'answered', 'withdrawn')) OR NOT (NEW.to_tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: help_requests (codes)'); END;
CREATE TRIGGER help_requests_codes_update BEFORE UPDATE OF status, to_tier ON help_requests
WHEN NOT (NEW.status IN ('open', 'answered', 'withdrawn')) OR NOT (NEW.to_tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: help_requests (codes)'); END;
