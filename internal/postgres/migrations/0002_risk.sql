-- Each user's risk state: reported and computed scores, locks, activity and the explanation.
ALTER TABLE users ADD COLUMN risk BYTEA;

-- A tenant's own risk model (absent: the default model that ships with the server). Small,
-- keyed by tenant: distributed by tenant_id (or a reference table) on a sharded engine.
CREATE TABLE risk_models (
    tenant_id  TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    document   BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);
