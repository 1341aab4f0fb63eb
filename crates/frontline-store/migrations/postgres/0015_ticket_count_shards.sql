-- Queue counts get a shard. Each ticket-writer lane moves the counts of its
-- own shard, so parallel batches no longer wait on one hot row (new, tier 1,
-- no team, no assignee) from its update to their commit, which serialized
-- every commit's WAL flush. Every count query sums n, so readers do not care
-- how a bucket is split. The key changes, so instances running an older
-- version must be stopped before this migration runs (their upserts name the
-- old key).
ALTER TABLE ticket_counts ADD COLUMN shard BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ticket_counts DROP CONSTRAINT ticket_counts_pkey;
ALTER TABLE ticket_counts ADD PRIMARY KEY (status, tier, team_id, assignee_id, shard);
