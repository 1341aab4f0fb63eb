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
