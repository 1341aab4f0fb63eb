-- IMAP progress per mailbox: the last UID stored under a UIDVALIDITY. Read
-- flags are never used, so people reading the mailbox change nothing.
CREATE TABLE imap_state (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL
);
