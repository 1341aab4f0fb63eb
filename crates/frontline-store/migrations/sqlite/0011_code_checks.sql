-- CHECK constraints on the columns that hold codes, so that a row the
-- domain would refuse cannot be written by any path (a bug, a script, a
-- newer or older instance). The codes are the domain's (ticket.rs,
-- user.rs, queue tiers 1-3 and escalation levels 0-3). Kinds that grow
-- often (job kinds, notification kinds, audit actions) are left open: the
-- job runner fails an unknown kind with a clear error instead.
--
-- SQLite cannot add a CHECK to an existing table. Rebuilding the tables
-- would mean copying every ticket, recreating the FTS triggers and
-- indexes, and turning foreign keys off, which cannot be done inside the
-- migration's transaction; so BEFORE INSERT/UPDATE triggers refuse bad
-- codes instead (RAISE(ABORT) rolls the statement back, as a CHECK does).
-- They leave the table definitions alike on both engines. Existing rows
-- are checked first: a bad one makes this migration fail by inserting
-- into a table whose own CHECK refuses it.

CREATE TABLE _codes_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO _codes_check (ok) SELECT 0 FROM tickets WHERE NOT (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (priority IN ('low', 'normal', 'high', 'urgent')) OR NOT (ticket_type IN ('question', 'incident', 'problem', 'task')) OR NOT (channel IN ('web', 'portal', 'api', 'email')) OR NOT (tier BETWEEN 1 AND 3) OR NOT (escalation_level BETWEEN 0 AND 3) LIMIT 1;
INSERT INTO _codes_check (ok) SELECT 0 FROM ticket_counts WHERE NOT (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (tier BETWEEN 1 AND 3) LIMIT 1;
INSERT INTO _codes_check (ok) SELECT 0 FROM messages WHERE NOT (kind IN ('public', 'internal')) OR NOT (channel IN ('web', 'portal', 'api', 'email')) LIMIT 1;
INSERT INTO _codes_check (ok) SELECT 0 FROM users WHERE NOT (role IN ('admin', 'head_of_support', 'manager', 'agent', 'engineering', 'solutions_engineer', 'leadership', 'customer_admin', 'customer_member')) LIMIT 1;
INSERT INTO _codes_check (ok) SELECT 0 FROM positions WHERE NOT (tier BETWEEN 1 AND 3) LIMIT 1;
INSERT INTO _codes_check (ok) SELECT 0 FROM idempotency_keys WHERE NOT (state IN ('running', 'committed', 'done')) LIMIT 1;
DROP TABLE _codes_check;

CREATE TRIGGER tickets_codes_insert BEFORE INSERT ON tickets
WHEN NOT (NEW.status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (NEW.priority IN ('low', 'normal', 'high', 'urgent')) OR NOT (NEW.ticket_type IN ('question', 'incident', 'problem', 'task')) OR NOT (NEW.channel IN ('web', 'portal', 'api', 'email')) OR NOT (NEW.tier BETWEEN 1 AND 3) OR NOT (NEW.escalation_level BETWEEN 0 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tickets (status, priority, ticket_type, channel, tier, escalation_level)'); END;
CREATE TRIGGER tickets_codes_update BEFORE UPDATE OF status, priority, ticket_type, channel, tier, escalation_level ON tickets
WHEN NOT (NEW.status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (NEW.priority IN ('low', 'normal', 'high', 'urgent')) OR NOT (NEW.ticket_type IN ('question', 'incident', 'problem', 'task')) OR NOT (NEW.channel IN ('web', 'portal', 'api', 'email')) OR NOT (NEW.tier BETWEEN 1 AND 3) OR NOT (NEW.escalation_level BETWEEN 0 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tickets (status, priority, ticket_type, channel, tier, escalation_level)'); END;

CREATE TRIGGER ticket_counts_codes_insert BEFORE INSERT ON ticket_counts
WHEN NOT (NEW.status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (NEW.tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_counts (status, tier)'); END;
CREATE TRIGGER ticket_counts_codes_update BEFORE UPDATE OF status, tier ON ticket_counts
WHEN NOT (NEW.status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) OR NOT (NEW.tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ticket_counts (status, tier)'); END;

CREATE TRIGGER messages_codes_insert BEFORE INSERT ON messages
WHEN NOT (NEW.kind IN ('public', 'internal')) OR NOT (NEW.channel IN ('web', 'portal', 'api', 'email'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: messages (kind, channel)'); END;
CREATE TRIGGER messages_codes_update BEFORE UPDATE OF kind, channel ON messages
WHEN NOT (NEW.kind IN ('public', 'internal')) OR NOT (NEW.channel IN ('web', 'portal', 'api', 'email'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: messages (kind, channel)'); END;

CREATE TRIGGER users_codes_insert BEFORE INSERT ON users
WHEN NOT (NEW.role IN ('admin', 'head_of_support', 'manager', 'agent', 'engineering', 'solutions_engineer', 'leadership', 'customer_admin', 'customer_member'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users (role)'); END;
CREATE TRIGGER users_codes_update BEFORE UPDATE OF role ON users
WHEN NOT (NEW.role IN ('admin', 'head_of_support', 'manager', 'agent', 'engineering', 'solutions_engineer', 'leadership', 'customer_admin', 'customer_member'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users (role)'); END;

CREATE TRIGGER positions_codes_insert BEFORE INSERT ON positions
WHEN NOT (NEW.tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: positions (tier)'); END;
CREATE TRIGGER positions_codes_update BEFORE UPDATE OF tier ON positions
WHEN NOT (NEW.tier BETWEEN 1 AND 3)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: positions (tier)'); END;

CREATE TRIGGER idempotency_keys_codes_insert BEFORE INSERT ON idempotency_keys
WHEN NOT (NEW.state IN ('running', 'committed', 'done'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: idempotency_keys (state)'); END;
CREATE TRIGGER idempotency_keys_codes_update BEFORE UPDATE OF state ON idempotency_keys
WHEN NOT (NEW.state IN ('running', 'committed', 'done'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: idempotency_keys (state)'); END;
