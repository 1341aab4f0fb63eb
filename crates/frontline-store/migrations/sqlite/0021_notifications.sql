-- Help requests mail the colleague or tier asked (admins may switch it off).
INSERT INTO notification_settings (kind, enabled) VALUES ('help_requested', TRUE);

-- The bell: one row per recipient of a staff notification, written by the
-- notification job that also sends the mail. `source` names that job (its
-- ticket, queue time and id, as in the mail's Message-ID), so a retried job
-- finds its rows already there instead of writing them twice.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    actor_id INTEGER REFERENCES users(id),
    detail TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE UNIQUE INDEX notifications_source ON notifications(source, user_id);
CREATE INDEX notifications_user ON notifications(user_id, id);
-- The unread count on every page reads this index alone.
CREATE INDEX notifications_unread ON notifications(user_id, id) WHERE read_at IS NULL;

-- Each staff user's own switches per notification kind, in-app and mail
-- apart; a kind without a row is on for both.
CREATE TABLE notification_preferences (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    in_app BOOLEAN NOT NULL,
    email BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);
