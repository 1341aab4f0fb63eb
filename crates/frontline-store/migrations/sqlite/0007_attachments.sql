-- Attachments and inline images of messages, and the sanitized HTML of
-- mail. File contents live once per SHA-256 (signature logos repeat in
-- every mail); `attachments` says which message carries which file.
ALTER TABLE messages ADD COLUMN body_html TEXT;

CREATE TABLE attachment_blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    data BLOB NOT NULL
);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- Content-ID of an inline image, which the HTML refers to as cid:...
    content_id TEXT,
    is_inline BOOLEAN NOT NULL DEFAULT FALSE,
    sha256 TEXT NOT NULL REFERENCES attachment_blobs(sha256),
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id, message_id);
CREATE INDEX attachments_message ON attachments(message_id);

-- Quarantined mail is kept as the exact bytes received (not text), with the
-- team of the mailbox it came to, so a retry files it where it belonged.
CREATE TABLE mail_quarantine_v2 (
    id INTEGER PRIMARY KEY,
    mailbox TEXT NOT NULL,
    team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
    raw BLOB NOT NULL,
    error TEXT NOT NULL,
    received_at TEXT NOT NULL
);
INSERT INTO mail_quarantine_v2 (id, mailbox, team_id, raw, error, received_at)
    SELECT id, mailbox, NULL, CAST(raw AS BLOB), error, received_at FROM mail_quarantine;
DROP TABLE mail_quarantine;
ALTER TABLE mail_quarantine_v2 RENAME TO mail_quarantine;
