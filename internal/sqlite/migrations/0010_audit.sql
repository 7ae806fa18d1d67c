-- The audit log (docs/audit.md): one record per change, written in the change's transaction
-- unsealed (seq, prev_hash and hash NULL), then chained by the sealer, which takes the next seq
-- after the tenant's head (audit_heads) for each unsealed record, in order of at, then id.
CREATE TABLE audit_log (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    seq        INTEGER,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    digest     BLOB,
    prev_hash  BLOB,
    hash       BLOB,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX audit_log_chain ON audit_log (tenant_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX audit_log_unsealed ON audit_log (tenant_id, at, id) WHERE seq IS NULL;

-- The end of each tenant's sealed chain; sealers lock it, so one seals a tenant at a time.
CREATE TABLE audit_heads (
    tenant_id TEXT PRIMARY KEY,
    seq       INTEGER NOT NULL,
    hash      BLOB
);

-- Every risk model a tenant loaded, kept like rule versions.
CREATE TABLE risk_model_versions (
    tenant_id  TEXT NOT NULL,
    version    TEXT NOT NULL,
    document   BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
INSERT INTO risk_model_versions (tenant_id, version, document, created_at)
    SELECT tenant_id, version, document, updated_at FROM risk_models;
