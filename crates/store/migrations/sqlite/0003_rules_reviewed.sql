-- Rules and reviewed findings (SPEC 3, 8): global toggles of built-in rules (no row = enabled),
-- global custom rules, and reviewed match texts per repository and globally.

CREATE TABLE builtin_rule_states (
    name       TEXT    PRIMARY KEY,
    enabled    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE custom_rules (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    regexp           TEXT    NOT NULL,
    enabled          INTEGER NOT NULL,
    blocking         INTEGER NOT NULL,
    validation_error TEXT,
    created_by       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE repository_reviewed (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    match_text    TEXT    NOT NULL,
    rule_name     TEXT,
    reviewed_by   TEXT,
    reviewed_at   INTEGER NOT NULL,
    PRIMARY KEY (repository_id, match_text)
);

CREATE TABLE global_reviewed (
    match_text  TEXT    PRIMARY KEY,
    rule_name   TEXT,
    reviewed_by TEXT,
    reviewed_at INTEGER NOT NULL
);
