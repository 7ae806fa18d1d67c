-- Tenants and their API keys (stored as SHA-256 only). Both are small: on a sharded engine
-- (Citus) they are reference tables, replicated to every node.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    key_hash   BYTEA PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    created_at BIGINT NOT NULL
);

-- One row per user: the current profile (the fold of its history) and latest evaluation.
-- uid is Vigil's own id; user_id is the client's and changes on a rename. Every key starts with
-- tenant_id, the distribution column when the table is sharded.
CREATE TABLE users (
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    uid           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    profile       BYTEA NOT NULL,
    evaluation    BYTEA NOT NULL,
    max_timestamp BIGINT NOT NULL,
    last_seq      BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE UNIQUE INDEX users_uid ON users (tenant_id, uid);

-- A user's history: its creation, events and updates, in arrival order (seq).
CREATE TABLE user_entries (
    tenant_id    TEXT NOT NULL,
    user_uid     TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    type         TEXT NOT NULL,
    timestamp    BIGINT NOT NULL,
    event_kind   TEXT,
    event_id     TEXT,
    body         BYTEA NOT NULL,
    request_hash BYTEA,
    evaluation   BYTEA,
    response     BYTEA,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_uid, seq)
);
-- eventId is an idempotency key per tenant and user type.
CREATE UNIQUE INDEX user_entries_event ON user_entries (tenant_id, event_kind, event_id)
    WHERE event_id IS NOT NULL;
