-- The blob cache: each blob's scan outcome per rule-set fingerprint, shared by every node.
CREATE TABLE blob_rule_sets (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    used_at INTEGER NOT NULL
);

CREATE TABLE blob_outcomes (
    rule_set_id INTEGER NOT NULL REFERENCES blob_rule_sets (id) ON DELETE CASCADE,
    blob BLOB NOT NULL,
    outcome TEXT NOT NULL,
    used_at INTEGER NOT NULL,
    PRIMARY KEY (rule_set_id, blob)
) WITHOUT ROWID;

CREATE INDEX blob_outcomes_used_at ON blob_outcomes (used_at);
