-- Each user's risk state: reported and computed scores, locks, activity and the explanation.
ALTER TABLE users ADD COLUMN risk BLOB;

-- A tenant's own risk model (absent: the default model that ships with the server).
CREATE TABLE risk_models (
    tenant_id  TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    document   BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
