-- The blob cache: each blob's scan outcome per rule-set fingerprint, shared by every node.
CREATE TABLE blob_rule_sets (
    id BIGSERIAL PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    used_at BIGINT NOT NULL
);

CREATE TABLE blob_outcomes (
    rule_set_id BIGINT NOT NULL REFERENCES blob_rule_sets (id) ON DELETE CASCADE,
    blob BYTEA NOT NULL,
    outcome TEXT NOT NULL,
    used_at BIGINT NOT NULL,
    PRIMARY KEY (rule_set_id, blob)
);

CREATE INDEX blob_outcomes_used_at ON blob_outcomes (used_at);
