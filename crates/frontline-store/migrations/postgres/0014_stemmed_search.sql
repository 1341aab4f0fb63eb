-- Stemmed search: the english configuration (stems, drops stop words),
-- so "rotating" finds "rotated", as SQLite's FTS5 porter tables do.
-- A generated column's expression cannot be altered: the columns (and
-- their GIN indexes) are made again.
ALTER TABLE tickets DROP COLUMN search;
ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', subject)) STORED;
CREATE INDEX tickets_search ON tickets USING GIN (search);

ALTER TABLE messages DROP COLUMN search;
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', left(body, 100000))) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);
