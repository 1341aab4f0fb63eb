-- Stemmed search: FTS5's porter stemmer over unicode61, so "rotating"
-- finds "rotated" as PostgreSQL's english configuration does. The
-- tokenizer is fixed when an FTS5 table is made, so both tables are made
-- again and rebuilt from their content tables. The triggers that keep
-- them current name the tables and carry on unchanged.
DROP TABLE ticket_subject_fts;
CREATE VIRTUAL TABLE ticket_subject_fts USING fts5(subject, content='tickets', content_rowid='id', tokenize='porter unicode61');
INSERT INTO ticket_subject_fts(ticket_subject_fts) VALUES ('rebuild');

DROP TABLE message_body_fts;
CREATE VIRTUAL TABLE message_body_fts USING fts5(body, content='messages', content_rowid='id', tokenize='porter unicode61');
INSERT INTO message_body_fts(message_body_fts) VALUES ('rebuild');
