-- The security hook's explicit settings per project and per repository (no row = inherited),
-- and the audit log (SPEC 5 and 9).

CREATE TABLE project_hook_settings (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    enabled    INTEGER NOT NULL,
    warn       INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE repository_hook_settings (
    repository_id INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
    enabled       INTEGER NOT NULL,
    warn          INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    user_name       TEXT,
    action          TEXT    NOT NULL,
    project_key     TEXT,
    repository_slug TEXT,
    details         TEXT    NOT NULL
);
CREATE INDEX audit_events_time ON audit_events(created_at, id);
