-- A global custom rule that ran out of its matching budget on a line of a scan or a push
-- (SPEC 3): one row per rule, repository and scan or push. The rule is skipped on that line
-- only; the rows decide when it is disabled (overruns in several repositories within a
-- window) and are shown as counters on the rules API. Clearing the rule's validation error
-- or editing it deletes its rows.
CREATE TABLE rule_budget_events (
    id            INTEGER PRIMARY KEY,
    rule_id       INTEGER NOT NULL REFERENCES custom_rules(id) ON DELETE CASCADE,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    occurred_at   INTEGER NOT NULL
);

CREATE INDEX rule_budget_events_rule ON rule_budget_events (rule_id, occurred_at);

-- What a finished scan reports besides its findings: non-fatal problems of the repository's
-- soteri-security.yml, and the rules that ran out of their budget on some line (skipped on
-- that line only). One entry per line of text; empty when none.
ALTER TABLE scans ADD COLUMN config_warnings TEXT NOT NULL DEFAULT '';
ALTER TABLE scans ADD COLUMN rule_errors TEXT NOT NULL DEFAULT '';
