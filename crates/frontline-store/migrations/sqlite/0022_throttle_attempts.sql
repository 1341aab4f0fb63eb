-- One log for every throttled attempt (sign-ins, password reset requests and
-- checks of a signed-in user's current password), instead of a table each
-- that said the same thing twice. An attempt counts as failed until it is
-- marked a success; `action` says which throttle it belongs to. Rows younger than a day are
-- all a throttle reads, so copying them over keeps every lock running.
CREATE TABLE throttle_attempts (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO throttle_attempts (action, email, ip, succeeded, at)
    SELECT 'sign_in', email, ip, succeeded, at FROM login_attempts;
INSERT INTO throttle_attempts (action, email, ip, succeeded, at)
    SELECT 'password_reset', email, ip, FALSE, at FROM password_reset_requests;
DROP TABLE login_attempts;
DROP TABLE password_reset_requests;
CREATE INDEX throttle_attempts_email ON throttle_attempts(action, email, at);
CREATE INDEX throttle_attempts_ip ON throttle_attempts(action, ip, at);

-- The action is a code (migration 0011 says why triggers on SQLite).
CREATE TRIGGER throttle_attempts_codes_insert BEFORE INSERT ON throttle_attempts
WHEN NOT (NEW.action IN ('sign_in', 'password_reset', 'current_password'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: throttle_attempts (action)'); END;
CREATE TRIGGER throttle_attempts_codes_update BEFORE UPDATE OF action ON throttle_attempts
WHEN NOT (NEW.action IN ('sign_in', 'password_reset', 'current_password'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: throttle_attempts (action)'); END;
