-- CHECK constraints on the columns that hold codes, so that a row the
-- domain would refuse cannot be written by any path (a bug, a script, a
-- newer or older instance). The codes are the domain's (ticket.rs,
-- user.rs, queue tiers 1-3 and escalation levels 0-3); adding a code is a
-- migration that replaces the constraint. Kinds that grow often (job
-- kinds, notification kinds, audit actions) are left open: the job runner
-- fails an unknown kind with a clear error instead.
--
-- NOT VALID then VALIDATE: adding the constraint holds the table's lock only
-- for a moment, and the scan of existing rows takes a lock that lets reads
-- and writes go on.
ALTER TABLE tickets ADD CONSTRAINT tickets_status_code CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT tickets_priority_code CHECK (priority IN ('low', 'normal', 'high', 'urgent')) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT tickets_ticket_type_code CHECK (ticket_type IN ('question', 'incident', 'problem', 'task')) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT tickets_channel_code CHECK (channel IN ('web', 'portal', 'api', 'email')) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT tickets_tier_code CHECK (tier BETWEEN 1 AND 3) NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT tickets_escalation_level_code CHECK (escalation_level BETWEEN 0 AND 3) NOT VALID;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_status_code;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_priority_code;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_ticket_type_code;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_channel_code;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_tier_code;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_escalation_level_code;

ALTER TABLE ticket_counts ADD CONSTRAINT ticket_counts_status_code CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')) NOT VALID;
ALTER TABLE ticket_counts ADD CONSTRAINT ticket_counts_tier_code CHECK (tier BETWEEN 1 AND 3) NOT VALID;
ALTER TABLE ticket_counts VALIDATE CONSTRAINT ticket_counts_status_code;
ALTER TABLE ticket_counts VALIDATE CONSTRAINT ticket_counts_tier_code;

ALTER TABLE messages ADD CONSTRAINT messages_kind_code CHECK (kind IN ('public', 'internal')) NOT VALID;
ALTER TABLE messages ADD CONSTRAINT messages_channel_code CHECK (channel IN ('web', 'portal', 'api', 'email')) NOT VALID;
ALTER TABLE messages VALIDATE CONSTRAINT messages_kind_code;
ALTER TABLE messages VALIDATE CONSTRAINT messages_channel_code;

ALTER TABLE users ADD CONSTRAINT users_role_code CHECK (role IN ('admin', 'head_of_support', 'manager', 'agent', 'engineering', 'solutions_engineer', 'leadership', 'customer_admin', 'customer_member')) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_role_code;

ALTER TABLE positions ADD CONSTRAINT positions_tier_code CHECK (tier BETWEEN 1 AND 3) NOT VALID;
ALTER TABLE positions VALIDATE CONSTRAINT positions_tier_code;

ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_state_code CHECK (state IN ('running', 'committed', 'done')) NOT VALID;
ALTER TABLE idempotency_keys VALIDATE CONSTRAINT idempotency_keys_state_code;
