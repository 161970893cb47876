-- How likely each finding is a credential, in [0, 1] (1 for exact provider formats and custom rules).
ALTER TABLE scan_findings ADD COLUMN confidence DOUBLE PRECISION NOT NULL DEFAULT 1;
