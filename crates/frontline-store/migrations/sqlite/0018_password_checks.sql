-- Every check of a signed-in user's current password (changing one's own
-- password asks for it): wrong guesses are throttled per user, apart from
-- sign-in, so they can never lock the real user out of signing in.
CREATE TABLE password_checks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    succeeded BOOLEAN NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX password_checks_user ON password_checks(user_id, at);
