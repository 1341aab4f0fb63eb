-- Automatic assignment per team (the PostgreSQL migration of the same
-- number says what each column is for).
ALTER TABLE teams ADD COLUMN assignment_mode TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE teams ADD COLUMN assignment_capacity INTEGER;
ALTER TABLE teams ADD COLUMN assignment_cursor INTEGER;
ALTER TABLE users ADD COLUMN last_assigned_at TEXT;

-- Coded column (migration 0011 says why triggers on SQLite).
CREATE TRIGGER teams_assignment_mode_code_insert BEFORE INSERT ON teams
WHEN NOT (NEW.assignment_mode IN ('manual', 'round_robin', 'least_loaded'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams (assignment_mode)'); END;
CREATE TRIGGER teams_assignment_mode_code_update BEFORE UPDATE OF assignment_mode ON teams
WHEN NOT (NEW.assignment_mode IN ('manual', 'round_robin', 'least_loaded'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: teams (assignment_mode)'); END;
