-- Frontline foundation schema (SQLite). Timestamps are UTC text written by
-- the application in one fixed format, so that they compare lexically.

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE organization_domains (
    domain TEXT PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE
);
CREATE INDEX organization_domains_org ON organization_domains(organization_id);

CREATE TABLE positions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL,
    rank INTEGER NOT NULL,
    tier INTEGER NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organization_id INTEGER REFERENCES organizations(id),
    position_id INTEGER REFERENCES positions(id),
    team_id INTEGER REFERENCES teams(id),
    reports_to INTEGER REFERENCES users(id),
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL
);
CREATE INDEX users_org ON users(organization_id);
CREATE INDEX users_role ON users(role, name);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts(email, at);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    ticket_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    requester_id INTEGER NOT NULL REFERENCES users(id),
    organization_id INTEGER REFERENCES organizations(id),
    assignee_id INTEGER REFERENCES users(id),
    team_id INTEGER REFERENCES teams(id),
    tier INTEGER NOT NULL,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    tags TEXT NOT NULL DEFAULT '',
    priority_rank INTEGER NOT NULL,
    is_open BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    solved_at TEXT
);
-- One index per queue predicate, ending in the default sort column, so a
-- queue's first page reads 50 index entries whatever the table's size.
CREATE INDEX tickets_mine ON tickets(assignee_id, is_open, updated_at, id);
CREATE INDEX tickets_tier_unassigned ON tickets(tier, is_open, updated_at, id) WHERE assignee_id IS NULL;
CREATE INDEX tickets_team ON tickets(team_id, is_open, updated_at, id);
CREATE INDEX tickets_open ON tickets(is_open, updated_at, id);
CREATE INDEX tickets_solved ON tickets(status, solved_at);
CREATE INDEX tickets_requester ON tickets(requester_id, id);
CREATE INDEX tickets_org ON tickets(organization_id, id);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags(tag);

-- Queue counts kept in the same transaction as every ticket write, so a
-- queue page never counts the tickets table. 0 stands for "none" in ids.
CREATE TABLE ticket_counts (
    status TEXT NOT NULL,
    tier INTEGER NOT NULL,
    team_id INTEGER NOT NULL,
    assignee_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (status, tier, team_id, assignee_id)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);

CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    actor_id INTEGER REFERENCES users(id),
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);
CREATE INDEX ticket_events_field_time ON ticket_events(field, created_at);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 10,
    locked_until TEXT,
    last_error TEXT,
    failed_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE failed_at IS NULL;

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    actor_id INTEGER REFERENCES users(id),
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX audit_log_time ON audit_log(id);

-- Full-text search with FTS5, kept current by triggers in the same
-- transaction as the text.
CREATE VIRTUAL TABLE ticket_subject_fts USING fts5(subject, content='tickets', content_rowid='id', tokenize='unicode61');
CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_subject_fts(rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject ON tickets BEGIN
    INSERT INTO ticket_subject_fts(ticket_subject_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
    INSERT INTO ticket_subject_fts(rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN
    INSERT INTO ticket_subject_fts(ticket_subject_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
END;

CREATE VIRTUAL TABLE message_body_fts USING fts5(body, content='messages', content_rowid='id', tokenize='unicode61');
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO message_body_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO message_body_fts(message_body_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
