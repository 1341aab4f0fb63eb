-- Email: every mail Frontline sends is remembered by its Message-ID, so that a
-- customer's answer to it threads back to its ticket (In-Reply-To/References).
CREATE TABLE sent_mail (
    message_id TEXT PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipients TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX sent_mail_ticket ON sent_mail(ticket_id, sent_at);

-- Which automatic mails are sent (admins switch kinds on and off).
CREATE TABLE notification_settings (
    kind TEXT PRIMARY KEY,
    enabled BOOLEAN NOT NULL
);
INSERT INTO notification_settings (kind, enabled) VALUES
    ('ticket_created', TRUE),
    ('public_reply', TRUE),
    ('ticket_solved', TRUE),
    ('ticket_assigned', TRUE);
