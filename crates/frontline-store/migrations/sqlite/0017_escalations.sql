-- Steps on the escalation path (tier 1 -> tier 2 -> Head of Support ->
-- Engineering), one row per action that moved or marked a ticket, with the
-- reason given and the internal note that carries it. The ticket's own
-- tier and escalation_level hold where it stands now; this is how it got
-- there. A later problem record attaches to the row that reached
-- Engineering.
CREATE TABLE ticket_escalations (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    action TEXT NOT NULL CHECK (action IN ('escalate', 'de_escalate', 'needs_senior')),
    from_step TEXT NOT NULL CHECK (from_step IN ('tier_1', 'tier_2', 'head_of_support', 'engineering')),
    to_step TEXT NOT NULL CHECK (to_step IN ('tier_1', 'tier_2', 'head_of_support', 'engineering')),
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
    to_tier INTEGER CHECK (to_tier BETWEEN 1 AND 3),
    question TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'withdrawn')),
    answer_note_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    answered_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    closed_at TEXT,
    CHECK ((to_user_id IS NULL) <> (to_tier IS NULL))
);
CREATE INDEX help_requests_to_user ON help_requests(to_user_id, status, id);
CREATE INDEX help_requests_to_tier ON help_requests(to_tier, status, id);
CREATE INDEX help_requests_asked_by ON help_requests(asked_by, status, id);
CREATE INDEX help_requests_ticket ON help_requests(ticket_id, id);
