-- Sign-in throttling is keyed per (email, client address) and per address.
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

-- Sessions a user can list and end: where and with what they were opened,
-- and when they were last used (noted at most once a minute).
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;

-- Password reset links. The row is written with the request (and its mail
-- job); the secret is made when the mail is sent, and only its SHA-256 is
-- kept (token_hash stays NULL until then). Using one link spends every
-- earlier link of the user.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_resets_user ON password_resets(user_id);

-- Every reset request, for known and unknown emails alike, so that the
-- throttle per email and per address says nothing about who exists.
CREATE TABLE password_reset_requests (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX password_reset_requests_email ON password_reset_requests(email, at);
CREATE INDEX password_reset_requests_ip ON password_reset_requests(ip, at);
