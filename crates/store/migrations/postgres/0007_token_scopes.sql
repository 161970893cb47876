-- Personal access tokens carry the permissions that cap what they may do below their owner's
-- own rights (a comma-separated list such as `PROJECT_READ,REPO_WRITE`), an optional expiry and
-- the time of their last use, all in milliseconds since the Unix epoch. Tokens created before
-- could do everything their owner could, and keep that.
ALTER TABLE access_tokens ADD COLUMN permissions TEXT NOT NULL DEFAULT 'ADMIN_WRITE,PROJECT_ADMIN,REPO_ADMIN';
ALTER TABLE access_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE access_tokens ADD COLUMN last_used_at BIGINT;
