-- Each delivered mail is kept once. messages.email_message_id now holds the
-- mail's key: its Message-ID (<id@host>), or 'sha256:' and the hex digest of
-- its exact bytes when it has none; its unique index already makes two
-- deliveries of one mail store it once. The quarantine gets the same key,
-- so a mail sitting there is not kept again when it is delivered again.
-- Rows quarantined before this have no key.
ALTER TABLE mail_quarantine ADD COLUMN mail_key TEXT;
CREATE UNIQUE INDEX mail_quarantine_mail_key ON mail_quarantine(mail_key);
