-- Automatic assignment per team (frontline-domain/src/assignment.rs).
-- A team hands its new unassigned tickets to an available member, in turn
-- (round_robin) or to the least loaded, within a per-agent capacity of
-- open tickets (NULL: unlimited). The job that assigns locks the team's row
-- and moves `assignment_cursor` (the member served last) in the same
-- transaction as the assignment, so parallel jobs take turns correctly.
ALTER TABLE teams ADD COLUMN assignment_mode TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE teams ADD COLUMN assignment_capacity BIGINT;
ALTER TABLE teams ADD COLUMN assignment_cursor BIGINT;
ALTER TABLE teams ADD CONSTRAINT teams_assignment_mode_code CHECK (assignment_mode IN ('manual', 'round_robin', 'least_loaded'));

-- When the user was last given a ticket (by hand or automatically): the
-- least-loaded tie-break favours whoever waited longest.
ALTER TABLE users ADD COLUMN last_assigned_at TIMESTAMPTZ;
