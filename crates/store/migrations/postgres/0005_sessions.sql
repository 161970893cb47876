-- Web UI sessions (SPEC 11). The cookie holds a random token; only its SHA-256 is stored, so a
-- leaked database does not sign anybody in. A session ends on logout or after it was idle too
-- long (the server deletes expired rows).
CREATE TABLE ui_sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf         TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);

CREATE INDEX ui_sessions_last_used ON ui_sessions (last_used_at);
