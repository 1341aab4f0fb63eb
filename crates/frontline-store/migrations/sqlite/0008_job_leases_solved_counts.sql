-- Which runner holds a job's lease, so that only it extends the lease
-- (heartbeat) while the job runs.
ALTER TABLE jobs ADD COLUMN locked_by TEXT;

-- Tickets currently solved, by the UTC day they were solved: the
-- "recently solved" count reads a week of rows instead of counting tickets.
CREATE TABLE solved_counts (
    day TEXT NOT NULL PRIMARY KEY,
    n INTEGER NOT NULL
);
INSERT INTO solved_counts (day, n)
    SELECT substr(solved_at, 1, 10), count(*) FROM tickets WHERE status = 'solved' AND solved_at IS NOT NULL GROUP BY 1;
