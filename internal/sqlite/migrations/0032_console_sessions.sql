-- Console sessions: the SHA-256 of the session cookie's token (never the token), the analyst, the
-- CSRF token its forms carry, and when it ends. Removing an analyst removes its sessions.
CREATE TABLE console_sessions (
    token_hash BLOB PRIMARY KEY,
    analyst_id TEXT NOT NULL REFERENCES analysts (id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_analyst ON console_sessions (analyst_id);
