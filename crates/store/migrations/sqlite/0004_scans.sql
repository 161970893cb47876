-- Branch scans (SPEC 6), the branch state the dashboards roll up (SPEC 7), and mass-scan batches.
-- Independent of the rules tables (0003).

-- One row per branch of each repository, kept in sync with the refs after every push. The
-- `result_*` columns copy the latest completed tree scan so that status rollups read this table
-- alone; `scan_state` is the state of the latest tree scan (NONE, QUEUED, RUNNING, DONE, FAILED,
-- CANCELLED).
CREATE TABLE scan_branches (
    repository_id          INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    name                   TEXT    NOT NULL,
    display_lower          TEXT    NOT NULL,
    tip                    TEXT    NOT NULL,
    is_default             INTEGER NOT NULL,
    scan_state             TEXT    NOT NULL DEFAULT 'NONE',
    last_scan_id           INTEGER,
    result_scan_id         INTEGER,
    result_commit          TEXT,
    result_generation      INTEGER,
    result_vulnerabilities INTEGER,
    result_date            INTEGER,
    PRIMARY KEY (repository_id, name)
);

-- Mass scans: one batch per request, for the completion mail.
CREATE TABLE scan_batches (
    id           INTEGER PRIMARY KEY,
    scope        TEXT    NOT NULL,
    emails       TEXT    NOT NULL,
    requested_by TEXT,
    created_at   INTEGER NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    notified_at  INTEGER
);

-- The queue and the results. A scan is QUEUED, RUNNING (leased by a node until `lease_until`),
-- then DONE, FAILED or CANCELLED.
CREATE TABLE scans (
    id              INTEGER PRIMARY KEY,
    scan_key        TEXT    NOT NULL UNIQUE,
    repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    branch          TEXT    NOT NULL,
    history         INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    batch_id        INTEGER REFERENCES scan_batches(id) ON DELETE SET NULL,
    commit_id       TEXT,
    generation      INTEGER NOT NULL DEFAULT 0,
    rules_identity  TEXT,
    config_error    TEXT,
    error           TEXT,
    queued_at       INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    files_total     INTEGER NOT NULL DEFAULT 0,
    files_done      INTEGER NOT NULL DEFAULT 0,
    findings_total  INTEGER NOT NULL DEFAULT 0,
    vulnerabilities INTEGER NOT NULL DEFAULT 0,
    skipped_files   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_queue ON scans(state, id);
CREATE INDEX scans_branch ON scans(repository_id, branch, history, id);
CREATE INDEX scans_batch ON scans(batch_id);

CREATE TABLE scan_findings (
    scan_id           INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    path              TEXT    NOT NULL,
    line              INTEGER NOT NULL,
    rule_name         TEXT    NOT NULL,
    text              TEXT    NOT NULL,
    line_offset_start INTEGER NOT NULL,
    line_offset_end   INTEGER NOT NULL,
    truncated         INTEGER NOT NULL,
    allowlisted       INTEGER NOT NULL,
    blocking          INTEGER NOT NULL,
    commit_id         TEXT,
    PRIMARY KEY (scan_id, seq)
);
