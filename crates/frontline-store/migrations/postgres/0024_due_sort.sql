-- "Due soonest" in the queues: each open-ticket view sorted by due time
-- reads one range of its own index, in the order the page wants it:
--   ORDER BY (sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC
-- (tickets with a due time first, the earliest first, then the rest as
-- the queues list them by default). The leading expression puts NULLs last
-- in the same way on both engines: SQLite sorts NULL first and cannot
-- read an index backwards for NULLS LAST. Only open tickets are indexed:
-- the due sort is for the open views, and solved tickets are most rows.
CREATE INDEX tickets_mine_due ON tickets(assignee_id, (sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE is_open = TRUE;
CREATE INDEX tickets_tier_unassigned_due ON tickets(tier, (sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE assignee_id IS NULL AND is_open = TRUE;
CREATE INDEX tickets_team_due ON tickets(team_id, (sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE is_open = TRUE;
CREATE INDEX tickets_open_due ON tickets((sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE is_open = TRUE;
-- The API list sorted by due (any filter): its tickets with a due time,
-- by due time from the cursor on; those without one come after, newest
-- first, from the primary key.
CREATE INDEX tickets_due ON tickets(sla_due_at, id DESC) WHERE sla_due_at IS NOT NULL;
