-- Inbound mail: the Message-ID of the mail that carried a message (to store
-- each mail once and to thread replies), followers, and a quarantine for
-- mail that could not be parsed (kept raw, never dropped).
ALTER TABLE messages ADD COLUMN email_message_id TEXT;
CREATE UNIQUE INDEX messages_email_message_id ON messages(email_message_id) WHERE email_message_id IS NOT NULL;

CREATE TABLE ticket_followers (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, user_id)
);

CREATE TABLE mail_quarantine (
    id INTEGER PRIMARY KEY,
    mailbox TEXT NOT NULL,
    raw TEXT NOT NULL,
    error TEXT NOT NULL,
    received_at TEXT NOT NULL
);
