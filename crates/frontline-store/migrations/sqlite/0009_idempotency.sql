-- Idempotency-Key of API writes, per caller (scope: an API token or a
-- signed-in user). `state` is running (claimed by `owner`/`claim`),
-- committed (the write's own transaction recorded `resource_id`, the
-- response is not stored yet) or done (`response_*` stored). Purged by
-- housekeeping after 24 hours.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    owner TEXT NOT NULL,
    claim TEXT NOT NULL,
    resource_id BIGINT,
    response_status INTEGER,
    response_body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
