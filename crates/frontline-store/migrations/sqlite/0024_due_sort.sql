-- "Due soonest" in the queues (the PostgreSQL migration of the same
-- number says why each index has this shape).
CREATE INDEX tickets_mine_due ON tickets(assignee_id, (sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE is_open = TRUE;
CREATE INDEX tickets_tier_unassigned_due ON tickets(tier, (sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE assignee_id IS NULL AND is_open = TRUE;
CREATE INDEX tickets_team_due ON tickets(team_id, (sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE is_open = TRUE;
CREATE INDEX tickets_open_due ON tickets((sla_due_at IS NULL), sla_due_at, updated_at DESC, id DESC)
    WHERE is_open = TRUE;
CREATE INDEX tickets_due ON tickets(sla_due_at, id DESC) WHERE sla_due_at IS NOT NULL;
