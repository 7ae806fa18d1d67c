-- A tenant's rules (the default library is copied in when the tenant is created).
CREATE TABLE rules (
    tenant_id        TEXT NOT NULL,
    rule_instance_id TEXT NOT NULL,
    version_id       TEXT NOT NULL,
    document         BYTEA NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, rule_instance_id)
);

-- Every version of every rule, kept for audit; a NULL document records a deletion.
CREATE TABLE rule_versions (
    tenant_id        TEXT NOT NULL,
    rule_instance_id TEXT NOT NULL,
    version_id       TEXT NOT NULL,
    document         BYTEA,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, rule_instance_id, version_id)
);

-- Changes whenever any rule of the tenant changes, so compiled rule sets can be cached by it.
CREATE TABLE rule_sets (
    tenant_id TEXT PRIMARY KEY,
    version   TEXT NOT NULL
);

-- Each user's rule state (history aggregates, latest shadow results) and each entry's shadow
-- results.
ALTER TABLE users ADD COLUMN rules BYTEA;
ALTER TABLE user_entries ADD COLUMN shadow BYTEA;
