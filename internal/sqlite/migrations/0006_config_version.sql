-- Counts every change of a tenant's risk model, rules or webhook endpoints, so a server can
-- keep them compiled and check with one small read that no process changed them since.
ALTER TABLE tenants ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
