-- Identity, projects, repositories and permissions. Later features (hook settings, scans,
-- findings, reviewed matches, rules, audit) arrive as further numbered migrations.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    name_lower    TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    email         TEXT,
    password_hash TEXT    NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE access_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    key_id     TEXT    NOT NULL UNIQUE,
    token_hash TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_user ON access_tokens(user_id);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL,
    key_upper   TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    name_lower  TEXT    NOT NULL,
    description TEXT,
    owner_id    INTEGER UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);
CREATE INDEX projects_name ON projects(name_lower);

CREATE TABLE repositories (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    slug           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    name_lower     TEXT    NOT NULL,
    default_branch TEXT    NOT NULL,
    disk_name      TEXT    NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    UNIQUE (project_id, slug)
);
CREATE INDEX repositories_name ON repositories(project_id, name_lower);

CREATE TABLE project_permissions (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    level      INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_permissions_user ON project_permissions(user_id);

CREATE TABLE repository_permissions (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    level         INTEGER NOT NULL,
    PRIMARY KEY (repository_id, user_id)
);
CREATE INDEX repository_permissions_user ON repository_permissions(user_id);

-- Server-wide settings as JSON values by key (hook mode, schedules, ... in later issues).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
