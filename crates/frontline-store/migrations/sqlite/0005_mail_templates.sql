-- Admin-edited notification mails (minijinja); kinds without a row use the built-in text.
CREATE TABLE mail_templates (
    kind TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
