-- Background jobs other than branch scans (which have their own queue, `scans`): work that a
-- request queues and any node does, under a lease like a scan's.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL,
    repository_id INTEGER REFERENCES repositories(id) ON DELETE CASCADE,
    batch_id      INTEGER REFERENCES scan_batches(id) ON DELETE CASCADE,
    payload       TEXT,
    queued_at     INTEGER NOT NULL,
    lease_owner   TEXT,
    lease_until   INTEGER
);
CREATE INDEX jobs_queue ON jobs(lease_until, id);
CREATE INDEX jobs_target ON jobs(kind, repository_id);
