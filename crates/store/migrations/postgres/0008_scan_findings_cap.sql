-- A scan stores at most a configured number of findings; the findings found beyond it are
-- counted here (`findings_total` counts them too), so a result says that it is incomplete.
ALTER TABLE scans ADD COLUMN findings_dropped BIGINT NOT NULL DEFAULT 0;
