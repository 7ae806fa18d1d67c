-- Tenants and their API keys (stored as SHA-256 only).
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    key_hash   BLOB PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    created_at INTEGER NOT NULL
);

-- One row per user: the current profile (the fold of its history) and latest evaluation.
-- uid is Vigil's own id; user_id is the client's and changes on a rename.
CREATE TABLE users (
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    uid           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    profile       BLOB NOT NULL,
    evaluation    BLOB NOT NULL,
    max_timestamp INTEGER NOT NULL,
    last_seq      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE UNIQUE INDEX users_uid ON users (tenant_id, uid);

-- A user's history: its creation, events and updates, in arrival order (seq).
CREATE TABLE user_entries (
    tenant_id    TEXT NOT NULL,
    user_uid     TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    type         TEXT NOT NULL,
    timestamp    INTEGER NOT NULL,
    event_kind   TEXT,
    event_id     TEXT,
    body         BLOB NOT NULL,
    request_hash BLOB,
    evaluation   BLOB,
    response     BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_uid, seq)
);
-- eventId is an idempotency key per tenant and user type.
CREATE UNIQUE INDEX user_entries_event ON user_entries (tenant_id, event_kind, event_id)
    WHERE event_id IS NOT NULL;
