-- Console accounts (vigil analysts add): one tenant each, signing in by an email unique in the
-- server; the password only as an argon2id hash (PHC string).
CREATE TABLE analysts (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX analysts_tenant ON analysts (tenant_id, email);
